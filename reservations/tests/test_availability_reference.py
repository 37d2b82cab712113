"""Availability's computation (the cached setup, the day's stays by sorted intervals, per-slot
bit masks) against a brute-force reference written apart from it: every minute of the day
tried with booking's own check (``rules.booking_slot``), every seating built from the rows
and ranked by the documented order, every table tested against every stay that holds it, the
pacing counts summed from the reservations themselves. Random restaurants from the property
test's scenarios: zones with clock changes (the asked day is often the change's), periods
past midnight, closures, combinations, pacing limits, holds lapsed or not. The answer must be
equal, key for key and in order, uncached and cached."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings

from core.errors import ValidationFailed
from reservations import rules
from reservations.availability import days_availability
from reservations.models import Occupancy, Reservation
from reservations.tests.test_availability_property import JOINED_LUNCH, NOWS, build, scenarios
from restaurants import services as restaurant_services
from restaurants.models import Table, TableCombination


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reference_seatings(restaurant, party: int) -> list[tuple[list[Table], int, int | None]]:
    """(tables, capacity, combination id) in booking's documented order: single tables by
    capacity, minimum, number, id; then combinations (active, every table active, the party
    in their limits) by spare seats, table count, sorted numbers."""
    active = {t.pk: t for t in Table.objects.filter(restaurant=restaurant, is_active=True)}
    singles = sorted(
        (t for t in active.values() if t.min_capacity <= party <= t.capacity),
        key=lambda t: (t.capacity, t.min_capacity, t.number, t.pk),
    )
    combos = []
    for combination in TableCombination.objects.filter(restaurant=restaurant, is_active=True):
        ids = sorted(combination.tables.values_list("pk", flat=True))
        if not all(pk in active for pk in ids):
            continue
        if not combination.min_capacity <= party <= combination.capacity:
            continue
        numbers = tuple(sorted(active[pk].number for pk in ids))
        combos.append(
            (
                (combination.capacity - party, len(ids), numbers),
                [active[pk] for pk in ids],
                combination.capacity,
                combination.pk,
            )
        )
    combos.sort(key=lambda c: c[0])
    return [([t], t.capacity, None) for t in singles] + [(ts, cap, pk) for _, ts, cap, pk in combos]


def _reference_day(restaurant, local_day, party: int, now: datetime) -> list[dict]:
    context = rules.load_booking_context(restaurant, date_from=local_day, date_to=local_day)
    holding = [
        (o.table_id, o.start_at, o.end_at)
        for o in Occupancy.objects.filter(holds=True, table__restaurant=restaurant).select_related(
            "reservation"
        )
        if not (
            o.reservation.status == Reservation.Status.PENDING
            and o.reservation.expires_at is not None
            and o.reservation.expires_at <= now
        )
    ]
    counted = [
        (r.start_at, r.party_size)
        for r in Reservation.objects.filter(
            restaurant=restaurant, status__in=Reservation.PACED_STATUSES
        )
        if not (
            r.status == Reservation.Status.PENDING
            and r.expires_at is not None
            and r.expires_at <= now
        )
    ]
    interval = timedelta(minutes=restaurant.slot_interval_minutes)
    seatings = _reference_seatings(restaurant, party)
    found = []
    for minute in range(24 * 60):
        local_time = time(minute // 60, minute % 60)
        try:
            slot = rules.booking_slot(
                context, local_date=local_day, local_time=local_time, party_size=party, now=now
            )
        except ValidationFailed:
            continue
        free = [
            (tables, capacity, pk)
            for tables, capacity, pk in seatings
            if not any(
                table_id == t.pk and start < slot.end_at and slot.start_at < end
                for t in tables
                for table_id, start, end in holding
            )
        ]
        if not free:
            continue
        inside = [
            size for start, size in counted if slot.start_at <= start < slot.start_at + interval
        ]
        if restaurant.max_covers_per_slot is not None and (
            sum(inside) + party > restaurant.max_covers_per_slot
        ):
            continue
        if restaurant.max_parties_per_slot is not None and (
            len(inside) + 1 > restaurant.max_parties_per_slot
        ):
            continue
        found.append(
            {
                "time": f"{local_time:%H:%M}",
                "start_at": _iso(slot.start_at),
                "end_at": _iso(slot.end_at),
                "tables": [
                    {"id": t.pk, "number": t.number, "capacity": t.capacity, "area": t.area}
                    for tables, _, pk in free
                    if pk is None
                    for t in tables
                ],
                "seatings": [
                    {
                        "table_ids": [t.pk for t in tables],
                        "numbers": [t.number for t in tables],
                        "capacity": capacity,
                        "combination_id": pk,
                    }
                    for tables, capacity, pk in free
                ],
            }
        )
    return found


EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Madrid's autumn change (25 October 2026, 03:00 CEST -> 02:00 CET) with a night past
# midnight and 30-minute stays straddling the repeated hour.
AUTUMN_NIGHT = (
    NOWS[2],
    {
        "timezone": "Europe/Madrid",
        "slot_interval_minutes": 15,
        "default_duration_minutes": 60,
        "min_notice_minutes": 0,
        "max_days_ahead": 6,
        "min_party_size": 1,
        "max_party_size": 10,
        "max_covers_per_slot": 5,
        "max_parties_per_slot": None,
    },
    datetime(2026, 10, 25).date(),
    [[(time(18, 0), time(2, 30))]] * 7,
    [(4, 1, True), (2, 1, True), (6, 2, True)],
    [({0, 1}, None, None, True)],
    None,
    False,
    2,
    [(0, None, 60, "confirmed", False, 2), (1, 2, 90, "pending", False, 3)],
    [60, 120],
)


@pytest.mark.django_db
@EXAMPLES
@given(scenario=scenarios() | scenarios(paced=True))
@example(scenario=JOINED_LUNCH)
@example(scenario=AUTUMN_NIGHT)
def test_availability_equals_the_brute_force_reference(scenario):
    (now, policy, local_day, weeks, tables, combinations, rule, closed, party, existing, _) = (
        scenario
    )
    cache.clear()
    with time_machine.travel(now, tick=False), transaction.atomic():
        restaurant, _, _ = build(policy, weeks, tables, combinations, rule, existing, local_day)
        if closed:
            restaurant_services.closure_create(
                restaurant=restaurant, starts_on=local_day, ends_on=local_day
            )
        try:
            _, answers = days_availability(
                restaurant_id=restaurant.pk, days=[local_day], party_size=party
            )
        except ValidationFailed:
            transaction.set_rollback(True)
            return
        expected = _reference_day(restaurant, local_day, party, now)
        assert answers[local_day] == expected
        _, cached = days_availability(
            restaurant_id=restaurant.pk, days=[local_day], party_size=party
        )
        assert cached[local_day] == expected
        transaction.set_rollback(True)
