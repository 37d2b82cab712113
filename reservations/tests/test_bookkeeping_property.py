"""One truth for the rows kept beside the reservations (issue 14): over random sequences of
bookings and transitions (book, confirm, cancel, the hold lapsing and being expired by the
sweep or by the next booking on its table or in its slot, seat, complete, no-show, move in
time, party size and table), after every step, refused or not, the occupancy rows and the
pacing counters are exactly what a recount from the reservations says:

* each reservation's occupancy rows carry its stay and hold their tables exactly while it is
  pending, confirmed or seated, and no two holding rows of a table overlap;
* the pacing counters equal the guests and parties of the reservations that count at each
  start (all but cancelled and expired), and never pass the restaurant's limits."""

import contextlib
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.actors import SYSTEM, Actor
from reservations.models import Occupancy, Reservation
from reservations.services import (
    holds_expire_lapsed,
    reservation_book,
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
    ReservationFactory,
    open_every_day,
    pace_counts,
    stored_pace,
)
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

Status = Reservation.Status
STARTS = [time(18), time(18, 15), time(19), time(19, 15), time(20), time(21, 30)]
# Clock moves: a minute, past a hold's 15 minutes, a day, and to 19:20 on the evening of
# the bookings (after the first starts: seating and no-shows then).
EVENING = datetime(2025, 8, 30, 17, 20, tzinfo=UTC)
WAITS = [timedelta(minutes=1), timedelta(minutes=16), timedelta(days=1), None]

index = st.integers(0, 30)
bookings = st.tuples(
    st.just("book"),
    st.sampled_from(range(len(STARTS))),
    st.integers(1, 4),
    st.none() | st.integers(0, 2),
)
# Bookings three times as often as any other step, so slots fill up and limits are reached.
steps = st.one_of(
    bookings,
    bookings,
    bookings,
    st.tuples(st.sampled_from(["confirm", "cancel", "seat", "complete", "no_show"]), index),
    st.tuples(
        st.just("move"),
        index,
        st.none() | st.sampled_from(range(len(STARTS))),
        st.none() | st.integers(1, 4),
        st.none() | st.integers(0, 2),
    ),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("wait"), st.sampled_from(range(len(WAITS)))),
)


def check(restaurant) -> None:
    limits = (restaurant.max_covers_per_slot, restaurant.max_parties_per_slot)
    holding = []
    for reservation in Reservation.objects.filter(restaurant=restaurant):
        rows = list(Occupancy.objects.filter(reservation=reservation).order_by("table_id"))
        assert rows and rows[0].table_id == reservation.table_id
        for row in rows:
            assert row.holds is (reservation.status in Reservation.ACTIVE_STATUSES), (
                reservation.status
            )
            assert (row.start_at, row.end_at) == (reservation.start_at, reservation.end_at)
            if row.holds:
                holding.append(row)
    for i, a in enumerate(holding):
        for b in holding[i + 1 :]:
            assert not (
                a.table_id == b.table_id and a.start_at < b.end_at and b.start_at < a.end_at
            )
    counters = stored_pace(restaurant.pk)
    assert counters == pace_counts(restaurant.pk)
    for covers, parties in counters.values():
        assert limits[0] is None or covers <= limits[0]
        assert limits[1] is None or parties <= limits[1]


def run(step, *, restaurant, tables, guest, host, made, traveller) -> None:
    kind = step[0]
    if kind == "book":
        _, start, party, table = step
        made.append(
            reservation_book(
                restaurant=restaurant,
                guest=guest,
                reservation_date=SEED_DATE,
                reservation_time=STARTS[start],
                party_size=party,
                table_id=None if table is None else tables[table].pk,
                actor=host,
                source=Reservation.Source.STAFF,
            )
        )
        return
    if kind == "sweep":
        holds_expire_lapsed(actor=SYSTEM)
        return
    if kind == "wait":
        wait = WAITS[step[1]]
        moment = EVENING if wait is None else datetime.now(UTC) + wait
        traveller.move_to(max(moment, datetime.now(UTC)))
        return
    if not made:
        return
    reservation = Reservation.objects.get(pk=made[step[1] % len(made)].pk)
    if kind == "move":
        _, _, start, party, table = step
        data = {}
        if start is not None:
            data["reservation_time"] = STARTS[start]
        if party is not None:
            data["party_size"] = party
        if table is not None:
            data["table_id"] = tables[table].pk
        reservation_change(reservation=reservation, actor=host, data=data)
        return
    transition = {
        "confirm": reservation_confirm,
        "cancel": reservation_cancel,
        "seat": reservation_seat,
        "complete": reservation_complete,
        "no_show": reservation_mark_no_show,
    }[kind]
    transition(reservation=reservation, actor=host)


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    covers=st.sampled_from([None, 3, 5, 8]),
    parties=st.sampled_from([None, None, 1, 2]),
    joined=st.booleans(),
    script=st.lists(steps, min_size=4, max_size=24),
)
def test_occupancy_and_pacing_match_a_recount_after_every_step(covers, parties, joined, script):
    cache.clear()
    with time_machine.travel(NOW, tick=False) as traveller, transaction.atomic():
        restaurant = RestaurantFactory(
            slot_interval_minutes=15,
            default_duration_minutes=90,
            min_notice_minutes=60,
            hold_minutes=15,
            max_covers_per_slot=covers,
            max_parties_per_slot=parties,
        )
        open_every_day(restaurant)
        tables = [
            TableFactory(restaurant=restaurant, number=str(n + 1), capacity=4) for n in range(3)
        ]
        user = StaffMembershipFactory(
            restaurant=restaurant, role=StaffMembership.Role.HOST, user=UserFactory()
        ).user
        host = Actor.host(user, restaurant.pk)
        guest = CustomerFactory(created_by_restaurant=restaurant)
        made = []
        if joined and covers is None and parties is None:
            # A party of six at tables 1 and 2 (a seating the booking core may choose).
            made.append(
                ReservationFactory(
                    table=tables[0],
                    tables=[tables[1]],
                    party_size=6,
                    customer=guest,
                    reservation_date=SEED_DATE,
                    reservation_time=time(22),
                    status=Status.PENDING,
                )
            )
        check(restaurant)
        for step in script:
            # A refusal changes nothing: the check below says so.
            with contextlib.suppress(ApplicationError):
                run(
                    step,
                    restaurant=restaurant,
                    tables=tables,
                    guest=guest,
                    host=host,
                    made=made,
                    traveller=traveller,
                )
            check(restaurant)
        transaction.set_rollback(True)
