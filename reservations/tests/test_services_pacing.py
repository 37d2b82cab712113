"""Pacing (issue 14): the guests and parties that may start within one slot interval. Every
path that makes a reservation count or stop counting keeps its slot's counter, with limits
or without; a booking or change that would pass a limit is 409 ``pacing_limit`` and writes
nothing; availability leaves out what booking would refuse."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import PacingLimit
from notifications.models import Notification
from reservations.actors import SYSTEM, Actor
from reservations.availability import compute_days
from reservations.models import Reservation, SlotPace
from reservations.services import (
    holds_expire_lapsed,
    reservation_cancel,
    reservation_change,
    reservation_complete,
    reservation_confirm,
    reservation_mark_no_show,
    reservation_seat,
)
from reservations.tests.factories import (
    NOW,
    SEED_DATE,
    SEED_TIME,
    ReservationFactory,
    pace_counts,
    stored_pace,
)
from restaurants import services as restaurant_services
from restaurants.tests.factories import TableFactory

pytestmark = pytest.mark.django_db
Status = Reservation.Status
# The seed's 19:00 in Madrid (summer time).
SEED_START = datetime(2025, 8, 30, 17, 0, tzinfo=UTC)
PACE_UPDATE = 'UPDATE "reservations_slotpace"'


def limit(restaurant, *, covers=None, parties=None):
    restaurant_services.restaurant_update(
        restaurant=restaurant,
        data={"max_covers_per_slot": covers, "max_parties_per_slot": parties},
    )


def counted(restaurant) -> dict[datetime, tuple[int, int]]:
    """The stored counters, checked against a recount from the reservations."""
    stored = stored_pace(restaurant.pk)
    assert stored == pace_counts(restaurant.pk)
    return stored


@pytest.fixture
def tables(restaurant, table):
    """The fixture's table 1 and three more four-tops."""
    more = [TableFactory(restaurant=restaurant, number=str(n), capacity=4) for n in (2, 3, 4)]
    return [table, *more]


def offered_times(restaurant, party_size=2, now=None) -> list[str]:
    [day] = compute_days(
        restaurant=restaurant, days=[SEED_DATE], party_size=party_size, area=None, now=now or NOW
    ).values()
    return [slot["time"] for slot in day.slots]


# --- counting ----------------------------------------------------------------------------------


def test_a_booking_counts_at_its_start_without_any_limit(book, restaurant, tables):
    book(party_size=2)
    book(party_size=3, table_id=tables[1].pk)
    book(party_size=4, table_id=tables[2].pk, reservation_time=time(21))
    assert counted(restaurant) == {
        SEED_START: (5, 2),
        SEED_START + timedelta(hours=2): (4, 1),
    }


def test_a_limit_set_later_counts_the_reservations_already_made(book, restaurant, tables):
    book(party_size=3)
    limit(restaurant, covers=4)
    with pytest.raises(PacingLimit):
        book(party_size=2, table_id=tables[1].pk)
    assert book(party_size=1, table_id=tables[1].pk).party_size == 1
    assert counted(restaurant) == {SEED_START: (4, 2)}


def test_over_the_covers_limit_is_409_naming_the_slot_and_nothing_is_written(
    book, restaurant, tables
):
    limit(restaurant, covers=5)
    book(party_size=4)
    before = (Reservation.objects.count(), Notification.objects.count())
    with pytest.raises(PacingLimit) as refused:
        book(party_size=2, table_id=tables[1].pk)
    error = refused.value
    assert error.status == 409 and error.code == "pacing_limit"
    assert "19:00" in error.message and "5 guests" in error.message
    assert error.details == {
        "limit": "max_covers_per_slot",
        "max": 5,
        "slot": {
            "start_at": "2025-08-30T17:00:00Z",
            "reservation_date": "2025-08-30",
            "reservation_time": "19:00",
            "minutes": 15,
        },
    }
    assert (Reservation.objects.count(), Notification.objects.count()) == before
    assert counted(restaurant) == {SEED_START: (4, 1)}


def test_over_the_parties_limit_is_409_too(book, restaurant, tables):
    limit(restaurant, parties=2)
    book(party_size=1)
    book(party_size=1, table_id=tables[1].pk)
    with pytest.raises(PacingLimit) as refused:
        book(party_size=1, table_id=tables[2].pk)
    assert refused.value.details["limit"] == "max_parties_per_slot"
    assert "2 parties" in refused.value.message
    # Other slots are paced on their own.
    book(party_size=1, table_id=tables[2].pk, reservation_time=time(19, 15))
    assert counted(restaurant) == {SEED_START: (2, 2), SEED_START + timedelta(minutes=15): (1, 1)}


def test_without_a_table_a_pacing_refusal_does_not_try_the_other_tables(book, restaurant, tables):
    limit(restaurant, covers=2)
    book(party_size=2)
    with CaptureQueriesContext(connection) as queries, pytest.raises(PacingLimit):
        book(party_size=2, table_id=None)
    # One transaction: the counter's guarded update, its insert and the update again, once.
    updates = [q for q in queries.captured_queries if q["sql"].startswith(PACE_UPDATE)]
    assert len(updates) == 2


# --- the state machine -------------------------------------------------------------------------


@pytest.mark.parametrize("confirmed", [False, True])
def test_cancelling_gives_the_place_back(book, restaurant, tables, host_actor, confirmed):
    limit(restaurant, covers=4)
    first = book(party_size=4)
    if confirmed:
        reservation_confirm(reservation=first, actor=host_actor)
    assert counted(restaurant) == {SEED_START: (4, 1)}
    reservation_cancel(reservation=first, actor=host_actor)
    assert counted(restaurant) == {}
    assert book(party_size=4, table_id=tables[1].pk).status == Status.PENDING


def test_confirming_seating_completing_and_no_shows_keep_counting(
    book, restaurant, tables, host_actor, clock
):
    served = book(party_size=2)
    absent = book(party_size=3, table_id=tables[1].pk)
    for reservation in (served, absent):
        reservation_confirm(reservation=reservation, actor=host_actor)
    assert counted(restaurant) == {SEED_START: (5, 2)}
    clock.move_to(SEED_START + timedelta(minutes=20))
    reservation_seat(reservation=served, actor=host_actor)
    reservation_mark_no_show(reservation=absent, actor=host_actor)
    assert counted(restaurant) == {SEED_START: (5, 2)}
    reservation_complete(reservation=served, actor=host_actor)
    assert counted(restaurant) == {SEED_START: (5, 2)}


def test_the_sweep_gives_the_places_of_lapsed_holds_back(book, restaurant, tables, clock):
    book(party_size=2)
    book(party_size=3, table_id=tables[1].pk, reservation_time=time(21))
    clock.move_to(NOW + timedelta(minutes=16))
    assert holds_expire_lapsed(actor=SYSTEM) == 2
    assert counted(restaurant) == {}


def test_a_booking_on_the_table_of_a_lapsed_hold_gives_its_place_back(book, restaurant, clock):
    book(party_size=4)
    clock.move_to(NOW + timedelta(minutes=16))
    book(party_size=2)  # the same table: the lapsed hold is expired first
    assert Reservation.objects.filter(status=Status.EXPIRED).count() == 1
    assert counted(restaurant) == {SEED_START: (2, 1)}


def test_a_lapsed_hold_never_keeps_a_place_in_a_full_slot(book, restaurant, tables, clock):
    """Under a limit, a booking expires the lapsed holds counted in its slot, on any table,
    whether or not the sweep has run; availability already offers the place."""
    limit(restaurant, covers=4)
    lapsing = book(party_size=4)
    assert "19:00" not in offered_times(restaurant, 2)
    clock.move_to(lapsing.expires_at + timedelta(seconds=1))
    assert "19:00" in offered_times(restaurant, 2, now=lapsing.expires_at + timedelta(seconds=1))
    book(party_size=2, table_id=tables[1].pk)
    lapsing.refresh_from_db()
    assert lapsing.status == Status.EXPIRED
    assert counted(restaurant) == {SEED_START: (2, 1)}


def test_the_place_of_a_lapsed_hold_makes_no_room_beyond_the_limit(book, restaurant, clock):
    """The hold given back and the new party in one slot in one transaction: the new party
    alone must still fit (a party of 3 in place of a lapsed 3 under a limit of 2)."""
    lapsing = book(party_size=3)
    limit(restaurant, covers=2)
    clock.move_to(lapsing.expires_at + timedelta(seconds=1))
    with pytest.raises(PacingLimit):
        book(party_size=3)  # on the hold's table: it is expired in the same transaction
    lapsing.refresh_from_db()
    assert lapsing.status == Status.PENDING  # rolled back with the refusal
    assert counted(restaurant) == {SEED_START: (3, 1)}
    book(party_size=2)
    assert counted(restaurant) == {SEED_START: (2, 1)}
    assert Reservation.objects.get(pk=lapsing.pk).status == Status.EXPIRED


# --- changes -----------------------------------------------------------------------------------


def change(reservation, **data):
    """Change as the restaurant's host who booked it (``book``'s)."""
    return reservation_change(
        reservation=reservation,
        actor=Actor.host(reservation.created_by, reservation.restaurant_id),
        data=data,
    )


def test_a_move_takes_the_new_slot_and_gives_the_old_back(book, restaurant):
    reservation = book(party_size=3)
    change(reservation, reservation_time=time(21))
    assert counted(restaurant) == {SEED_START + timedelta(hours=2): (3, 1)}


def test_a_party_growing_or_shrinking_in_its_slot_changes_its_guests_only(book, restaurant, tables):
    reservation = book(party_size=2)
    book(party_size=1, table_id=tables[1].pk)
    grown = change(reservation, party_size=4)
    assert counted(restaurant) == {SEED_START: (5, 2)}
    change(grown, party_size=1)
    assert counted(restaurant) == {SEED_START: (2, 2)}


def test_a_refused_move_leaves_everything_as_it_was(book, restaurant, tables):
    limit(restaurant, covers=4)
    mine = book(party_size=3)
    book(party_size=3, table_id=tables[1].pk, reservation_time=time(21))
    book(party_size=1, table_id=tables[2].pk)
    before = counted(restaurant)
    with pytest.raises(PacingLimit) as refused:
        change(mine, reservation_time=time(21))
    assert refused.value.details["slot"]["reservation_time"] == "21:00"
    mine.refresh_from_db()
    assert (mine.reservation_time, mine.start_at) == (SEED_TIME, SEED_START)
    assert counted(restaurant) == before
    with pytest.raises(PacingLimit):
        change(mine, party_size=4)  # 4 + 1 > 4 in its own slot
    assert counted(restaurant) == before


def test_a_slot_over_a_lowered_limit_still_lets_a_party_shrink_or_change_table(
    book, restaurant, tables
):
    mine = book(party_size=4)
    book(party_size=4, table_id=tables[1].pk)
    limit(restaurant, covers=6)
    smaller = change(mine, party_size=3)
    moved = change(smaller, table_id=tables[2].pk)
    assert moved.table_id == tables[2].pk
    assert counted(restaurant) == {SEED_START: (7, 2)}
    with pytest.raises(PacingLimit):
        change(moved, party_size=4)


def test_a_move_between_two_slots_updates_them_in_slot_order(book, restaurant):
    """Every transaction changes its counters in one order (by start), so two moves crossing
    each other's slots cannot deadlock on them."""
    later = book(party_size=2, reservation_time=time(21))
    book(party_size=2, reservation_time=time(18, 0))  # the 18:00 counter exists
    other = TableFactory(restaurant=restaurant, number="9", capacity=4)
    with CaptureQueriesContext(connection) as queries:
        change(later, reservation_time=time(18, 0), table_id=other.pk)
    touched = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(PACE_UPDATE)]
    assert len(touched) == 2
    assert "16:00:00" in touched[0] and "19:00:00" in touched[1]  # 18:00 before 21:00 local


# --- the interval --------------------------------------------------------------------------------


def test_reservations_off_a_new_grid_count_in_the_interval_they_start_in(book, restaurant, tables):
    """Booked at 19:15 on a 15-minute grid, then the grid becomes 30 minutes: the 19:15
    party starts within the 19:00 interval and counts there, for booking and availability."""
    book(party_size=3, reservation_time=time(19, 15))
    restaurant_services.restaurant_update(
        restaurant=restaurant, data={"slot_interval_minutes": 30, "max_covers_per_slot": 4}
    )
    restaurant.refresh_from_db()
    assert "19:00" not in offered_times(restaurant, 2)
    assert "19:00" in offered_times(restaurant, 1) and "19:30" in offered_times(restaurant, 2)
    with pytest.raises(PacingLimit):
        book(party_size=2, table_id=tables[1].pk)
    book(party_size=1, table_id=tables[1].pk)
    assert counted(restaurant) == {SEED_START: (1, 1), SEED_START + timedelta(minutes=15): (3, 1)}


def test_availability_leaves_out_the_starts_a_party_would_push_over(book, restaurant, tables):
    limit(restaurant, covers=6, parties=3)
    book(party_size=4)
    assert "19:00" in offered_times(restaurant, 2)
    assert "19:00" not in offered_times(restaurant, 3)
    for party_size, table in zip([2, 1, 1], tables[1:], strict=True):
        book(party_size=party_size, table_id=table.pk, reservation_time=time(22))
    # Table 1 is free at 22:00, but three parties start then.
    assert "22:00" not in offered_times(restaurant, 1)
    assert {"19:15", "21:45"} <= set(offered_times(restaurant, 4))


def test_availability_counts_with_two_more_queries_only_under_limits(restaurant, tables, clock):
    for n, table in enumerate(tables):
        ReservationFactory(table=table, start_at=SEED_START + timedelta(minutes=15 * n))
    with CaptureQueriesContext(connection) as without:
        compute_days(restaurant=restaurant, days=[SEED_DATE], party_size=2, area=None, now=NOW)
    limit(restaurant, covers=8)
    with CaptureQueriesContext(connection) as limited:
        compute_days(restaurant=restaurant, days=[SEED_DATE], party_size=2, area=None, now=NOW)
    assert len(limited) == len(without) + 2


def test_the_counters_rows_are_created_once_per_slot(book, restaurant, tables):
    book(party_size=2)
    book(party_size=2, table_id=tables[1].pk)
    assert SlotPace.objects.filter(restaurant=restaurant).count() == 1
