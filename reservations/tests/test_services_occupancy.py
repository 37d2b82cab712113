"""Table occupancy (issue 14): every reservation holds its tables through one row per table,
written by the booking core and the state machine in the transaction that changes the
reservation; a reservation at joined tables blocks each of them."""

from datetime import time, timedelta

import pytest

from core.errors import SlotUnavailable
from reservations.availability import compute_days
from reservations.models import Occupancy, Reservation
from reservations.selectors import reservation_list, table_has_reservations_ahead
from reservations.services import (
    reservation_cancel,
    reservation_change,
    reservation_complete,
    reservation_confirm,
    reservation_mark_no_show,
    reservation_seat,
)
from reservations.tests.factories import NOW, SEED_DATE, SEED_TIME, ReservationFactory
from restaurants.tests.factories import TableFactory

pytestmark = pytest.mark.django_db
Status = Reservation.Status


def rows(reservation) -> list[tuple[int, bool]]:
    return list(
        Occupancy.objects.filter(reservation=reservation)
        .order_by("table_id")
        .values_list("table_id", "holds")
    )


def test_a_booking_holds_its_table_for_its_stay(book, table):
    reservation = book()
    [occupancy] = Occupancy.objects.filter(reservation=reservation)
    assert (occupancy.table_id, occupancy.holds) == (table.pk, True)
    assert (occupancy.start_at, occupancy.end_at) == (reservation.start_at, reservation.end_at)


def test_confirming_and_seating_keep_the_table_completing_frees_it(book, host_actor, clock):
    reservation = book()
    reservation_confirm(reservation=reservation, actor=host_actor)
    assert rows(reservation) == [(reservation.table_id, True)]
    reservation_seat(reservation=reservation, actor=host_actor)
    assert rows(reservation) == [(reservation.table_id, True)]
    reservation_complete(reservation=reservation, actor=host_actor)
    assert rows(reservation) == [(reservation.table_id, False)]


@pytest.mark.parametrize("confirmed", [False, True])
def test_cancelling_frees_the_table_for_the_next_booking(book, host_actor, confirmed):
    reservation = book()
    if confirmed:
        reservation_confirm(reservation=reservation, actor=host_actor)
    reservation_cancel(reservation=reservation, actor=host_actor)
    assert rows(reservation) == [(reservation.table_id, False)]
    assert book().status == Status.PENDING  # the same table and time again


def test_a_no_show_frees_the_table(book, host_actor, clock):
    reservation = book()
    reservation_confirm(reservation=reservation, actor=host_actor)
    clock.move_to(reservation.start_at + timedelta(minutes=20))
    reservation_mark_no_show(reservation=reservation, actor=host_actor)
    assert rows(reservation) == [(reservation.table_id, False)]


def test_a_lapsed_hold_is_expired_and_freed_by_the_next_booking(book, restaurant, clock):
    first = book()
    clock.move_to(first.expires_at + timedelta(seconds=1))
    second = book()
    first.refresh_from_db()
    assert first.status == Status.EXPIRED and rows(first) == [(first.table_id, False)]
    assert rows(second) == [(second.table_id, True)]


def test_a_move_carries_the_rows_along_and_a_new_table_replaces_them(book, restaurant, host_actor):
    reservation = book()
    later = reservation_change(
        reservation=reservation, actor=host_actor, data={"reservation_time": time(19, 30)}
    )
    [occupancy] = Occupancy.objects.filter(reservation=reservation)
    assert (occupancy.start_at, occupancy.end_at) == (later.start_at, later.end_at)

    other = TableFactory(restaurant=restaurant, number="9", capacity=4)
    moved = reservation_change(reservation=later, actor=host_actor, data={"table_id": other.pk})
    assert moved.table_id == other.pk and rows(moved) == [(other.pk, True)]
    assert book().table_id == reservation.table_id  # the first table is free again


@pytest.fixture
def joined(restaurant, table, clock):
    """A confirmed party of six at ``table`` and a second table, at the seed's time."""
    second = TableFactory(restaurant=restaurant, number="2", capacity=4)
    reservation = ReservationFactory(
        table=table,
        tables=[second],
        party_size=6,
        reservation_date=SEED_DATE,
        reservation_time=SEED_TIME,
    )
    return reservation, second


def test_a_reservation_at_joined_tables_blocks_each_of_them(book, joined, restaurant, clock):
    _reservation, second = joined
    with pytest.raises(SlotUnavailable) as refused:
        book(table_id=second.pk, reservation_time=time(19, 30))
    assert refused.value.details["table_id"] == second.pk

    [day] = compute_days(
        restaurant=restaurant, days=[SEED_DATE], party_size=2, area=None, now=NOW
    ).values()
    offered = [s["time"] for s in day.slots]
    assert "13:00" in offered and f"{SEED_TIME:%H:%M}" not in offered


def test_the_second_table_of_joined_tables_has_its_reservation(joined, staff_user):
    reservation, second = joined
    assert table_has_reservations_ahead(second)
    listed = reservation_list(user=staff_user, filters={"table_id": second.pk})
    assert list(listed) == [reservation]
