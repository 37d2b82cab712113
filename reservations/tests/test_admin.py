"""The reservations admin: the list, its filters and search, and actions that go through the
services one reservation at a time, reporting refusals as messages."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages

from customers.tests.factories import UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory, put_in_status
from restaurants.tests.factories import RestaurantFactory, TableFactory

Status = Reservation.Status
LIST = "/admin/reservations/reservation/"


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_the_list_shows_restaurant_table_guest_local_start_and_status(admin_client, book, guest):
    reservation = book()
    page = admin_client.get(LIST).content.decode()
    assert reservation.restaurant.name in page
    assert f'<td class="field-tables">{reservation.table.number}</td>' in page
    assert guest.full_name in page
    assert "2025-08-30 19:00 CEST" in page
    assert "Pending" in page


def test_a_party_at_joined_tables_shows_every_table(admin_client, restaurant, table, clock):
    second = TableFactory(restaurant=restaurant, number="2", capacity=4)
    reservation = ReservationFactory(table=table, tables=[second], party_size=6)
    page = admin_client.get(LIST).content.decode()
    assert f'<td class="field-tables">{table.number} + 2</td>' in page
    detail = admin_client.get(f"{LIST}{reservation.pk}/change/").content.decode()
    assert f"{table.number} + 2" in detail


def test_filters_by_status_restaurant_and_date(admin_client, book, restaurant):
    saturday = book()
    sunday = put_in_status(
        book(reservation_date=saturday.reservation_date + timedelta(days=1)), "cancelled"
    )
    # The restaurant filter offers the restaurants of the listed reservations (and is
    # shown only when there are two or more).
    elsewhere = ReservationFactory(start_at=saturday.start_at + timedelta(days=2))

    def shown(query):
        response = admin_client.get(LIST + query)
        assert response.status_code == 200
        return {r.pk for r in response.context["cl"].result_list}

    assert shown("?status__exact=cancelled") == {sunday.pk}
    assert shown(f"?restaurant__id__exact={restaurant.pk}") == {saturday.pk, sunday.pk}
    assert shown(f"?restaurant__id__exact={elsewhere.restaurant_id}") == {elsewhere.pk}
    assert shown(f"?restaurant__id__exact={RestaurantFactory().pk}") == set()
    assert shown(
        "?reservation_date__day=30&reservation_date__month=8&reservation_date__year=2025"
    ) == {saturday.pk}


def test_search_by_guest_name_email_or_id(admin_client, book, other_guest, guest):
    mine = book()
    theirs = book(
        customer_id=other_guest.pk, reservation_time=mine.reservation_time.replace(hour=21)
    )
    for term, expected in (
        (guest.last_name, mine),
        (other_guest.email.upper(), theirs),
        (str(theirs.pk)[:8], theirs),
    ):
        response = admin_client.get(LIST, {"q": term})
        assert response.status_code == 200
        shown = {r.pk for r in response.context["cl"].result_list}
        assert expected.pk in shown, term
    response = admin_client.get(LIST, {"q": str(mine.pk)})
    assert [r.pk for r in response.context["cl"].result_list] == [mine.pk]


def test_reservations_are_never_deleted_and_the_change_page_shows_the_row(admin_client, book):
    reservation = book()
    assert admin_client.get(LIST + "add/").status_code == 200
    assert admin_client.get(f"{LIST}{reservation.pk}/delete/").status_code == 403
    page = admin_client.get(f"{LIST}{reservation.pk}/change/")
    assert page.status_code == 200 and reservation.manage_token in page.content.decode()


def run_action(admin_client, action, reservations):
    return admin_client.post(
        LIST,
        {"action": action, "_selected_action": [str(r.pk) for r in reservations]},
        follow=True,
    )


def test_confirm_action_confirms_each_and_reports_refusals(admin_client, book):
    pending = book()
    done = put_in_status(
        book(reservation_time=pending.reservation_time.replace(hour=21)), "completed"
    )
    response = run_action(admin_client, "confirm_selected", [pending, done])
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    pending.refresh_from_db()
    done.refresh_from_db()
    assert pending.status == Status.CONFIRMED and pending.confirmed_at is not None
    assert done.status == Status.COMPLETED
    assert any("1 reservation(s) confirmed" in m for m in messages)
    assert any("cannot be confirmed" in m for m in messages)


def test_cancel_action_goes_through_the_service(admin_client, book):
    reservation = book()
    run_action(admin_client, "cancel_selected", [reservation])
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert reservation.cancelled_at is not None
    assert reservation.cancellation_reason == "Cancelled in the admin."


def test_no_show_action_only_after_the_start(admin_client, book, clock):
    reservation = put_in_status(book(), Status.CONFIRMED)
    response = run_action(admin_client, "mark_no_show_selected", [reservation])
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("after the reservation's start" in m for m in messages)
    clock.move_to(reservation.start_at + timedelta(minutes=20))
    run_action(admin_client, "mark_no_show_selected", [reservation])
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW
