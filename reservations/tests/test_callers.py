"""Who may ask (reservations.callers): the actor each caller builds (a signed-in user, the
admin, the manage link, the expiry task) and the booking of a guest without an account."""

import dataclasses
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from core.errors import (
    Conflict,
    HoldLimit,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationFailed,
)
from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.tests.factories import CustomerFactory, UserFactory
from reservations import callers, tasks
from reservations.actors import Actor, ActorKind
from reservations.models import Reservation
from reservations.tests.factories import NOW, SEED_DATE, put_in_status
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

Status = Reservation.Status
ADDRESS = "203.0.113.9"


# --- a signed-in user ---------------------------------------------------------------------------


def test_a_signed_in_user_is_superuser_manager_host_or_else_a_guest(restaurant, staff_user):
    admin = UserFactory(is_superuser=True, is_staff=True)
    StaffMembershipFactory(restaurant=restaurant, user=admin, role=StaffMembership.Role.HOST)
    manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER)
    elsewhere = StaffMembershipFactory(restaurant=RestaurantFactory()).user
    guest = UserFactory()

    assert callers.actor_for_user(admin, restaurant.pk) == Actor.superuser(admin)
    assert callers.actor_for_user(manager.user, restaurant.pk) == Actor.manager(
        manager.user, restaurant.pk
    )
    assert callers.actor_for_user(staff_user, restaurant.pk) == Actor.host(
        staff_user, restaurant.pk
    )
    # The staff of another restaurant are guests here.
    assert callers.actor_for_user(elsewhere, restaurant.pk) == Actor.guest(elsewhere)
    assert callers.actor_for_user(guest, restaurant.pk) == Actor.guest(guest)
    with pytest.raises(NotAuthenticated):
        callers.actor_for_user(AnonymousUser(), restaurant.pk)


def test_a_signed_in_user_acts_on_a_reservation_in_their_scope_only(book, guest_user, staff_user):
    reservation = book()
    found, actor = callers.user_reservation(guest_user, reservation.pk)
    assert (found.pk, actor.kind) == (reservation.pk, ActorKind.GUEST)
    _, actor = callers.user_reservation(staff_user, reservation.pk)
    assert actor.kind == ActorKind.HOST
    with pytest.raises(NotFound):
        callers.user_reservation(UserFactory(), reservation.pk)


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_acts_as_a_superuser_or_the_restaurants_manager(restaurant, staff_user):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert callers.admin_actor(admin, restaurant.pk).kind == ActorKind.SUPERUSER
    manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user
    assert callers.admin_actor(manager, restaurant.pk) == Actor.manager(manager, restaurant.pk)
    other_manager = StaffMembershipFactory(role=StaffMembership.Role.MANAGER).user
    # Hosts work at the host stand, not in the admin.
    for outsider in (staff_user, UserFactory(is_staff=True), other_manager):
        with pytest.raises(PermissionDenied):
            callers.admin_actor(outsider, restaurant.pk)


LIST = "/admin/reservations/reservation/"


def run_action(client, action, reservation):
    return client.post(
        LIST, {"action": action, "_selected_action": [str(reservation.pk)]}, follow=True
    )


def test_a_superusers_admin_action_is_a_staff_action(client, book, clock):
    """Cancelling after the start is the restaurant's alone: the action acts as the superuser."""
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at + timedelta(minutes=5))
    run_action(client, "cancel_selected", reservation)
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED


def test_a_host_granted_is_staff_and_permissions_is_still_kept_out_of_the_admin(
    client, book, clock, staff_user
):
    staff_user.is_staff = True
    staff_user.save()
    staff_user.user_permissions.add(
        Permission.objects.get(codename="view_reservation"),
        Permission.objects.get(codename="change_reservation"),
    )
    client.force_login(staff_user)
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at + timedelta(minutes=20))
    response = run_action(client, "mark_no_show_selected", reservation)
    assert response.redirect_chain[0][0].startswith("/admin/login/?next=")
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED


# --- the manage link and the expiry task --------------------------------------------------------


def test_the_manage_link_acts_as_the_reservations_guest_without_an_account(book, guest):
    reservation = book()
    found, actor = callers.manage_link_reservation(token=reservation.manage_token, address=ADDRESS)
    assert found.pk == reservation.pk
    assert actor == Actor.anonymous_guest(
        restaurant_id=reservation.restaurant_id, email=guest.email, phone=guest.phone
    )


def test_the_expiry_task_sweeps_as_the_system(book, clock):
    reservation = book()
    clock.move_to(reservation.expires_at)
    assert tasks.expire_lapsed_holds() == 1
    reservation.refresh_from_db()
    assert reservation.status == Status.EXPIRED


def test_nobody_but_the_system_sweeps(host_actor):
    from reservations.services import holds_expire_lapsed

    with pytest.raises(PermissionDenied):
        holds_expire_lapsed(actor=host_actor)


# --- a guest without an account (the guest page) -----------------------------------------------


@pytest.fixture
def tables(restaurant):
    return [TableFactory(restaurant=restaurant, number=f"a{n}", capacity=4) for n in range(3)]


@pytest.fixture
def book_anonymously(restaurant, tables, still):
    def make(at=time(19), **details):
        values = {
            "restaurant_id": restaurant.pk,
            "reservation_date": SEED_DATE,
            "reservation_time": at,
            "party_size": 2,
            "first_name": "Marta",
            "last_name": "Vidal",
            "email": "marta@example.com",
            "phone": "",
            "client_address": ADDRESS,
        }
        values.update(details)
        return callers.reservation_book_anonymous(**values)

    return make


def test_a_new_email_makes_a_local_profile_and_a_pending_hold(book_anonymously, restaurant):
    result = book_anonymously(email=" Marta@Example.COM ", phone="+34 600 123 456", notes="Terrace")
    reservation = Reservation.objects.select_related("customer").get(pk=result.reservation_id)
    profile = reservation.customer
    assert (profile.first_name, profile.last_name) == ("Marta", "Vidal")
    assert (profile.email, profile.phone) == ("marta@example.com", "+34600123456")
    assert (profile.user, profile.created_by_restaurant) == (None, restaurant)
    assert reservation.status == Status.PENDING
    assert reservation.source == Reservation.Source.ONLINE
    assert reservation.created_by is None
    assert reservation.notes == "Terrace"
    assert result.expires_at == NOW + timedelta(minutes=restaurant.hold_minutes)


def test_a_known_email_reuses_the_profile_without_editing_it(book_anonymously, restaurant):
    known = CustomerFactory(
        created_by_restaurant=restaurant,
        first_name="Ana",
        last_name="Ruiz",
        email="marta@example.com",
        phone="+34600999888",
    )
    before = Customer.objects.values().get(pk=known.pk)

    result = book_anonymously(email="MARTA@example.com", phone="+34 611 000 111")

    assert Reservation.objects.get(pk=result.reservation_id).customer_id == known.pk
    assert Customer.objects.values().get(pk=known.pk) == before
    assert Customer.objects.count() == 1


def test_the_answer_is_the_same_for_a_known_and_a_new_email(book_anonymously, restaurant):
    CustomerFactory(created_by_restaurant=restaurant, email="known@example.com", first_name="K")
    known = dataclasses.asdict(book_anonymously(email="known@example.com"))
    new = dataclasses.asdict(book_anonymously(email="new@example.com"))

    assert known.pop("reservation_id") != new.pop("reservation_id")
    assert known == new
    # Nothing of the profile, and not the manage token (the emailed link proves the address).
    assert set(known) == {
        "restaurant_id",
        "status",
        "reservation_date",
        "reservation_time",
        "party_size",
        "start_at",
        "end_at",
        "expires_at",
    }


@pytest.mark.parametrize(
    ("details", "fields"),
    [
        ({"first_name": " "}, ["first_name"]),
        ({"first_name": "x" * 151}, ["first_name"]),
        ({"last_name": "a\x00b"}, ["last_name"]),
        ({"notes": "a\x00b"}, ["notes"]),
        ({"email": "not-an-address"}, ["email"]),
        ({"phone": "12"}, ["phone"]),
        ({"email": "", "phone": "12"}, ["email", "phone"]),
        ({"email": "", "phone": ""}, ["email"]),
    ],
)
def test_bad_details_are_refused_alike_for_a_known_and_a_new_email(
    book_anonymously, restaurant, details, fields
):
    CustomerFactory(created_by_restaurant=restaurant, email="known@example.com")
    for email in ("known@example.com", "new@example.com"):
        with pytest.raises(ValidationFailed) as refused:
            book_anonymously(**{"email": email, **details})
        assert sorted(refused.value.details) == fields
    assert not Reservation.objects.exists()
    assert Customer.objects.count() == 1


def test_an_email_is_required_and_a_known_phone_never_picks_the_profile(
    book_anonymously, restaurant
):
    known = CustomerFactory(created_by_restaurant=restaurant, email="", phone="+34600555444")
    with pytest.raises(ValidationFailed) as info:
        book_anonymously(email="", phone="+34 600 555 444")
    assert "email" in info.value.details and "phone" not in info.value.details
    assert not Reservation.objects.exists()
    # With an e-mail, the hold goes to that address's profile, not to the phone's.
    result = book_anonymously(email="new@example.com", phone="+34 600 555 444")
    profile = Reservation.objects.get(pk=result.reservation_id).customer
    assert profile.pk != known.pk and profile.email == "new@example.com"


def test_an_accounts_profile_is_never_used(book_anonymously, restaurant):
    account = UserFactory(email="marta@example.com")
    own = CustomerFactory(user=account, email=account.email, created_by_restaurant=restaurant)
    result = book_anonymously()
    profile = Reservation.objects.get(pk=result.reservation_id).customer
    assert profile.pk != own.pk and profile.user is None


def test_a_guest_without_an_account_always_holds(book_anonymously, restaurant):
    restaurant.auto_confirm = True
    restaurant.save()
    assert book_anonymously().status == Status.PENDING


def test_two_holds_per_email_and_the_third_is_429(book_anonymously, restaurant, staff_user):
    first = book_anonymously(at=time(13))
    # Holds the restaurant's staff made for the same guest are not the guest's own.
    profile = Reservation.objects.get(pk=first.reservation_id).customer
    callers.reservation_create(
        user=staff_user,
        restaurant_id=restaurant.pk,
        customer_id=profile.pk,
        reservation_date=SEED_DATE,
        reservation_time=time(21),
        party_size=2,
    )
    book_anonymously(at=time(15))
    with pytest.raises(HoldLimit) as refused:
        book_anonymously(at=time(17), first_name="Someone", email="MARTA@example.com")
    assert refused.value.details["scope"] == "restaurant"
    assert Reservation.objects.count() == 3
    # Another e-mail is another guest.
    assert book_anonymously(at=time(17), email="other@example.com").status == Status.PENDING


def test_every_attempt_counts_against_the_address(book_anonymously, settings):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 2
    with pytest.raises(ValidationFailed):
        book_anonymously(email="", phone="")
    book_anonymously()
    with pytest.raises(Throttled):
        book_anonymously(at=time(21))
    assert Reservation.objects.count() == 1
    # Another address has its own allowance.
    book_anonymously(at=time(21), client_address="198.51.100.4")


def test_a_taken_slot_leaves_no_profile_behind(book_anonymously, tables):
    for n in range(len(tables)):
        book_anonymously(email=f"guest{n}@example.net")
    with pytest.raises(Conflict):
        book_anonymously(email="late@example.com")
    assert not Customer.objects.filter(email="late@example.com").exists()


def test_staff_of_two_restaurants_cannot_book_one_restaurants_guest_at_the_other(
    restaurant, table, staff_user, clock
):
    """A host of A and B names, at A, a local profile only B keeps: refused as unknown, and the
    profile stays out of A's view (a colleague at A still cannot read it)."""
    other = RestaurantFactory()
    StaffMembershipFactory(restaurant=other, user=staff_user, role=StaffMembership.Role.HOST)
    kept_by_other = CustomerFactory(created_by_restaurant=other, email="b-only@example.com")
    with pytest.raises(ValidationFailed) as info:
        callers.reservation_create(
            user=staff_user,
            restaurant_id=restaurant.pk,
            reservation_date=SEED_DATE,
            reservation_time=time(19),
            party_size=2,
            customer_id=kept_by_other.pk,
        )
    assert "customer_id" in info.value.details
    colleague = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user
    assert not customers_visible_to(colleague).filter(pk=kept_by_other.pk).exists()
    # The same host books A's own guests by id as before.
    own_guest = CustomerFactory(created_by_restaurant=restaurant, email="a@example.com")
    booked = callers.reservation_create(
        user=staff_user,
        restaurant_id=restaurant.pk,
        reservation_date=SEED_DATE,
        reservation_time=time(19),
        party_size=2,
        customer_id=own_guest.pk,
    )
    assert booked.customer_id == own_guest.pk
