"""One truth: for random restaurants (zones with clock changes, periods past midnight,
closures, tables of every fit, table combinations, pacing limits, reservations in every
status, at one table or at joined tables) availability offers a start exactly when booking
without a table accepts it, booking takes the first seating offered, and a table or a
combination is offered exactly when booking it works."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError, ValidationFailed
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.availability import compute_days, days_availability
from reservations.callers import reservation_create
from reservations.models import Occupancy
from reservations.selectors import overlapping
from reservations.tests.factories import ReservationFactory
from restaurants import services as restaurant_services
from restaurants.combinations import table_combination_create
from restaurants.models import StaffMembership
from restaurants.tests.factories import StaffMembershipFactory

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
def scenarios(draw, paced=False):
    """A restaurant, a day, a party, existing reservations and times to probe; ``paced``:
    always with a pacing limit, and reservations enough to reach it."""
    now = draw(st.sampled_from(NOWS))
    policy = {
        "timezone": draw(st.sampled_from(ZONES)),
        "slot_interval_minutes": draw(st.sampled_from([15, 30, 60])),
        "default_duration_minutes": draw(st.sampled_from([60, 90, 120])),
        "min_notice_minutes": draw(st.sampled_from([0, 45, 180])),
        "max_days_ahead": draw(st.integers(1, 6)),
        "min_party_size": 1,
        "max_party_size": 10,
        # Pacing: often none, else limits the existing reservations reach.
        "max_covers_per_slot": draw(
            st.sampled_from([1, 2, 3, 4, 6] if paced else [None, None, 1, 2, 3, 5, 8])
        ),
        "max_parties_per_slot": draw(st.sampled_from([None, None, None, 1, 2])),
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
            max_size=5,
        )
    )
    # Combinations: (tables by index, min_capacity, capacity, active); None takes the default
    # (the sum of the tables' capacities, the smallest of their minimums).
    combinations = draw(
        st.lists(
            st.tuples(
                st.sets(st.integers(0, 4), min_size=2, max_size=3),
                st.sampled_from([None, None, 1, 3, 5, 7]),
                st.sampled_from([None, None, 4, 6, 8, 10]),
                st.sampled_from([True, True, True, False]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    rule = draw(st.sampled_from([None, (1, 2, 60), (3, None, 150)]))
    closed = draw(st.sampled_from([False, False, False, False, False, True]))
    # Parties of seven and more sit only at joined tables (no table seats more than six).
    party = draw(st.sampled_from([1, 2, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11]))
    # Existing stays, starting every 15 minutes from the asked day's openings (off the grid
    # of a 30- or 60-minute restaurant: booked before its grid changed): (table index, a
    # second table's index or None: joined tables, minutes after local midnight, status,
    # lapsed?, party size). Pending holds are frequent, half lapsed; the cancelled ones count
    # for no pacing limit.
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
                st.integers(0, 4),
                st.sampled_from([None, None, 0, 1, 2, 3, 4]),
                st.sampled_from(starts or [12 * 60]),
                st.sampled_from(["pending", "pending", "confirmed", "seated", "cancelled"]),
                st.booleans(),
                st.integers(1, 3),
            ),
            min_size=3 if paced else 0,
            max_size=8 if paced else 7,
        )
    )
    probes = draw(
        st.lists(
            st.integers(0, 95).map(lambda n: n * 15) | st.integers(0, 287).map(lambda n: n * 5),
            min_size=4,
            max_size=8,
        )
    )
    return (
        now,
        policy,
        local_day,
        weeks,
        tables,
        combinations,
        rule,
        closed,
        party,
        existing,
        probes,
    )


def build(policy, weeks, tables, combinations, rule, existing, local_day):
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
    made = [
        restaurant_services.table_create(
            restaurant=restaurant,
            number=str(n + 1),
            capacity=capacity,
            min_capacity=min(min_capacity, capacity),
        )
        for n, (capacity, min_capacity, _active) in enumerate(tables)
    ]
    joined = []
    for indexes, min_capacity, capacity, active in combinations:
        members = sorted({made[i % len(made)].pk for i in indexes})
        if len(members) < 2 or any(members == c.table_ids for c in joined):
            continue
        if min_capacity is not None and capacity is not None and min_capacity > capacity:
            min_capacity, capacity = capacity, min_capacity
        try:
            combination = table_combination_create(
                restaurant=restaurant,
                table_ids=members,
                min_capacity=min_capacity,
                capacity=capacity,
                is_active=active,
            )
        except ValidationFailed:  # a minimum above the default capacity
            continue
        joined.append(combination)
    # Tables are deactivated after the combinations of them are made: those are then defined
    # but not offered.
    for table, (_capacity, _min_capacity, active) in zip(made, tables, strict=True):
        if not active:
            restaurant_services.table_update(table=table, data={"is_active": False})
    customer = CustomerFactory()
    midnight = datetime.combine(local_day, time(0), tzinfo=restaurant.tz).astimezone(UTC)
    for index, second, minutes, status, lapsed, party_size in existing:
        seating = {made[index % len(made)]}
        if second is not None:
            seating.add(made[second % len(made)])
        first, *others = sorted(seating, key=lambda table: table.pk)
        start = midnight + timedelta(minutes=minutes)
        end = start + timedelta(minutes=90)
        held = Occupancy.objects.filter(holds=True, table__in=seating)
        if overlapping(held, start, end).exists() and status != "cancelled":
            continue
        ReservationFactory(
            table=first,
            tables=others,
            customer=customer,
            party_size=party_size,
            start_at=start,
            status=status,
            lapsed=lapsed and status == "pending",
        )
    return restaurant, made, joined


def attempt(user, restaurant, local_day, local_time, party, **seating):
    """Book in a savepoint that is always rolled back: (True, the sorted ids of the tables it
    holds) or (False, error)."""
    sid = transaction.savepoint()
    try:
        reservation = reservation_create(
            user=user,
            restaurant_id=restaurant.pk,
            reservation_date=local_day,
            reservation_time=local_time,
            party_size=party,
            **seating,
        )
        return True, sorted(o.table_id for o in reservation.occupancies.all())
    except ApplicationError as exc:
        return False, exc.code
    finally:
        transaction.savepoint_rollback(sid)


# A Saturday lunch where only joined tables seat six: 1+2 and 1+3 (two spare seats, and
# none), 2+3+4 with an inactive table; table 1 taken at 12:00, a lapsed hold on 3+4.
JOINED_LUNCH = (
    NOWS[0],
    {
        "timezone": "Europe/Madrid",
        "slot_interval_minutes": 30,
        "default_duration_minutes": 90,
        "min_notice_minutes": 0,
        "max_days_ahead": 6,
        "min_party_size": 1,
        "max_party_size": 10,
    },
    NOWS[0].date() + timedelta(days=1),
    [[(time(12, 0), time(15, 0))]] * 7,
    [(4, 1, True), (4, 1, True), (2, 1, True), (6, 1, False)],
    [({0, 1}, None, None, True), ({0, 2}, None, 6, True), ({1, 2, 3}, None, None, True)],
    None,
    False,
    6,
    [(0, None, 12 * 60, "confirmed", False, 2), (2, 3, 13 * 60, "pending", True, 6)],
    [12 * 60, 12 * 60 + 30, 13 * 60, 13 * 60 + 30, 14 * 60],
)


EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@EXAMPLES
@given(scenario=scenarios())
@example(scenario=JOINED_LUNCH)
def test_availability_and_booking_agree(scenario):
    check_agreement(scenario)


# Two holds at 12:00 and a lapsed one at 13:45 (off the 30-minute grid), 2 guests at most per
# interval: 13:30 is offered to a party of 2 (the lapsed hold counts for nothing), and the
# booking expires it and books. It used to refuse: its take at 13:30 was guarded before the
# lapsed hold's place at 13:45, inside the same interval, was given back.
LAPSED_HOLD_LATER_IN_THE_INTERVAL = (
    datetime(2026, 3, 6, 15, 7, tzinfo=UTC),
    {
        "timezone": "Europe/Madrid",
        "slot_interval_minutes": 30,
        "default_duration_minutes": 60,
        "min_notice_minutes": 0,
        "max_days_ahead": 1,
        "min_party_size": 1,
        "max_party_size": 10,
        "max_covers_per_slot": 2,
        "max_parties_per_slot": None,
    },
    date(2026, 3, 7),
    [[], [], [], [], [], [(time(12, 0), time(15, 0))], []],
    [(2, 1, True)],
    [({0, 1}, None, None, True)],
    None,
    False,
    2,
    [(0, None, 720, "pending", False, 1), (0, None, 720, "pending", False, 1),
     (0, None, 825, "pending", True, 1)],
    [0, 0, 0, 0],
)  # fmt: skip


@pytest.mark.django_db
@EXAMPLES
@given(scenario=scenarios(paced=True))
@example(scenario=LAPSED_HOLD_LATER_IN_THE_INTERVAL)
def test_availability_and_booking_agree_under_pacing_limits(scenario):
    """The same where pacing decides: every restaurant has a limit the existing reservations
    (on the grid or off it, lapsed holds among them) reach at some starts."""
    check_agreement(scenario)


def check_agreement(scenario):
    (now, policy, local_day, weeks, tables, combinations, rule, closed, party, existing, probes) = (
        scenario
    )
    # Each example rolls back; SQLite then hands its ids out again, so a previous example's
    # cached answers would be read as this restaurant's: every example starts with none.
    cache.clear()
    with time_machine.travel(now, tick=False), transaction.atomic():
        restaurant, made, joined = build(
            policy, weeks, tables, combinations, rule, existing, local_day
        )
        if closed:
            restaurant_services.closure_create(
                restaurant=restaurant, starts_on=local_day, ends_on=local_day
            )
        guest = UserFactory()
        CustomerFactory(user=guest, email=guest.email)
        host = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user
        booked_for = CustomerFactory(created_by_restaurant=restaurant).pk

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
        offered = {slot["time"]: slot for slot in answers[local_day]}
        for slot in offered.values():
            # The single tables are the seatings of one table, in the same order.
            singles = [s["table_ids"] for s in slot["seatings"] if s["combination_id"] is None]
            assert singles == [[t["id"]] for t in slot["tables"]]
            assert slot["seatings"]

        # Some offered starts, some random ones, and those whose interval holds an existing
        # reservation's start (where pacing decides); every table and combination at each.
        paced = {
            (minutes - back) % 1440 for _, _, minutes, *_ in existing for back in (0, 15, 30, 45)
        }
        times = sorted(offered)[:: max(1, len(offered) // 5)] + [
            f"{m // 60:02d}:{m % 60:02d}" for m in [*probes, *sorted(paced)]
        ]
        for hhmm in dict.fromkeys(times):
            local_time = time.fromisoformat(hhmm)
            slot = offered.get(hhmm, {"tables": [], "seatings": []})
            seatings = [s["table_ids"] for s in slot["seatings"]]
            # Without a table, booking takes the first seating offered, or refuses.
            ok, result = attempt(guest, restaurant, local_day, local_time, party)
            if seatings:
                assert (ok, result) == (True, seatings[0]), hhmm
            else:
                assert not ok, f"{hhmm} was bookable but not offered"
                assert result in ("validation_error", "slot_unavailable", "pacing_limit"), result
            # A given table is bookable exactly when it is offered.
            singles = [t["id"] for t in slot["tables"]]
            for table in made:
                ok, result = attempt(
                    guest, restaurant, local_day, local_time, party, table_id=table.pk
                )
                assert ok == (table.pk in singles), (hhmm, table.number, result)
            # Staff booking a combination's tables: exactly when it is offered.
            combined = {s["combination_id"]: s["table_ids"] for s in slot["seatings"]}
            for combination in joined:
                ok, result = attempt(
                    host,
                    restaurant,
                    local_day,
                    local_time,
                    party,
                    table_ids=combination.table_ids,
                    customer_id=booked_for,
                )
                assert ok == (combination.pk in combined), (hhmm, combination.table_key, result)
                if ok:
                    assert result == combined[combination.pk]

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
            assert offered[first]["seatings"][0]["table_ids"] not in [
                seating["table_ids"]
                for s in after[local_day]
                if s["time"] == first
                for seating in s["seatings"]
            ]
        transaction.set_rollback(True)
