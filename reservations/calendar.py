"""What a guest choosing a day and a time needs: each day of a range with its free starts or
the reason it has none, and one day's free starts grouped by service period.

Built on ``availability.days_availability`` (the same answer, cached the same way, that the
API gives) and on the rules that explain an empty day, so the page offers exactly what
booking accepts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from core.clock import now as clock_now
from reservations import rules
from reservations.availability import days_availability, days_slot_counts
from restaurants.models import Restaurant

ONE_DAY = timedelta(days=1)


class DayState(StrEnum):
    OPEN = "open"  # at least one free start
    PAST = "past"
    CLOSED = "closed"  # no service that day (hours or a closure)
    FULL = "full"  # starts the rules allow, none with a free table
    BEYOND_HORIZON = "beyond_horizon"
    NONE_LEFT = "none_left"  # today, after the last start that notice still allows


@dataclass(frozen=True)
class CalendarDay:
    day: date
    state: DayState
    free_starts: int


@dataclass(frozen=True)
class PeriodStarts:
    """The free starts of one service period of a day (``name`` as the restaurant named it)."""

    name: str
    opens_at: time
    starts: list[dict]


def _empty_day_state(context, day: date, party_size: int, now: datetime) -> DayState:
    today = now.astimezone(context.tz).date()
    if day < today:
        return DayState.PAST
    if (day - today).days > context.restaurant.max_days_ahead:
        return DayState.BEYOND_HORIZON
    if any(True for _ in rules.candidate_starts(context, day, party_size, now)):
        return DayState.FULL
    if day == today and rules.has_service(context, day):
        return DayState.NONE_LEFT
    return DayState.CLOSED


def calendar_days(
    *, restaurant: Restaurant, first: date, last: date, party_size: int, now=None
) -> list[CalendarDay]:
    """Every day from ``first`` to ``last``: open with its number of free starts, or why not.
    A party size outside the restaurant's range is a 400 (rules.check_party_size)."""
    now = now or clock_now()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    _, counts = days_slot_counts(
        restaurant_id=restaurant.pk, days=days, party_size=party_size, now=now
    )
    context = None
    result = []
    for day in days:
        if counts[day]:
            result.append(CalendarDay(day, DayState.OPEN, counts[day]))
            continue
        if context is None:
            context = rules.load_booking_context(restaurant, date_from=first, date_to=last)
        result.append(CalendarDay(day, _empty_day_state(context, day, party_size, now), 0))
    return result


def day_starts_by_period(
    *, restaurant: Restaurant, day: date, party_size: int, now=None
) -> list[PeriodStarts]:
    """The free starts of ``day`` in time order, grouped by the service period they open in
    (a start after midnight belongs to the previous evening's period)."""
    now = now or clock_now()
    _, answers = days_availability(
        restaurant_id=restaurant.pk, days=[day], party_size=party_size, now=now
    )
    if not answers[day]:
        return []
    context = rules.load_booking_context(restaurant, date_from=day, date_to=day)
    groups: dict[tuple, PeriodStarts] = {}
    for start in answers[day]:
        local = time.fromisoformat(start["time"])
        on_day = rules.period_for(context, day, local)
        period = on_day.period if on_day is not None else None
        key = (on_day.service_date, period.opens_at) if period else (day, local)
        if key not in groups:
            groups[key] = PeriodStarts(
                name=period.name if period else "",
                opens_at=period.opens_at if period else local,
                starts=[],
            )
        groups[key].starts.append(start)
    return sorted(groups.values(), key=lambda g: g.starts[0]["start_at"])


def next_open_days(
    *, restaurant: Restaurant, after: date, party_size: int, limit: int = 3, now=None
) -> list[CalendarDay]:
    """Up to ``limit`` days after ``after`` with a free start, within the booking horizon."""
    now = now or clock_now()
    today = now.astimezone(restaurant.tz).date()
    last = today + timedelta(days=restaurant.max_days_ahead)
    found: list[CalendarDay] = []
    if after >= last:  # nothing after it is bookable (and date.max has no next day)
        return found
    first = max(after + ONE_DAY, today)
    while first <= last and len(found) < limit:
        chunk_end = min(first + timedelta(days=30), last)
        days = calendar_days(
            restaurant=restaurant, first=first, last=chunk_end, party_size=party_size, now=now
        )
        found += [d for d in days if d.state == DayState.OPEN][: limit - len(found)]
        first = chunk_end + ONE_DAY
    return found
