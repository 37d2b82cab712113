"""One truth: for random restaurants (zones with clock changes, periods past midnight,
closures, tables of every fit, reservations in every status) availability offers a start
exactly when booking accepts it, and offers a table exactly when booking that table works."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError, ValidationFailed
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.availability import compute_days, days_availability
from reservations.callers import reservation_create
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants import services as restaurant_services

ZONES = ["Europe/Madrid", "America/New_York", "UTC", "Asia/Kolkata"]
# Moments around the 2026 clock changes (US: 8 March, 1 November; EU: 29 March, 25 October).
NOWS = [
    datetime(2026, 3, 6, 15, 7, tzinfo=UTC),
    datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
    datetime(2026, 10, 23, 21, 40, tzinfo=UTC),
    datetime(2026, 10, 30, 4, 15, tzinfo=UTC),
]
# Per weekday, service periods that never overlap each other nor the next day's.
DAY_TEMPLATES = [
    [],
    [(time(12, 0), time(15, 0))],
    [(time(19, 0), time(23, 30))],
    [(time(12, 0), time(15, 30)), (time(19, 30), time(23, 0))],
    [(time(20, 0), time(1, 0))],
    [(time(18, 0), time(2, 30))],
    [(time(0, 30), time(4, 0)), (time(13, 0), time(16, 0))],
]


@st.composite
def scenarios(draw):
    now = draw(st.sampled_from(NOWS))
    policy = {
        "timezone": draw(st.sampled_from(ZONES)),
        "slot_interval_minutes": draw(st.sampled_from([15, 30, 60])),
        "default_duration_minutes": draw(st.sampled_from([60, 90, 120])),
        "min_notice_minutes": draw(st.sampled_from([0, 45, 180])),
        "max_days_ahead": draw(st.integers(1, 6)),
        "min_party_size": 1,
        "max_party_size": 6,
    }
    # Mostly bookable days and party sizes; sometimes just outside the limits.
    day_offset = draw(st.sampled_from([-1, 0, 1, 1, 1, 2, 2, 3, policy["max_days_ahead"] + 1]))
    local_day = now.astimezone(ZoneInfo(policy["timezone"])).date() + timedelta(days=day_offset)
    weeks = [draw(st.sampled_from(DAY_TEMPLATES)) for _ in range(7)]
    # The asked day is open (its own periods or the previous night's).
    weeks[local_day.weekday()] = draw(st.sampled_from(DAY_TEMPLATES[1:]))
    for weekday in range(7):
        # A night past midnight must not run into the next day's first period.
        nxt = weeks[(weekday + 1) % 7]
        if any(c <= o for o, c in weeks[weekday]) and any(o < time(4, 0) for o, _ in nxt):
            weeks[weekday] = [p for p in weeks[weekday] if p[1] > p[0]]
    tables = draw(
        st.lists(
            st.tuples(
                st.integers(2, 6), st.integers(1, 3), st.sampled_from([True, True, True, False])
            ),
            min_size=1,
            max_size=4,
        )
    )
    rule = draw(st.sampled_from([None, (1, 2, 60), (3, None, 150)]))
    closed = draw(st.sampled_from([False, False, False, False, False, True]))
    party = draw(st.sampled_from([1, 2, 2, 3, 4, 5, 6, 7]))
    # Existing stays, starting on the asked day's grid inside its periods: (table index,
    # minutes after local midnight, status, lapsed?). Pending holds are frequent, half lapsed.
    starts = sorted(
        {
            (o.hour * 60 + o.minute + k * 15) % 1440
            for o, c in weeks[local_day.weekday()]
            for k in range(16)
        }
    )
    existing = draw(
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.sampled_from(starts or [12 * 60]),
                st.sampled_from(["pending", "pending", "confirmed", "seated", "cancelled"]),
                st.booleans(),
            ),
            max_size=6,
        )
    )
    probes = draw(
        st.lists(
            st.integers(0, 95).map(lambda n: n * 15) | st.integers(0, 287).map(lambda n: n * 5),
            min_size=4,
            max_size=8,
        )
    )
    return now, policy, local_day, weeks, tables, rule, closed, party, existing, probes


def build(policy, weeks, tables, rule, existing, local_day):
    restaurant = restaurant_services.restaurant_create(name="Property", **policy)
    for weekday, periods in enumerate(weeks):
        for opens, closes in periods:
            restaurant_services.opening_hours_create(
                restaurant=restaurant, weekday=weekday, opens_at=opens, closes_at=closes
            )
    if rule:
        restaurant_services.duration_rule_create(
            restaurant=restaurant, min_party=rule[0], max_party=rule[1], duration_minutes=rule[2]
        )
    made = []
    for n, (capacity, min_capacity, active) in enumerate(tables):
        made.append(
            restaurant_services.table_create(
                restaurant=restaurant,
                number=str(n + 1),
                capacity=capacity,
                min_capacity=min(min_capacity, capacity),
                is_active=active,
            )
        )
    customer = CustomerFactory()
    midnight = datetime.combine(local_day, time(0), tzinfo=restaurant.tz).astimezone(UTC)
    for index, minutes, status, lapsed in existing:
        table = made[index % len(made)]
        start = midnight + timedelta(minutes=minutes)
        end = start + timedelta(minutes=90)
        overlaps = Reservation.objects.filter(
            table=table,
            status__in=Reservation.ACTIVE_STATUSES,
            start_at__lt=end,
            end_at__gt=start,
        ).exists()
        if overlaps and status != "cancelled":
            continue
        ReservationFactory(
            table=table,
            customer=customer,
            party_size=1,
            start_at=start,
            status=status,
            lapsed=lapsed and status == "pending",
        )
    return restaurant, made


def attempt(user, restaurant, local_day, local_time, party, table_id=None):
    """Book in a savepoint that is always rolled back: (True, table id) or (False, error)."""
    sid = transaction.savepoint()
    try:
        reservation = reservation_create(
            user=user,
            restaurant_id=restaurant.pk,
            reservation_date=local_day,
            reservation_time=local_time,
            party_size=party,
            table_id=table_id,
        )
        return True, reservation.table_id
    except ApplicationError as exc:
        return False, exc.code
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_availability_and_booking_agree(scenario):
    now, policy, local_day, weeks, tables, rule, closed, party, existing, probes = scenario
    # Each example rolls back; SQLite then hands its ids out again, so a previous example's
    # cached answers would be read as this restaurant's: every example starts with none.
    cache.clear()
    with time_machine.travel(now, tick=False), transaction.atomic():
        restaurant, made = build(policy, weeks, tables, rule, existing, local_day)
        if closed:
            restaurant_services.closure_create(
                restaurant=restaurant, starts_on=local_day, ends_on=local_day
            )
        guest = UserFactory()
        CustomerFactory(user=guest, email=guest.email)

        try:
            _, answers = days_availability(
                restaurant_id=restaurant.pk, days=[local_day], party_size=party
            )
        except ValidationFailed as exc:
            # A party outside the restaurant's range: booking refuses it the same way.
            assert "party_size" in exc.details
            ok, code = attempt(guest, restaurant, local_day, time(19, 0), party)
            assert (ok, code) == (False, "validation_error")
            transaction.set_rollback(True)
            return
        offered = {slot["time"]: [t["id"] for t in slot["tables"]] for slot in answers[local_day]}

        # Some offered starts and some random ones; every table at each of them.
        times = sorted(offered)[:: max(1, len(offered) // 5)] + [
            f"{m // 60:02d}:{m % 60:02d}" for m in probes
        ]
        for hhmm in dict.fromkeys(times):
            local_time = time.fromisoformat(hhmm)
            table_ids = offered.get(hhmm, [])
            # Without a table, booking takes the first table offered, or refuses.
            ok, result = attempt(guest, restaurant, local_day, local_time, party)
            if table_ids:
                assert (ok, result) == (True, table_ids[0]), hhmm
            else:
                assert not ok, f"{hhmm} was bookable but not offered"
                assert result in ("validation_error", "slot_unavailable"), result
            # A given table is bookable exactly when it is offered.
            for table in made:
                ok, result = attempt(guest, restaurant, local_day, local_time, party, table.pk)
                assert ok == (table.pk in table_ids), (hhmm, table.number, result)

        if offered:
            # A real booking of the first offered start: its after-commit version bump must
            # make the (warm) cached answer equal a fresh computation from the database.
            first = min(offered)
            with TestCase.captureOnCommitCallbacks(execute=True):
                reservation_create(
                    user=guest,
                    restaurant_id=restaurant.pk,
                    reservation_date=local_day,
                    reservation_time=time.fromisoformat(first),
                    party_size=party,
                )
            _, after = days_availability(
                restaurant_id=restaurant.pk, days=[local_day], party_size=party
            )
            fresh = compute_days(
                restaurant=restaurant, days=[local_day], party_size=party, area=None, now=now
            )
            assert after[local_day] == fresh[local_day].slots
            assert offered[first][0] not in [
                t["id"] for s in after[local_day] if s["time"] == first for t in s["tables"]
            ]
        transaction.set_rollback(True)
