"""The booking rules (reservations.rules), one by one, and the promise availability relies on:
``candidate_starts`` yields exactly the starts ``booking_slot`` accepts."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.errors import ValidationFailed
from reservations import rules
from reservations.tests.factories import NOW
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    RestaurantFactory,
)

pytestmark = pytest.mark.django_db

THURSDAY = date(2025, 8, 28)
FRIDAY = date(2025, 8, 29)
SATURDAY = date(2025, 8, 30)


def context_for(restaurant, day: date, until: date | None = None) -> rules.BookingContext:
    return rules.load_booking_context(restaurant, date_from=day, date_to=until or day)


def slot(context, day, at, party=2, now=NOW, **kwargs) -> rules.Slot:
    return rules.booking_slot(
        context, local_date=day, local_time=at, party_size=party, now=now, **kwargs
    )


def refused(context, day, at, party=2, now=NOW, **kwargs) -> dict:
    with pytest.raises(ValidationFailed) as info:
        slot(context, day, at, party, now, **kwargs)
    return info.value.details


def starts(context, day, party=2, now=NOW, **kwargs) -> list[str]:
    return [
        f"{s.local_time:%H:%M}" for s in rules.candidate_starts(context, day, party, now, **kwargs)
    ]


@pytest.fixture
def madrid():
    """Open every day 12:00-23:30 (15-minute slots, 90-minute default stay)."""
    restaurant = RestaurantFactory(timezone="Europe/Madrid", min_notice_minutes=60)
    for weekday in range(7):
        OpeningHoursFactory(
            restaurant=restaurant, weekday=weekday, opens_at=time(12), closes_at=time(23, 30)
        )
    return restaurant


@pytest.fixture
def late_friday():
    """Only Friday 20:00 until 02:00 on Saturday."""
    restaurant = RestaurantFactory(timezone="Europe/Madrid", min_notice_minutes=0)
    OpeningHoursFactory(restaurant=restaurant, weekday=4, opens_at=time(20), closes_at=time(2))
    return restaurant


# --- loading ---------------------------------------------------------------------------------


def test_context_loads_in_three_queries_whatever_the_data(madrid, django_assert_num_queries):
    for n in range(5):
        ClosureFactory(
            restaurant=madrid, starts_on=date(2025, 9, 1 + n), ends_on=date(2025, 9, 1 + n)
        )
        DurationRuleFactory(restaurant=madrid, min_party=n * 2 + 1, max_party=n * 2 + 2)
    with django_assert_num_queries(3):
        context = context_for(madrid, date(2025, 9, 1), date(2025, 9, 30))
    assert len(context.periods) == 7
    assert len(context.duration_rules) == 5
    assert context.closed_days == {date(2025, 9, 1 + n) for n in range(5)}


# --- duration and party size -----------------------------------------------------------------


def test_duration_comes_from_the_matching_rule_else_the_default(madrid):
    DurationRuleFactory(restaurant=madrid, min_party=1, max_party=2, duration_minutes=75)
    DurationRuleFactory(restaurant=madrid, min_party=5, max_party=None, duration_minutes=150)
    context = context_for(madrid, SATURDAY)
    assert rules.duration_minutes(context, 2) == 75
    assert rules.duration_minutes(context, 3) == 90  # no rule: the restaurant's default
    assert rules.duration_minutes(context, 40) == 150  # "5 and larger"
    stay = slot(context, SATURDAY, time(19), party=6)
    assert stay.end_at - stay.start_at == timedelta(minutes=150)


def test_party_size_must_be_within_the_restaurants_range(madrid):
    madrid.min_party_size, madrid.max_party_size = 2, 8
    madrid.save()
    context = context_for(madrid, SATURDAY)
    assert "party_size" in refused(context, SATURDAY, time(19), party=1)
    assert "party_size" in refused(context, SATURDAY, time(19), party=9)
    assert slot(context, SATURDAY, time(19), party=8).local_time == time(19)


# --- local time to UTC -----------------------------------------------------------------------


def test_local_time_is_read_in_the_restaurants_zone(madrid):
    stay = slot(context_for(madrid, SATURDAY), SATURDAY, time(19))
    assert stay.start_at == datetime(2025, 8, 30, 17, 0, tzinfo=UTC)  # CEST is UTC+2
    assert stay.end_at == datetime(2025, 8, 30, 18, 30, tzinfo=UTC)


# --- opening periods, after midnight, the grid, the close -----------------------------------


def test_a_start_outside_every_period_is_refused(madrid):
    details = refused(context_for(madrid, SATURDAY), SATURDAY, time(11, 45))
    assert "not open" in details["reservation_time"][0]


def test_a_saturday_start_after_midnight_belongs_to_fridays_period(late_friday):
    context = context_for(late_friday, SATURDAY)
    period = rules.period_for(context, SATURDAY, time(0, 30))
    assert period is not None and period.service_date == FRIDAY
    stay = slot(context, SATURDAY, time(0, 30))
    assert stay.service_date == FRIDAY
    assert stay.start_at == datetime(2025, 8, 29, 22, 30, tzinfo=UTC)
    # Saturday itself has no period: 20:00 on Saturday is closed.
    assert "reservation_time" in refused(context, SATURDAY, time(20))


def test_the_stay_must_end_by_the_periods_close(late_friday):
    context = context_for(late_friday, SATURDAY)
    assert slot(context, SATURDAY, time(0, 30)).end_at == datetime(
        2025, 8, 30, 0, 0, tzinfo=UTC
    )  # 02:00 local, exactly the close
    details = refused(context, SATURDAY, time(0, 45))
    assert "closes at 02:00" in details["reservation_time"][0]


def test_slots_are_counted_from_the_periods_opening():
    restaurant = RestaurantFactory(timezone="Europe/Madrid", min_notice_minutes=0)
    OpeningHoursFactory(restaurant=restaurant, weekday=5, opens_at=time(12, 10), closes_at=time(16))
    context = context_for(restaurant, SATURDAY)
    assert slot(context, SATURDAY, time(12, 25)).local_time == time(12, 25)
    details = refused(context, SATURDAY, time(12, 30))
    assert "every 15 minutes from 12:10" in details["reservation_time"][0]
    assert "reservation_time" in refused(context, SATURDAY, time(12, 25, 30))


# --- closures: service days ------------------------------------------------------------------


def test_a_closure_closes_its_day_and_the_after_midnight_part_of_its_period(late_friday):
    ClosureFactory(restaurant=late_friday, starts_on=FRIDAY, ends_on=FRIDAY)
    context = context_for(late_friday, SATURDAY)
    details = refused(context, SATURDAY, time(0, 30))
    assert details["reservation_date"] == [f"The restaurant is closed on {FRIDAY}."]
    assert starts(context, SATURDAY) == []


def test_a_closed_saturday_keeps_fridays_service_past_midnight(late_friday):
    ClosureFactory(restaurant=late_friday, starts_on=SATURDAY, ends_on=SATURDAY)
    context = context_for(late_friday, SATURDAY)
    assert slot(context, SATURDAY, time(0, 30)).service_date == FRIDAY


def test_closure_ranges_are_inclusive(madrid):
    ClosureFactory(restaurant=madrid, starts_on=FRIDAY, ends_on=SATURDAY)
    context = context_for(madrid, FRIDAY, date(2025, 8, 31))
    assert "reservation_date" in refused(context, FRIDAY, time(19))
    assert "reservation_date" in refused(context, SATURDAY, time(19))
    assert slot(context, date(2025, 8, 31), time(19)).local_time == time(19)


# --- notice and horizon ----------------------------------------------------------------------


def test_notice_is_required_unless_staff_override_it(madrid):
    context = context_for(madrid, THURSDAY)  # NOW is 12:00 in Madrid
    details = refused(context, THURSDAY, time(12, 45))
    assert "60 minutes' notice" in details["reservation_time"][0]
    assert slot(context, THURSDAY, time(13)).local_time == time(13)
    assert slot(context, THURSDAY, time(12, 15), override_notice=True).local_time == time(12, 15)


def test_the_past_is_refused_even_with_override(madrid):
    context = context_for(madrid, THURSDAY)
    details = refused(context, THURSDAY, time(12), override_notice=True)
    assert details["reservation_time"] == ["This time is in the past."]
    assert "reservation_date" in refused(context_for(madrid, FRIDAY), date(2025, 8, 27), time(19))


def test_the_horizon_is_max_days_ahead_of_the_local_today(madrid):
    last = THURSDAY + timedelta(days=90)
    context = context_for(madrid, last, last + timedelta(days=1))
    assert slot(context, last, time(19)).local_date == last
    details = refused(context, last + timedelta(days=1), time(19))
    assert details["reservation_date"] == ["Reservations open at most 90 days ahead."]


def test_far_dates_are_refused_not_overflowing(madrid):
    context = context_for(madrid, date.max)
    assert "reservation_date" in refused(context, date.max, time(23))
    assert list(rules.candidate_starts(context, date.max, 2, NOW)) == []


# --- daylight saving time --------------------------------------------------------------------


@pytest.fixture
def madrid_nights():
    """Saturday 22:00 until 05:00 on Sunday, the night the clocks change in Europe."""
    restaurant = RestaurantFactory(timezone="Europe/Madrid", min_notice_minutes=0)
    OpeningHoursFactory(restaurant=restaurant, weekday=5, opens_at=time(22), closes_at=time(5))
    return restaurant


@pytest.fixture
def new_york_nights():
    restaurant = RestaurantFactory(timezone="America/New_York", min_notice_minutes=0)
    OpeningHoursFactory(restaurant=restaurant, weekday=5, opens_at=time(20), closes_at=time(3))
    return restaurant


SPRING = datetime(2025, 3, 1, tzinfo=UTC)
AUTUMN = datetime(2025, 10, 1, tzinfo=UTC)


def test_madrid_spring_forward_gap_is_refused(madrid_nights):
    sunday = date(2025, 3, 30)  # 02:00 CET -> 03:00 CEST
    context = context_for(madrid_nights, sunday)
    details = refused(context, sunday, time(2, 30), now=SPRING)
    assert "does not exist" in details["reservation_time"][0]
    assert slot(context, sunday, time(3), now=SPRING).start_at == datetime(
        2025, 3, 30, 1, 0, tzinfo=UTC
    )


def test_madrid_stay_across_spring_forward_lasts_its_duration(madrid_nights):
    sunday = date(2025, 3, 30)
    stay = slot(context_for(madrid_nights, sunday), sunday, time(1, 30), now=SPRING)
    assert stay.start_at == datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 01:30 CET
    assert stay.end_at - stay.start_at == timedelta(minutes=90)
    assert stay.end_at.astimezone(madrid_nights.tz).time() == time(4)  # 04:00 CEST


def test_madrid_fall_back_takes_the_first_occurrence(madrid_nights):
    sunday = date(2025, 10, 26)  # 03:00 CEST -> 02:00 CET: 02:00-02:59 happen twice
    stay = slot(context_for(madrid_nights, sunday), sunday, time(2, 30), now=AUTUMN)
    assert stay.start_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert stay.end_at - stay.start_at == timedelta(minutes=90)
    assert stay.end_at.astimezone(madrid_nights.tz).time() == time(3)  # 03:00 CET


def test_madrid_candidates_skip_the_gap_and_list_the_repeated_hour_once(madrid_nights):
    spring = context_for(madrid_nights, date(2025, 3, 30))
    expected = [f"{h:02}:{m:02}" for h in (0, 1) for m in (0, 15, 30, 45)]
    # The close is 05:00 CEST; a 90-minute stay may start until 03:30.
    assert starts(spring, date(2025, 3, 30), now=SPRING) == [*expected, "03:00", "03:15", "03:30"]

    autumn = context_for(madrid_nights, date(2025, 10, 26))
    found = list(rules.candidate_starts(autumn, date(2025, 10, 26), 2, AUTUMN))
    times = [f"{s.local_time:%H:%M}" for s in found]
    assert len(times) == len(set(times))
    # The night lasts an hour longer (00:00 CEST to 05:00 CET is 6 hours): starts until 03:30.
    assert times[0] == "00:00" and times[-1] == "03:30" and len(times) == 15
    two_thirty = next(s for s in found if s.local_time == time(2, 30))
    assert two_thirty.start_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_new_york_gap_is_refused_and_fold_is_the_first_occurrence(new_york_nights):
    spring_sunday = date(2025, 3, 9)  # 02:00 EST -> 03:00 EDT
    context = context_for(new_york_nights, spring_sunday)
    assert "reservation_time" in refused(context, spring_sunday, time(2, 15), now=SPRING)

    autumn_sunday = date(2025, 11, 2)  # 02:00 EDT -> 01:00 EST: 01:00-01:59 twice
    stay = slot(context_for(new_york_nights, autumn_sunday), autumn_sunday, time(1, 15), now=AUTUMN)
    assert stay.start_at == datetime(2025, 11, 2, 5, 15, tzinfo=UTC)  # 01:15 EDT
    assert stay.end_at == datetime(2025, 11, 2, 6, 45, tzinfo=UTC)  # 01:45 EST, 90 min later


# --- one truth: candidate_starts == what booking_slot accepts ---------------------------------


def _accepted(context, day, party, now) -> list[str]:
    accepted = []
    for minute in range(0, 1440, 5):
        at = time(minute // 60, minute % 60)
        try:
            slot(context, day, at, party, now)
        except ValidationFailed:
            continue
        accepted.append(f"{at:%H:%M}")
    return accepted


@pytest.mark.parametrize(
    ("timezone", "day", "now"),
    [
        ("Europe/Madrid", date(2025, 8, 30), NOW),
        ("Europe/Madrid", date(2025, 8, 28), NOW),  # today: notice cuts the morning
        ("Europe/Madrid", date(2025, 3, 30), SPRING),
        ("Europe/Madrid", date(2025, 10, 26), AUTUMN),
        ("America/New_York", date(2025, 11, 2), AUTUMN),
    ],
)
def test_candidate_starts_are_exactly_the_starts_booking_accepts(timezone, day, now):
    restaurant = RestaurantFactory(timezone=timezone, slot_interval_minutes=20)
    weekday, previous = day.weekday(), (day.weekday() - 1) % 7
    OpeningHoursFactory(
        restaurant=restaurant, weekday=previous, opens_at=time(21), closes_at=time(3)
    )
    OpeningHoursFactory(
        restaurant=restaurant, weekday=weekday, opens_at=time(12, 10), closes_at=time(15)
    )
    OpeningHoursFactory(
        restaurant=restaurant, weekday=weekday, opens_at=time(19), closes_at=time(1, 30)
    )
    DurationRuleFactory(restaurant=restaurant, min_party=3, max_party=None, duration_minutes=120)
    context = context_for(restaurant, day)
    for party in (2, 4):
        offered = starts(context, day, party, now)
        assert offered, "the scenario offers nothing: it would prove nothing"
        assert offered == _accepted(context, day, party, now)
