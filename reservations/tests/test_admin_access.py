"""The reservations admin, cell by cell (docs/admin.md): who reaches the list, the add page, the
change page and the actions (a superuser; the manager of R; the manager of S; the host of R; a
guest account; nobody signed in), and that every write is the booking core's or a
transition's, with its refusals shown as the API shows them."""

from datetime import time, timedelta

import pytest
from django.contrib.messages import get_messages

from core.tests.assertions import ADMIN_KEPT_OUT, ADMIN_ROLES, assert_missing, assert_sent_to_login
from customers.models import Customer
from customers.tests.factories import UserFactory
from reservations.callers import admin_reservation_change, reservation_create
from reservations.models import Occupancy, Reservation
from reservations.tests.factories import SEED_DATE, open_every_day, put_in_status
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

Status = Reservation.Status
LIST = "/admin/reservations/reservation/"
ADD = LIST + "add/"
WHO = ADMIN_ROLES
# Who may use the admin for each restaurant's reservations.
SEES_R = {"superuser", "manager_r"}
SEES_S = {"superuser", "manager_s"}
KEPT_OUT = ADMIN_KEPT_OUT


def change_url(reservation):
    return f"{LIST}{reservation.pk}/change/"


@pytest.fixture
def other_restaurant(db):
    """S: another restaurant with its own table and manager."""
    other = RestaurantFactory(name="Casa Ese", timezone="America/New_York")
    TableFactory(restaurant=other, number="S1", capacity=4)
    return other


@pytest.fixture
def cast(restaurant, other_restaurant, staff_user, guest_user):
    manager = StaffMembership.Role.MANAGER
    return {
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "manager_r": StaffMembershipFactory(restaurant=restaurant, role=manager).user,
        "manager_s": StaffMembershipFactory(restaurant=other_restaurant, role=manager).user,
        "host_r": staff_user,
        "guest": guest_user,
        "anonymous": None,
    }


@pytest.fixture
def r_booking(book):
    return book()


@pytest.fixture
def s_booking(other_restaurant, clock):
    """A confirmed reservation of S, for a guest of S's own."""
    table = other_restaurant.tables.get()
    open_every_day(other_restaurant)
    booked = reservation_create(
        user=UserFactory(is_superuser=True),
        restaurant_id=other_restaurant.pk,
        customer={"first_name": "Sam", "email": "sam@example.com"},
        table_id=table.pk,
        reservation_date=SEED_DATE,
        reservation_time=time(19, 0),
        party_size=2,
    )
    return put_in_status(booked, Status.CONFIRMED)


# --- the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_the_list_shows_each_their_own_restaurants_reservations(sign_in, who, r_booking, s_booking):
    response = sign_in(who).get(LIST)
    if who in KEPT_OUT:
        assert_sent_to_login(response, LIST)
        return
    assert response.status_code == 200
    shown = {r.pk for r in response.context["cl"].result_list}
    expected = {r_booking.pk} if who in SEES_R else set()
    expected |= {s_booking.pk} if who in SEES_S else set()
    assert shown == expected
    page = response.content.decode()
    # Not even a filter names a restaurant outside the manager's scope.
    outside = {"manager_r": s_booking, "manager_s": r_booking}.get(who)
    if outside is not None:
        assert outside.restaurant.name not in page
        assert outside.customer.email not in page


def test_a_manager_filtering_by_the_other_restaurant_sees_nothing(sign_in, s_booking, r_booking):
    response = sign_in("manager_r").get(LIST, {"restaurant__id__exact": s_booking.restaurant_id})
    assert {r.pk for r in response.context["cl"].result_list} <= {r_booking.pk}
    assert s_booking.pk not in {r.pk for r in response.context["cl"].result_list}
    response = sign_in("manager_r").get(LIST, {"q": "sam@example.com"})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    "query",
    [{"status__exact": "\x00"}, {"status__exact": "pending\x00"}],
)
def test_a_filter_with_a_nul_character_is_refused_as_django_refuses_a_bad_filter(
    sign_in, r_booking, query
):
    # PostgreSQL text cannot hold NUL: the filter's query was a server error.
    response = sign_in("manager_r").get(LIST, query)
    assert response.status_code == 302
    assert response["Location"] == LIST + "?e=1"


# --- the change page ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_the_change_page_of_rs_reservation(sign_in, who, r_booking):
    url = change_url(r_booking)
    response = sign_in(who).get(url)
    if who in KEPT_OUT:
        assert_sent_to_login(response, url)
    elif who in SEES_R:
        assert response.status_code == 200
        assert r_booking.manage_token in response.content.decode()
    else:
        assert_missing(response)


def test_the_change_page_shows_utc_instants_with_the_local_time_and_zone(sign_in, r_booking):
    page = sign_in("manager_r").get(change_url(r_booking)).content.decode()
    assert "Times: UTC, then local in Europe/Madrid" in page
    # Saturday 19:00 in Madrid (summer time) is 17:00 UTC.
    assert "2025-08-30 17:00 UTC · 2025-08-30 19:00 CEST (Europe/Madrid)" in page
    assert "2025-08-30 18:30 UTC · 2025-08-30 20:30 CEST (Europe/Madrid)" in page
    assert "Local time in Europe/Madrid." in page


def test_another_zone_is_labelled_with_its_own(sign_in, s_booking):
    page = sign_in("superuser").get(change_url(s_booking)).content.decode()
    assert "2025-08-30 23:00 UTC · 2025-08-30 19:00 EDT (America/New_York)" in page


def change_body(reservation, **changes):
    body = {
        "reservation_date": reservation.reservation_date.isoformat(),
        "reservation_time": reservation.reservation_time.strftime("%H:%M"),
        "party_size": str(reservation.party_size),
        "tables": [str(o.table_id) for o in reservation.occupancies.all()],
        "notes": reservation.notes,
        "allergies": reservation.allergies,
        "seen": reservation.updated_at.isoformat(),
    }
    body.update(changes)
    return body


# Who may change R's reservations and book at R in the admin: each POST runs for both.
ADMINS_OF_R = sorted(SEES_R)


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_a_reservation_is_moved_through_the_core(sign_in, who, r_booking):
    response = sign_in(who).post(
        change_url(r_booking), change_body(r_booking, reservation_time="20:15", notes="Window")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    r_booking.refresh_from_db()
    assert r_booking.reservation_time == time(20, 15)
    assert r_booking.notes == "Window"
    # The core moved the table's occupancy with it: a row written around it would not.
    occupancy = Occupancy.objects.get(reservation=r_booking)
    assert (occupancy.start_at, occupancy.end_at) == (r_booking.start_at, r_booking.end_at)
    assert r_booking.start_at.isoformat() == "2025-08-30T18:15:00+00:00"


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_a_change_onto_a_taken_table_is_refused_with_the_apis_message(
    sign_in, who, book, r_booking, api_client, cast
):
    later = book(reservation_time=time(21, 0))
    body = change_body(later, reservation_time="19:30")
    api_client.force_authenticate(cast["manager_r"])
    api = api_client.patch(
        f"/api/reservations/{later.pk}/", {"reservation_time": "19:30"}, format="json"
    )
    assert api.status_code == 409
    response = sign_in(who).post(change_url(later), body)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [api.json()["message"]]
    later.refresh_from_db()
    assert later.reservation_time == time(21, 0)


def test_a_submit_over_a_later_change_is_refused_not_applied(sign_in, r_booking, cast):
    read = change_body(r_booking, notes="Birthday")
    # Meanwhile someone else moves it to 20:00 (the page read still says 19:00).
    moved = admin_reservation_change(
        user=cast["superuser"], reservation=r_booking, data={"reservation_time": time(20, 0)}
    )
    response = sign_in("manager_r").post(change_url(r_booking), read)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "The reservation was changed meanwhile; reload the page and make the change again."
    ]
    r_booking.refresh_from_db()
    assert (r_booking.reservation_time, r_booking.notes) == (moved.reservation_time, "")


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_a_field_the_core_refuses_is_an_error_next_to_it(sign_in, who, r_booking):
    # Midnight is outside the opening hours: the core's 400 names reservation_time.
    response = sign_in(who).post(
        change_url(r_booking), change_body(r_booking, reservation_time="03:00")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reservation_time"]
    r_booking.refresh_from_db()
    assert r_booking.reservation_time == time(19, 0)


def test_a_manager_of_s_cannot_change_rs_reservation(sign_in, r_booking):
    response = sign_in("manager_s").post(
        change_url(r_booking), change_body(r_booking, reservation_time="20:15")
    )
    assert_missing(response)
    r_booking.refresh_from_db()
    assert r_booking.reservation_time == time(19, 0)


# --- the add page ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_the_add_page_offers_each_their_own_restaurants(
    sign_in, who, restaurant, table, other_restaurant
):
    response = sign_in(who).get(ADD)
    if who in KEPT_OUT:
        assert_sent_to_login(response, ADD)
        return
    assert response.status_code == 200
    form = response.context["adminform"].form
    offered = set(form.fields["restaurant"].queryset)
    tables = {table.restaurant for table in form.fields["tables"].queryset}
    expected = {restaurant} if who in SEES_R else set()
    expected |= {other_restaurant} if who in SEES_S else set()
    assert offered == expected and tables == expected


def add_body(restaurant, **changes):
    body = {
        "restaurant": str(restaurant.pk),
        "reservation_date": "2025-08-30",
        "reservation_time": "19:00",
        "party_size": "2",
        "source": "phone",
        "first_name": "Lola",
        "last_name": "Vega",
        "email": "Lola@Example.com",
        "phone": "",
        "notes": "",
        "allergies": "",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_a_booking_is_made_through_the_core(sign_in, who, restaurant, table, cast, clock):
    response = sign_in(who).post(ADD, add_body(restaurant, tables=[str(table.pk)]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    booked = Reservation.objects.get()
    assert (booked.restaurant, booked.source, booked.created_by) == (
        restaurant,
        Reservation.Source.PHONE,
        cast[who],
    )
    # The core's work: a hold of the restaurant's minutes, the table's occupancy, the
    # restaurant's own guest profile found by e-mail in its normal form.
    assert booked.status == Status.PENDING and booked.expires_at is not None
    assert Occupancy.objects.get(reservation=booked).table == table
    guest = Customer.objects.get(email="lola@example.com")
    assert booked.customer == guest and guest.created_by_restaurant == restaurant
    assert response["Location"] == LIST
    # The message names the booking at the restaurant's local time, as it was entered (the
    # restaurant is not on UTC: 19:00 there is another hour in UTC).
    assert booked.start_at.astimezone(restaurant.tz).strftime("%H:%M") == "19:00"
    assert booked.start_at.strftime("%H:%M") != "19:00"
    [said] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "x2 @ 2025-08-30 19:00" in said, said


def test_a_booking_overlapping_another_is_refused_with_the_apis_409_message(
    sign_in, restaurant, table, r_booking, api_client, cast
):
    api_client.force_authenticate(cast["superuser"])
    api = api_client.post(
        "/api/reservations/",
        {
            "restaurant_id": restaurant.pk,
            "customer": {"first_name": "Lola", "email": "lola@example.com"},
            "table_ids": [table.pk],
            "reservation_date": "2025-08-30",
            "reservation_time": "19:30:00",
            "party_size": 2,
        },
        format="json",
    )
    assert api.status_code == 409 and api.json()["code"] == "slot_unavailable"
    for who in ("superuser", "manager_r"):
        response = sign_in(who).post(
            ADD, add_body(restaurant, reservation_time="19:30", tables=[str(table.pk)])
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors() == [api.json()["message"]]
    assert list(Reservation.objects.all()) == [r_booking]


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_a_booking_the_core_refuses_is_a_form_error_next_to_the_field(
    sign_in, who, restaurant, table, clock
):
    # 03:00 is outside the opening hours: the core's 400 names reservation_time.
    response = sign_in(who).post(ADD, add_body(restaurant, reservation_time="03:00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reservation_time"]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("who", ADMINS_OF_R)
def test_the_add_form_books_no_walk_in(sign_in, who, restaurant, table, clock):
    """A walk-in is a party seated now (the host stand's): the add form offers staff and
    phone only, and a POST naming walk_in is refused on the field, nothing booked."""
    page = sign_in(who).get(ADD)
    offered = [value for value, _label in page.context["adminform"].form.fields["source"].choices]
    assert offered == ["staff", "phone"]
    response = sign_in(who).post(ADD, add_body(restaurant, source="walk_in"))
    assert response.status_code == 200
    assert "source" in response.context["adminform"].form.errors
    assert not Reservation.objects.exists()


def test_a_manager_cannot_book_at_another_restaurant(sign_in, other_restaurant, clock):
    response = sign_in("manager_r").post(ADD, add_body(other_restaurant))
    assert response.status_code == 200
    assert "restaurant" in response.context["adminform"].form.errors
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("typed", ["08/30/2025", "30/08/2025", "30.08.2025"])
def test_a_date_not_written_as_yyyy_mm_dd_is_refused_never_guessed(sign_in, restaurant, typed):
    # "04/12/2026" is the 4th of December to a manager in Madrid and April 12th to Django's
    # default formats: no order of day and month is guessed.
    response = sign_in("manager_r").post(ADD, add_body(restaurant, reservation_date=typed))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reservation_date"] == ["Enter a valid date."]
    assert not Reservation.objects.exists()


def test_a_change_to_a_date_not_written_as_yyyy_mm_dd_is_refused(sign_in, r_booking):
    response = sign_in("manager_r").post(
        change_url(r_booking), change_body(r_booking, reservation_date="08/31/2025")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reservation_date"] == ["Enter a valid date."]
    r_booking.refresh_from_db()
    assert r_booking.reservation_date.isoformat() == "2025-08-30"


def test_tables_of_another_restaurant_are_refused_by_the_core(
    sign_in, restaurant, other_restaurant, clock
):
    theirs = other_restaurant.tables.get()
    response = sign_in("superuser").post(ADD, add_body(restaurant, tables=[str(theirs.pk)]))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["tables"]
    assert errors == [f"Table {theirs.pk} is not a table of this restaurant."]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("field", ["notes", "allergies"])
def test_notes_past_the_apis_length_are_a_form_error_on_add_and_change(
    sign_in, restaurant, table, r_booking, clock, field
):
    # The API and the host stand take 2000 characters; the admin took any length.
    client = sign_in("manager_r")
    response = client.post(
        ADD, add_body(restaurant, reservation_time="21:00", **{field: "x" * 2001})
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert list(Reservation.objects.all()) == [r_booking]
    page = client.get(change_url(r_booking))
    body = {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in page.context["adminform"].form.initial.items()
        if name in ("reservation_date", "party_size", "notes", "allergies", "seen")
    }
    body.update(
        reservation_time=r_booking.reservation_time.strftime("%H:%M"),
        tables=[str(table.pk)],
        **{field: "x" * 2001},
    )
    response = client.post(change_url(r_booking), body)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    r_booking.refresh_from_db()
    assert getattr(r_booking, field) == ""


# --- the actions -------------------------------------------------------------------------------


def run_action(client, action, reservations):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [str(r.pk) for r in reservations]},
        follow=True,
    )


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_every_transition_is_an_action_through_the_services(sign_in, r_booking, clock):
    client = sign_in("manager_r")
    for action, status in (
        ("confirm_selected", Status.CONFIRMED),
        ("seat_selected", Status.SEATED),
        ("complete_selected", Status.COMPLETED),
    ):
        response = run_action(client, action, [r_booking])
        r_booking.refresh_from_db()
        assert r_booking.status == status, said(response)
    assert r_booking.seated_at is not None and r_booking.completed_at is not None
    # A completed reservation cannot be seated again: the service's refusal as a message.
    response = run_action(client, "seat_selected", [r_booking])
    assert any("cannot be seated" in m for m in said(response)), said(response)


def test_cancel_and_no_show_are_actions_too(sign_in, book, clock):
    client = sign_in("manager_r")
    first = put_in_status(book(), Status.CONFIRMED)
    second = put_in_status(book(reservation_time=time(21, 0)), Status.CONFIRMED)
    run_action(client, "cancel_selected", [first])
    clock.move_to(second.start_at + timedelta(minutes=20))
    run_action(client, "mark_no_show_selected", [second])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.CANCELLED, Status.NO_SHOW)


@pytest.mark.parametrize("who", WHO)
def test_an_action_on_rs_reservation(sign_in, who, r_booking):
    response = sign_in(who).post(
        LIST, {"action": "confirm_selected", "_selected_action": [str(r_booking.pk)]}
    )
    r_booking.refresh_from_db()
    if who in KEPT_OUT:
        assert_sent_to_login(response, LIST)
        assert r_booking.status == Status.PENDING
    elif who in SEES_R:
        assert r_booking.status == Status.CONFIRMED
    else:
        assert response.status_code == 302
        assert said(response) == ["1 selected reservation(s) not found."]
        assert r_booking.status == Status.PENDING


def test_an_action_on_malformed_ids_acts_on_the_well_formed_ones_only(sign_in, r_booking):
    response = sign_in("manager_r").post(
        LIST,
        {"action": "confirm_selected", "_selected_action": ["abc", "\x00", str(r_booking.pk)]},
    )
    assert response.status_code == 302
    assert "2 selected row(s) not found." in said(response)
    r_booking.refresh_from_db()
    assert r_booking.status == Status.CONFIRMED


def test_a_manager_selecting_both_restaurants_acts_on_their_own_only(sign_in, r_booking, s_booking):
    response = run_action(sign_in("manager_s"), "seat_selected", [r_booking, s_booking])
    r_booking.refresh_from_db()
    s_booking.refresh_from_db()
    assert (r_booking.status, s_booking.status) == (Status.PENDING, Status.SEATED)
    assert "1 selected reservation(s) not found." in said(response)
