"""Who sees and changes which guest data (issue 11; docs/api-customers.md, "Who sees what"):
one test per cell of callers x (account profile, local profile of R, local profile of S,
R's record about a guest) x (GET, PATCH, list), and the takeover of issue 11 itself."""

from dataclasses import dataclass

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import User
from customers.models import Customer, GuestRecord
from customers.tests.factories import CustomerFactory, UserFactory
from notifications.models import Notification
from reservations.models import Reservation
from reservations.tests.factories import (
    NOW,
    SEED_DATE,
    SEED_TIME,
    ReservationFactory,
    open_every_day,
)
from restaurants.models import Restaurant, StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db

NOTES = "Quiet table, tips well."


@dataclass
class Guests:
    r: Restaurant
    s: Restaurant
    callers: dict[str, User | None]
    account: Customer  # guest A's profile; A booked at R themselves, never near S
    local_r: Customer  # kept by R
    local_s: Customer  # kept by S
    record: GuestRecord  # R's notes about guest A


@pytest.fixture
def guests(db) -> Guests:
    r, s = RestaurantFactory(), RestaurantFactory()
    guest_a, guest_b = UserFactory(), UserFactory()
    account = CustomerFactory(
        user=guest_a, email=guest_a.email, phone="+34611000001", allergies="Peanuts"
    )
    CustomerFactory(user=guest_b, email=guest_b.email)
    ReservationFactory(past=True, customer=account, table__restaurant=r, created_by=guest_a)
    local_r = CustomerFactory(created_by_restaurant=r)
    local_s = CustomerFactory(created_by_restaurant=s)
    record = GuestRecord.objects.create(restaurant=r, customer=account, notes=NOTES)
    GuestRecord.objects.create(restaurant=r, customer=local_r, notes="Called twice.")
    role = StaffMembership.Role
    callers = {
        "guest_a": guest_a,
        "guest_b": guest_b,
        "host_r": StaffMembershipFactory(restaurant=r, role=role.HOST).user,
        "host_s": StaffMembershipFactory(restaurant=s, role=role.HOST).user,
        "manager_r": StaffMembershipFactory(restaurant=r, role=role.MANAGER).user,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "anonymous": None,
    }
    return Guests(r, s, callers, account, local_r, local_s, record)


def as_caller(api_client, guests: Guests, caller: str):
    user = guests.callers[caller]
    if user is not None:
        api_client.force_authenticate(user)
    return api_client


def profile_url(guests: Guests, target: str) -> str:
    return f"/api/customers/{getattr(guests, target).pk}/"


def record_url(guests: Guests) -> str:
    return f"/api/restaurants/{guests.r.pk}/guests/{guests.account.pk}/record/"


CALLERS = ["guest_a", "guest_b", "host_r", "host_s", "manager_r", "superuser", "anonymous"]

# caller -> status of GET, and of PATCH with its error code, per profile.
PROFILE_GET = {
    "account": dict(
        guest_a=200, guest_b=404, host_r=200, host_s=404, manager_r=200, superuser=200,
        anonymous=401,
    ),
    "local_r": dict(
        guest_a=404, guest_b=404, host_r=200, host_s=404, manager_r=200, superuser=200,
        anonymous=401,
    ),
    "local_s": dict(
        guest_a=404, guest_b=404, host_r=404, host_s=200, manager_r=404, superuser=200,
        anonymous=401,
    ),
}  # fmt: skip
PROFILE_PATCH = {
    "account": dict(
        guest_a=(200, None),
        guest_b=(404, "not_found"),
        host_r=(403, "profile_owned_by_guest"),
        host_s=(404, "not_found"),
        manager_r=(403, "profile_owned_by_guest"),
        superuser=(403, "profile_owned_by_guest"),
        anonymous=(401, "not_authenticated"),
    ),
    "local_r": dict(
        guest_a=(404, "not_found"),
        guest_b=(404, "not_found"),
        host_r=(200, None),
        host_s=(404, "not_found"),
        manager_r=(200, None),
        superuser=(200, None),
        anonymous=(401, "not_authenticated"),
    ),
    "local_s": dict(
        guest_a=(404, "not_found"),
        guest_b=(404, "not_found"),
        host_r=(404, "not_found"),
        host_s=(200, None),
        manager_r=(404, "not_found"),
        superuser=(200, None),
        anonymous=(401, "not_authenticated"),
    ),
}
RECORD = dict(
    guest_a=404, guest_b=404, host_r=200, host_s=404, manager_r=200, superuser=200, anonymous=401
)


def _cells(table):
    return [
        pytest.param(target, caller, expected, id=f"{target}-{caller}")
        for target, row in table.items()
        for caller, expected in row.items()
    ]


@pytest.mark.parametrize(("target", "caller", "status"), _cells(PROFILE_GET))
def test_get_profile(api_client, guests, target, caller, status):
    response = as_caller(api_client, guests, caller).get(profile_url(guests, target))
    assert response.status_code == status, response.json()
    if status == 200:
        body = response.json()
        customer = getattr(guests, target)
        # What a restaurant needs for service is shown: name, phone, allergies.
        assert (body["first_name"], body["phone"], body["allergies"]) == (
            customer.first_name,
            customer.phone,
            customer.allergies,
        )
        assert "notes" not in body and NOTES not in str(body) and "Called twice" not in str(body)


@pytest.mark.parametrize(("target", "caller", "expected"), _cells(PROFILE_PATCH))
def test_patch_profile(api_client, guests, target, caller, expected):
    status, code = expected
    customer = getattr(guests, target)
    before = (customer.first_name, customer.phone, customer.allergies)
    response = as_caller(api_client, guests, caller).patch(
        profile_url(guests, target),
        {"first_name": "Changed", "phone": "+34699999999", "allergies": "None"},
    )
    assert response.status_code == status, response.json()
    customer.refresh_from_db()
    after = (customer.first_name, customer.phone, customer.allergies)
    if status == 200:
        assert after == ("Changed", "+34699999999", "None")
    else:
        assert response.json()["code"] == code
        assert after == before


LIST_EXPECTED = {
    "guest_a": 403,
    "guest_b": 403,
    "host_r": {"account", "local_r"},
    "host_s": {"local_s"},
    "manager_r": {"account", "local_r"},
    "superuser": {"account", "local_r", "local_s"},
    "anonymous": 401,
}


@pytest.mark.parametrize("caller", CALLERS)
def test_list_profiles(api_client, guests, caller):
    response = as_caller(api_client, guests, caller).get("/api/customers/")
    expected = LIST_EXPECTED[caller]
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert response.status_code == 200
    rows = response.json()["results"]
    ids = {row["id"] for row in rows}
    for target in ("account", "local_r", "local_s"):
        assert (getattr(guests, target).pk in ids) == (target in expected), target
    # No list shows what a restaurant records.
    assert all("notes" not in row for row in rows)
    assert NOTES not in str(rows)


@pytest.mark.parametrize("caller", CALLERS)
def test_get_guest_record(api_client, guests, caller):
    response = as_caller(api_client, guests, caller).get(record_url(guests))
    assert response.status_code == RECORD[caller]
    if RECORD[caller] == 200:
        assert response.json()["notes"] == NOTES
        assert response.json()["customer_id"] == guests.account.pk
    else:
        assert NOTES not in str(response.json())


@pytest.mark.parametrize("caller", CALLERS)
def test_patch_guest_record(api_client, guests, caller):
    response = as_caller(api_client, guests, caller).patch(
        record_url(guests), {"notes": "Birthday in May"}
    )
    assert response.status_code == RECORD[caller]
    guests.record.refresh_from_db()
    expected = "Birthday in May" if RECORD[caller] == 200 else NOTES
    assert guests.record.notes == expected


def test_guest_records_are_per_restaurant(api_client, guests):
    host_s = guests.callers["host_s"]
    # A restaurant's record about a guest of another restaurant does not exist for it.
    api_client.force_authenticate(host_s)
    url_s = f"/api/restaurants/{guests.s.pk}/guests/{guests.account.pk}/record/"
    assert api_client.get(url_s).status_code == 404
    assert api_client.patch(url_s, {"notes": "x"}).status_code == 404
    # Its own guest's record starts empty and is its own.
    own = f"/api/restaurants/{guests.s.pk}/guests/{guests.local_s.pk}/record/"
    assert api_client.get(own).json() == {
        "restaurant_id": guests.s.pk,
        "customer_id": guests.local_s.pk,
        "notes": "",
        "updated_at": None,
    }
    response = api_client.patch(own, {"notes": "Regular"})
    assert response.status_code == 200
    assert GuestRecord.objects.get(restaurant=guests.s, customer=guests.local_s).notes == "Regular"
    # R's staff never see S's record.
    api_client.force_authenticate(guests.callers["host_r"])
    assert api_client.get(own).status_code == 404


def test_guest_record_refuses_bad_input(api_client, guests):
    api_client.force_authenticate(guests.callers["host_r"])
    for body in ({}, {"notes": 7}, {"notes": "x", "tags": []}, {"notes": "x" * 5001}):
        response = api_client.patch(record_url(guests), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error"
    guests.record.refresh_from_db()
    assert guests.record.notes == NOTES


def test_the_guest_never_reads_a_record_about_them(api_client, guests):
    api_client.force_authenticate(guests.callers["guest_a"])
    for url in ("/api/customers/me/", profile_url(guests, "account"), "/api/reservations/"):
        response = api_client.get(url)
        assert response.status_code == 200
        assert NOTES not in str(response.json())


def test_legacy_notes_are_never_in_an_api_answer(api_client, guests):
    """Notes only superusers could read before guest records stay in the admin."""
    Customer.objects.filter(pk=guests.local_r.pk).update(legacy_notes="Root only")
    for caller in ("superuser", "host_r"):
        api_client.force_authenticate(guests.callers[caller])
        for url in (profile_url(guests, "local_r"), "/api/customers/"):
            response = api_client.get(url)
            assert response.status_code == 200
            assert "Root only" not in str(response.json())
            assert "legacy_notes" not in str(response.json())


# --- the takeover of issue 11 ----------------------------------------------------------------


@pytest.fixture
def bookable(guests):
    for restaurant in (guests.r, guests.s):
        restaurant.timezone = "Europe/Madrid"
        restaurant.min_notice_minutes = 60
        restaurant.max_days_ahead = 90
        restaurant.save()
        open_every_day(restaurant)
        TableFactory(restaurant=restaurant, capacity=4, min_capacity=1)
    with time_machine.travel(NOW, tick=True):
        yield guests


def staff_booking(guests: Guests, restaurant: Restaurant, **customer) -> dict:
    return {
        "restaurant_id": restaurant.pk,
        "customer": customer,
        "reservation_date": SEED_DATE.isoformat(),
        "reservation_time": SEED_TIME.strftime("%H:%M"),
        "party_size": 2,
    }


def test_a_staff_booking_with_an_accounts_email_does_not_take_over_its_profile(
    api_client, bookable
):
    guests = bookable
    account = guests.account
    before = Customer.objects.values().get(pk=account.pk)
    api_client.force_authenticate(guests.callers["host_s"])
    body = staff_booking(
        guests, guests.s, first_name="Mallory", email=account.email.upper(), phone="+34600000000"
    )
    response = api_client.post("/api/reservations/", body, format="json")
    assert response.status_code == 201, response.json()
    # The booking is for a local profile of S with the address, not the account's.
    booked = Reservation.objects.get(pk=response.json()["id"])
    assert booked.customer_id != account.pk
    local = booked.customer
    assert (local.user, local.created_by_restaurant, local.email) == (
        None,
        guests.s,
        account.email,
    )
    assert (local.first_name, local.allergies) == ("Mallory", "")
    assert "Peanuts" not in str(response.json())
    # S's staff can neither read nor change the account's profile.
    assert api_client.get(profile_url(guests, "account")).status_code == 404
    response = api_client.patch(
        profile_url(guests, "account"),
        {"first_name": "Mallory", "phone": "+34600000000", "allergies": ""},
    )
    assert response.status_code == 404
    assert account.pk not in {r["id"] for r in api_client.get("/api/customers/").json()["results"]}
    # ... nor book it by id.
    by_id = {**body, "customer_id": account.pk}
    del by_id["customer"]
    response = api_client.post("/api/reservations/", by_id, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"customer_id"}
    # The account's owner sees nothing changed.
    assert Customer.objects.values().get(pk=account.pk) == before
    api_client.force_authenticate(guests.callers["guest_a"])
    me = api_client.get("/api/customers/me/").json()
    assert (me["first_name"], me["phone"], me["allergies"]) == (
        before["first_name"],
        before["phone"],
        "Peanuts",
    )


def test_a_staff_booking_by_email_of_a_guest_who_booked_here_gets_a_local_profile(
    api_client, bookable
):
    """Even an account that booked at R itself is not found by its (unverified) e-mail: R's
    booking goes to a local profile R keeps. R's staff book the account by id instead."""
    guests = bookable
    before = Customer.objects.values().get(pk=guests.account.pk)
    api_client.force_authenticate(guests.callers["host_r"])
    body = staff_booking(guests, guests.r, first_name="Someone", email=guests.account.email)
    response = api_client.post("/api/reservations/", body, format="json")
    assert response.status_code == 201, response.json()
    local = Customer.objects.get(pk=response.json()["customer_id"])
    assert local.pk != guests.account.pk
    assert (local.user, local.created_by_restaurant, local.email) == (
        None,
        guests.r,
        guests.account.email,
    )
    assert Customer.objects.values().get(pk=guests.account.pk) == before
    assert Customer.objects.count() == 5
    # By id, the account's profile (in R's scope) is booked as before.
    by_id = {**body, "customer_id": guests.account.pk, "reservation_time": "21:00"}
    del by_id["customer"]
    response = api_client.post("/api/reservations/", by_id, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer_id"] == guests.account.pk


def test_staff_made_reservations_never_bring_an_account_into_view(api_client, guests):
    """A booking staff made for an account profile (as the hole allowed before issue 11)
    does not put the profile in the restaurant's scope."""
    ReservationFactory(
        past=True,
        customer=guests.account,
        table__restaurant=guests.s,
        created_by=guests.callers["host_s"],
    )
    api_client.force_authenticate(guests.callers["host_s"])
    assert api_client.get(profile_url(guests, "account")).status_code == 404


# --- an unverified account never decides who owns a staff booking ----------------------------

ATTACKER_PASSWORD = "correct-horse-battery-staple"


def register_and_book_once(api_client, restaurant: Restaurant, **account) -> APIClient:
    """An attacker registers (no e-mail verification) and books at ``restaurant`` once,
    themselves, then cancels: their profile is now one of ``restaurant``'s guests."""
    attacker = APIClient()
    body = {"password": ATTACKER_PASSWORD, "first_name": "Mallory", "last_name": "M", **account}
    response = attacker.post("/api/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    token = attacker.post(
        "/api/auth/token/", {"email": account["email"], "password": ATTACKER_PASSWORD}
    )
    assert token.status_code == 200, token.json()
    attacker.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    own = {"restaurant_id": restaurant.pk, "reservation_date": SEED_DATE.isoformat()}
    own.update(reservation_time="13:00", party_size=2)
    response = attacker.post("/api/reservations/", own, format="json")
    assert response.status_code == 201, response.json()
    cancel = attacker.post(f"/api/reservations/{response.json()['id']}/cancel/", {}, format="json")
    assert cancel.status_code == 200, cancel.json()
    return attacker


def assert_attacker_cannot_reach(attacker: APIClient, reservation_id: str) -> None:
    listed = attacker.get("/api/reservations/")
    assert listed.status_code == 200
    assert reservation_id not in {row["id"] for row in listed.json()["results"]}
    detail = attacker.get(f"/api/reservations/{reservation_id}/")
    assert detail.status_code == 404
    assert detail.json()["code"] == "not_found"
    # The booking's notifications exist (its confirmation e-mail), but not for the attacker.
    assert Notification.objects.filter(reservation_id=reservation_id).exists()
    notifications = attacker.get("/api/notifications/", {"reservation_id": reservation_id})
    assert notifications.status_code == 200
    assert notifications.json()["results"] == []
    all_notifications = attacker.get("/api/notifications/").json()["results"]
    assert reservation_id not in {row["reservation_id"] for row in all_notifications}
    cancel = attacker.post(f"/api/reservations/{reservation_id}/cancel/", {}, format="json")
    assert cancel.status_code == 404
    assert cancel.json()["code"] == "not_found"
    assert Reservation.objects.get(pk=reservation_id).status != Reservation.Status.CANCELLED


@pytest.mark.parametrize(
    ("account", "customer", "attacker_first"),
    [
        # The account profile was preferred to S's local profile with the address.
        pytest.param(
            {"email": "regular@ex.com"},
            {"email": "regular@ex.com", "first_name": "Real"},
            False,
            id="email",
        ),
        # The oldest profile with the phone among S's guests won, account profiles included.
        pytest.param(
            {"email": "mallory@ex.com", "phone": "+34 622 222 222"},
            {"phone": "+34622222222", "first_name": "Real"},
            True,
            id="phone",
        ),
    ],
)
def test_an_unverified_account_never_takes_over_a_staff_booking(
    api_client, bookable, account, customer, attacker_first
):
    """Issue 11 item 1, attack finding: an account registered with a real guest's e-mail
    (or phone) that booked at S once must not receive S's staff bookings for that guest."""
    guests = bookable
    if attacker_first:
        attacker = register_and_book_once(APIClient(), guests.s, **account)
    api_client.force_authenticate(guests.callers["host_s"])
    # S keeps its own profile of the real guest.
    local = api_client.post(
        "/api/customers/",
        {
            "restaurant_id": guests.s.pk,
            "first_name": "Real",
            "email": "regular@ex.com",
            "phone": "+34622222222",
            "allergies": "peanuts",
        },
        format="json",
    )
    assert local.status_code == 201, local.json()
    local_id = local.json()["id"]
    if not attacker_first:
        attacker = register_and_book_once(APIClient(), guests.s, **account)
    attacker_profile = Customer.objects.get(user__email=account["email"])
    assert attacker_profile.pk != local_id

    response = api_client.post(
        "/api/reservations/", staff_booking(guests, guests.s, **customer), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["customer_id"] == local_id
    booked = Reservation.objects.get(pk=response.json()["id"])
    assert booked.customer_id == local_id
    assert_attacker_cannot_reach(attacker, str(booked.pk))


def test_a_staff_booking_by_phone_never_resolves_to_an_account_profile(api_client, bookable):
    """With no local profile of the phone, the booking makes one; the account that booked
    at S with that phone is not looked at."""
    guests = bookable
    attacker = register_and_book_once(
        APIClient(), guests.s, email="mallory@ex.com", phone="+34 622 222 222"
    )
    api_client.force_authenticate(guests.callers["host_s"])
    body = staff_booking(guests, guests.s, phone="+34622222222", first_name="Real")
    response = api_client.post("/api/reservations/", body, format="json")
    assert response.status_code == 201, response.json()
    booked = Reservation.objects.get(pk=response.json()["id"])
    assert (booked.customer.user, booked.customer.created_by_restaurant) == (None, guests.s)
    assert (booked.customer.first_name, booked.customer.phone) == ("Real", "+34622222222")
    assert_attacker_cannot_reach(attacker, str(booked.pk))
