"""The booking rules: one implementation for booking and for availability.

A restaurant's booking context (its policy, opening periods, closures in a date range and turn
times) is loaded in a fixed number of queries (``load_booking_context``); everything else here
is a pure function of that context, a party size, local dates and times, and ``now``.

``booking_slot`` validates one requested start (the booking path: it says which rule failed,
naming the field); ``candidate_starts`` yields every start of a local date that passes the same
rules (the availability path). Both run the same checks (``_slot_problem``), so availability
never offers a time booking refuses, nor hides one it accepts.

Choices where the world is ambiguous (docs/booking.md says the same to humans):

* Local times are read in the restaurant's IANA zone. A time that does not exist (the
  spring-forward gap) is refused (400 naming ``reservation_time``). A time that happens twice
  (fall-back) means its first occurrence (``fold=0``), for bookings and for period bounds alike.
* A stay lasts its duration in elapsed time: ``end_at = start_at + duration``, so a 90-minute
  dinner across a clock change still lasts 90 minutes.
* An opening period of weekday W whose ``closes_at <= opens_at`` runs past midnight into W+1
  (equal times make a 24-hour period). A 00:30 start on Saturday can belong to Friday's
  period. Its *service day* is the day the period opens (Friday).
* The slot grid is wall-clock time counted from the period's opening: with 15-minute slots and
  a 19:00 opening, starts are 19:00, 19:15, ... as the guest reads them on a clock.
* A closure closes *service days*: a closed Friday takes no booking in Friday's periods,
  including their after-midnight part on Saturday; a Friday period running into a closed
  Saturday still takes its after-midnight bookings (they are Friday's service).
* Notice and horizon: the start must be at least ``min_notice_minutes`` after ``now`` (staff
  may override notice, never book in the past); the start's local date may be at most
  ``max_days_ahead`` days after the restaurant's local today.
* A walk-in (``walk_in_slot``) starts now, rounded down to the minute, whatever the grid:
  notice, horizon and grid are for advance bookings. The restaurant must be open now (in an
  opening period of a service day that is not closed); the stay may run past closing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import RestaurantClosedNow, ValidationFailed
from reservations.selectors import SINGLE_TABLE_ORDER
from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    Table,
    period_length_minutes,
)
from restaurants.selectors import CombinationSeating, combinations_for

MINUTES_PER_DAY = 1440
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServicePeriod:
    """An opening period of one weekday, as read from OpeningHours."""

    weekday: int
    opens_at: time
    closes_at: time
    name: str = ""

    @property
    def crosses_midnight(self) -> bool:
        return self.closes_at <= self.opens_at

    @property
    def length_minutes(self) -> int:
        return period_length_minutes(self.opens_at, self.closes_at)

    def __str__(self) -> str:
        return f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


@dataclass(frozen=True)
class PeriodOnDay:
    """A service period on its service day, with its bounds as aware datetimes (UTC)."""

    period: ServicePeriod
    service_date: date
    opens: datetime
    closes: datetime


@dataclass(frozen=True)
class Slot:
    """A start that passes every time rule, with the stay it implies."""

    local_date: date
    local_time: time
    start_at: datetime
    end_at: datetime
    duration_minutes: int
    service_date: date


@dataclass(frozen=True)
class BookingContext:
    """What the rules need to know about one restaurant, for service days in
    ``[date_from, date_to]`` (closures outside that range were not loaded)."""

    restaurant: Restaurant
    tz: ZoneInfo
    periods: tuple[ServicePeriod, ...]
    duration_rules: tuple[tuple[int, int | None, int], ...]
    closed_days: frozenset[date]
    date_from: date
    date_to: date

    def periods_of(self, weekday: int) -> list[ServicePeriod]:
        return [p for p in self.periods if p.weekday == weekday]

    def is_closed(self, service_date: date) -> bool:
        if not self.date_from <= service_date <= self.date_to:
            # A programming error, not a client's: the caller loaded too narrow a range.
            raise RuntimeError(f"closures for {service_date} were not loaded")
        return service_date in self.closed_days


def _minute_of_day(value: time) -> int:
    return value.hour * 60 + value.minute


def shift_date(day: date, days: int) -> date:
    """``day`` moved by ``days``, clamped to the calendar's ends instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingSetup:
    """A restaurant's setup as booking reads it, for any local date from ``closures_from``
    on: the restaurant (its policy), its opening periods, its turn times, the closures that
    end on or after ``closures_from``, its tables by id (in booking's order of preference,
    ``SINGLE_TABLE_ORDER``, so availability lists them in it without a query) and the
    combinations that may seat a party (``combinations_for``). Loaded in a fixed number of
    queries (``load_booking_setup``) and cached under the restaurant's version
    (reservations.booking_setup), so a booking or an availability answer usually reads it
    from one cache call."""

    restaurant: Restaurant
    periods: tuple[ServicePeriod, ...]
    duration_rules: tuple[tuple[int, int | None, int], ...]
    closures: tuple[tuple[date, date], ...]
    closures_from: date
    tables: dict[int, Table]
    combinations: tuple[CombinationSeating, ...] = ()

    def context(self, *, date_from: date, date_to: date) -> BookingContext:
        """The booking context of local dates ``date_from..date_to``."""
        first_service_day = shift_date(date_from, -1)
        if first_service_day < self.closures_from:
            raise RuntimeError(f"closures before {self.closures_from} were not loaded")
        closed: set[date] = set()
        for starts_on, ends_on in self.closures:
            if starts_on > date_to or ends_on < first_service_day:
                continue
            day = max(starts_on, first_service_day)
            last = min(ends_on, date_to)
            while day <= last:
                closed.add(day)
                if day == date.max:
                    break
                day += ONE_DAY
        return BookingContext(
            restaurant=self.restaurant,
            tz=self.restaurant.tz,
            periods=self.periods,
            duration_rules=self.duration_rules,
            closed_days=frozenset(closed),
            date_from=first_service_day,
            date_to=date_to,
        )


def load_booking_setup(
    restaurant: Restaurant, *, closures_from: date, closures_to: date = date.max, tables=True
) -> BookingSetup:
    """The setup of ``restaurant`` for local dates ``closures_from..closures_to`` in at most
    five queries (its periods, the closures in range, its turn times and, with ``tables``,
    its tables and its combinations)."""
    periods = tuple(
        ServicePeriod(p.weekday, p.opens_at, p.closes_at, p.name)
        for p in OpeningHours.objects.filter(restaurant=restaurant).order_by("weekday", "opens_at")
    )
    closures = tuple(
        Closure.objects.filter(
            restaurant=restaurant, starts_on__lte=closures_to, ends_on__gte=closures_from
        )
        .order_by()
        .values_list("starts_on", "ends_on")
    )
    rules = tuple(
        DurationRule.objects.filter(restaurant=restaurant)
        .order_by("min_party")
        .values_list("min_party", "max_party", "duration_minutes")
    )
    return BookingSetup(
        restaurant=restaurant,
        periods=periods,
        duration_rules=rules,
        closures=closures,
        closures_from=closures_from,
        tables=(
            {
                t.pk: t
                for t in Table.objects.filter(restaurant=restaurant).order_by(*SINGLE_TABLE_ORDER)
            }
            if tables
            else {}
        ),
        combinations=tuple(combinations_for(restaurant.pk)) if tables else (),
    )


def load_booking_context(
    restaurant: Restaurant | int, *, date_from: date, date_to: date
) -> BookingContext:
    """Load what the rules need for local dates ``date_from..date_to`` in at most four queries
    (the restaurant when given by id, its periods, the closures in range, its turn times).
    """
    if isinstance(restaurant, int):
        restaurant = Restaurant.objects.get(pk=restaurant)
    first_service_day = shift_date(date_from, -1)
    setup = load_booking_setup(
        restaurant, closures_from=first_service_day, closures_to=date_to, tables=False
    )
    return setup.context(date_from=date_from, date_to=date_to)


# --- pure rules ------------------------------------------------------------------------------


def duration_minutes(context: BookingContext, party_size: int) -> int:
    """The turn time for a party: the rule whose range holds it, else the default."""
    for low, high, minutes in context.duration_rules:
        if low <= party_size and (high is None or party_size <= high):
            return minutes
    return context.restaurant.default_duration_minutes


def check_party_size(context: BookingContext, party_size: int) -> None:
    restaurant = context.restaurant
    if not restaurant.min_party_size <= party_size <= restaurant.max_party_size:
        raise ValidationFailed.field(
            "party_size",
            f"{restaurant.name} takes parties of {restaurant.min_party_size} to "
            f"{restaurant.max_party_size}.",
        )


def table_fits(table: Table, party_size: int) -> bool:
    return table.min_capacity <= party_size <= table.capacity


def check_table(table: Table, *, restaurant_id: int, party_size: int) -> None:
    """The table belongs to the restaurant, is active, and seats the party."""
    if table.restaurant_id != restaurant_id:
        raise ValidationFailed.field("table_id", "This table belongs to another restaurant.")
    if not table.is_active:
        raise ValidationFailed.field("table_id", "This table is not in service.")
    if not table_fits(table, party_size):
        raise ValidationFailed.field(
            "party_size",
            f"Table {table.number} seats parties of {table.min_capacity} to {table.capacity}.",
        )


def check_seating(
    tables: Sequence[Table],
    *,
    restaurant_id: int,
    party_size: int,
    combination: CombinationSeating | None = None,
) -> None:
    """One table: ``check_table``. Several (a reservation seated at joined tables): each
    belongs to the restaurant and is active, and they seat the party: within the
    ``combination``'s ``min_capacity..capacity`` when they are one, else (a set a manager
    chose) as many as their seats together. Which sets may be booked at all is the booking
    core's rule."""
    if len(tables) == 1:
        check_table(tables[0], restaurant_id=restaurant_id, party_size=party_size)
        return
    for table in tables:
        if table.restaurant_id != restaurant_id:
            raise ValidationFailed.field("table_ids", "A table belongs to another restaurant.")
        if not table.is_active:
            raise ValidationFailed.field("table_ids", f"Table {table.number} is not in service.")
    if combination is not None:
        if not combination.min_capacity <= party_size <= combination.capacity:
            numbers = "+".join(sorted(table.number for table in tables))
            raise ValidationFailed.field(
                "party_size",
                f"Tables {numbers} seat parties of {combination.min_capacity} to "
                f"{combination.capacity}.",
            )
        return
    seats = sum(table.capacity for table in tables)
    if party_size > seats:
        raise ValidationFailed.field("party_size", f"These tables seat at most {seats}.")


def aware_or_none(tz: ZoneInfo, local_date: date, local_time: time) -> datetime | None:
    """The UTC instant of a local wall time; None when the time does not exist (the gap of a
    spring-forward change). An ambiguous time (fall-back) is its first occurrence."""
    local = datetime.combine(local_date, local_time.replace(tzinfo=None, fold=0), tzinfo=tz)
    instant = local.astimezone(UTC)
    # A time in the gap does not survive the round trip through UTC.
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def local_start(context: BookingContext, local_date: date, local_time: time) -> datetime:
    """The aware UTC start for a local date and time; 400 naming ``reservation_time`` when that
    local time does not exist on that date."""
    instant = aware_or_none(context.tz, local_date, local_time)
    if instant is None:
        raise ValidationFailed.field(
            "reservation_time",
            f"{local_time:%H:%M} does not exist on {local_date} in {context.tz.key} "
            "(the clocks move forward); choose another time.",
        )
    return instant


def _bound(context: BookingContext, day: date, value: time) -> datetime:
    """A period bound as an instant. A bound inside a gap is read with the offset before the
    change (PEP 495), which moves it forward by the gap; an ambiguous one is its first
    occurrence."""
    return datetime.combine(day, value, tzinfo=context.tz).astimezone(UTC)


def _on_day(context: BookingContext, period: ServicePeriod, service_date: date) -> PeriodOnDay:
    close_day = shift_date(service_date, 1) if period.crosses_midnight else service_date
    return PeriodOnDay(
        period=period,
        service_date=service_date,
        opens=_bound(context, service_date, period.opens_at),
        closes=_bound(context, close_day, period.closes_at),
    )


def period_for(context: BookingContext, local_date: date, local_time: time) -> PeriodOnDay | None:
    """The opening period a local start falls in: one of that day's periods, or the
    after-midnight part of the previous day's. Periods of a restaurant do not overlap, so at
    most one matches."""
    minute = _minute_of_day(local_time)
    for period in context.periods_of(local_date.weekday()):
        opens, closes = _minute_of_day(period.opens_at), _minute_of_day(period.closes_at)
        if minute >= opens and (period.crosses_midnight or minute < closes):
            return _on_day(context, period, local_date)
    previous_day = shift_date(local_date, -1)
    for period in context.periods_of(previous_day.weekday()):
        if period.crosses_midnight and minute < _minute_of_day(period.closes_at):
            return _on_day(context, period, previous_day)
    return None


def _on_grid(context: BookingContext, period: ServicePeriod, local_time: time) -> bool:
    if local_time.second or local_time.microsecond:
        return False
    offset = (_minute_of_day(local_time) - _minute_of_day(period.opens_at)) % MINUTES_PER_DAY
    return offset % context.restaurant.slot_interval_minutes == 0


def _date_problem(context: BookingContext, local_date: date, now: datetime) -> str | None:
    """The calendar rules that need no time of day: not before today, within the horizon."""
    today = now.astimezone(context.tz).date()
    if local_date < today:
        return f"{local_date} is in the past."
    horizon = context.restaurant.max_days_ahead
    if (local_date - today).days > horizon:
        return f"Reservations open at most {horizon} days ahead."
    return None


def _slot_problem(
    context: BookingContext,
    period_day: PeriodOnDay,
    slot: Slot,
    now: datetime,
    *,
    override_notice: bool,
) -> tuple[str, str] | None:
    """The first time rule the slot breaks, as (field, message); None when it passes.
    Shared by ``booking_slot`` and ``candidate_starts`` so both agree."""
    restaurant = context.restaurant
    if slot.start_at <= now:
        return "reservation_time", "This time is in the past."
    notice = timedelta(minutes=restaurant.min_notice_minutes)
    if not override_notice and slot.start_at < now + notice:
        return (
            "reservation_time",
            f"Reservations need at least {restaurant.min_notice_minutes} minutes' notice.",
        )
    if context.is_closed(period_day.service_date):
        return "reservation_date", f"The restaurant is closed on {period_day.service_date}."
    if not _on_grid(context, period_day.period, slot.local_time):
        return (
            "reservation_time",
            f"Reservations start every {restaurant.slot_interval_minutes} minutes from "
            f"{period_day.period.opens_at:%H:%M}.",
        )
    if slot.end_at > period_day.closes:
        closes_local = period_day.closes.astimezone(context.tz)
        return (
            "reservation_time",
            f"A party of this size stays {slot.duration_minutes} minutes; the restaurant "
            f"closes at {closes_local:%H:%M}, so start earlier.",
        )
    return None


def booking_slot(
    context: BookingContext,
    *,
    local_date: date,
    local_time: time,
    party_size: int,
    now: datetime,
    override_notice: bool = False,
) -> Slot:
    """Validate one requested start against every time rule and return its slot; raise
    ValidationFailed naming the field of the first rule broken."""
    check_party_size(context, party_size)
    problem = _date_problem(context, local_date, now)
    if problem:
        raise ValidationFailed.field("reservation_date", problem)
    start_at = local_start(context, local_date, local_time)
    period_day = period_for(context, local_date, local_time)
    if period_day is None:
        raise ValidationFailed.field(
            "reservation_time",
            f"The restaurant is not open at {local_time:%H:%M} on {local_date}.",
        )
    minutes = duration_minutes(context, party_size)
    slot = Slot(
        local_date=local_date,
        local_time=local_time,
        start_at=start_at,
        end_at=start_at + timedelta(minutes=minutes),
        duration_minutes=minutes,
        service_date=period_day.service_date,
    )
    problem_at = _slot_problem(context, period_day, slot, now, override_notice=override_notice)
    if problem_at:
        raise ValidationFailed.field(*problem_at)
    return slot


def candidate_starts(
    context: BookingContext,
    local_date: date,
    party_size: int,
    now: datetime,
    *,
    override_notice: bool = False,
) -> Iterator[Slot]:
    """Every start on ``local_date`` (in time order) that passes every time rule for this
    party; tables are not considered. A party size out of the restaurant's range raises
    ValidationFailed; a date in the past or beyond the horizon yields nothing."""
    check_party_size(context, party_size)
    if _date_problem(context, local_date, now):
        return
    minutes = duration_minutes(context, party_size)
    interval = context.restaurant.slot_interval_minutes
    previous_day = shift_date(local_date, -1)
    sources = [(previous_day, p) for p in context.periods_of(previous_day.weekday())]
    sources += [(local_date, p) for p in context.periods_of(local_date.weekday())]
    found: list[Slot] = []
    for service_date, period in sources:
        if service_date == previous_day and not period.crosses_midnight:
            continue
        period_day = _on_day(context, period, service_date)
        opens = _minute_of_day(period.opens_at)
        for offset in range(0, period.length_minutes, interval):
            day_shift, minute = divmod(opens + offset, MINUTES_PER_DAY)
            if shift_date(service_date, day_shift) != local_date:
                continue
            local_time = time(minute // 60, minute % 60)
            start_at = aware_or_none(context.tz, local_date, local_time)
            if start_at is None:
                continue
            slot = Slot(
                local_date=local_date,
                local_time=local_time,
                start_at=start_at,
                end_at=start_at + timedelta(minutes=minutes),
                duration_minutes=minutes,
                service_date=service_date,
            )
            if _slot_problem(context, period_day, slot, now, override_notice=override_notice):
                continue
            found.append(slot)
    found.sort(key=lambda s: s.local_time)
    yield from found


def has_service(context: BookingContext, local_date: date) -> bool:
    """Whether the restaurant serves on ``local_date`` at all: a period opens that day and no
    closure covers it."""
    return bool(context.periods_of(local_date.weekday())) and not context.is_closed(local_date)


def walk_in_slot(context: BookingContext, *, party_size: int, now: datetime) -> Slot:
    """The slot of a party seated now (a walk-in): it starts at ``now`` rounded down to the
    minute (so its stay, like every booking's, starts and ends on whole minutes) and lasts
    the party's turn time. The party size is the restaurant's range (400 naming
    ``party_size``); the restaurant must be open now (409 ``restaurant_closed_now``). The
    notice, the horizon and the slot grid are not checked (they are for advance bookings),
    nor the closing time: the host seats a party that came in before closing."""
    check_party_size(context, party_size)
    start_at = now.astimezone(UTC).replace(second=0, microsecond=0)
    local = start_at.astimezone(context.tz)
    local_date, local_time = local.date(), local.time().replace(tzinfo=None, fold=0)
    period_day = period_for(context, local_date, local_time)
    if period_day is None:
        raise RestaurantClosedNow(
            f"{context.restaurant.name} is not open now ({local_time:%H:%M})."
        )
    if context.is_closed(period_day.service_date):
        raise RestaurantClosedNow(
            f"{context.restaurant.name} is closed today ({period_day.service_date})."
        )
    if start_at >= period_day.closes:
        # The after-midnight part of a period read at a local time after it closed.
        raise RestaurantClosedNow(
            f"{context.restaurant.name} is not open now ({local_time:%H:%M})."
        )
    minutes = duration_minutes(context, party_size)
    return Slot(
        local_date=local_date,
        local_time=local_time,
        start_at=start_at,
        end_at=start_at + timedelta(minutes=minutes),
        duration_minutes=minutes,
        service_date=period_day.service_date,
    )
