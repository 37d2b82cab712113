"""One restaurant's day as its hosts read it (the host stand, docs/host-stand.md): the tables by
area, the day's service periods, every reservation of that service day with the tables it
holds and its guest's history here, and the covers and parties of each slot interval.

A day is a *service day* (reservations.rules): its periods, including the part of one that runs
past midnight, and the reservations that start in them, so a 00:30 start in a dinner that
opened at 20:00 the evening before is that evening's, not the next day's. A start in no period
(the hours changed since) keeps its calendar date. Closures close service days.

``host_day`` reads it in a fixed number of queries whatever the number of tables and
reservations (asserted by web/tests/test_host_day.py): the opening periods, whether the day is
closed, the tables, the reservations with their guests, their occupancy rows, the guests' visit
and no-show counts, and the pacing counters (two queries: reservations.pacing.SlotLoads); one
more when a search narrows the list.

``host_day_version`` is the cheap part: the version of the day every reservation change bumps
on commit (the availability cache's day version, reservations.services.effects), so a page that
polls can tell "nothing changed" without reading any reservation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.clock import now as clock_now
from customers.events import GuestProfileChanged
from customers.models import Customer
from customers.selectors import customer_search
from reservations.availability import availability_day_version, availability_invalidate_on_commit
from reservations.host_actions import HostAction, host_actions
from reservations.models import Occupancy, Reservation
from reservations.pacing import PacingPolicy, SlotLoads
from reservations.rules import BookingContext, ServicePeriod, period_for
from reservations.selectors import (
    SINGLE_TABLE_ORDER,
    Seating,
    guest_no_show_count,
    guest_visit_count,
)
from reservations.services.transitions import effective_status
from restaurants.models import Closure, OpeningHours, Restaurant, Table
from restaurants.selectors import combinations_for

Status = Reservation.Status
ONE_DAY = timedelta(days=1)

# What the timeline draws: a reservation that holds, held or was to hold its tables. Cancelled
# and expired ones are in the list only (their tables were given back).
ON_TIMELINE = (Status.PENDING, Status.CONFIRMED, Status.SEATED, Status.COMPLETED, Status.NO_SHOW)


# The columns host_day reads of the day's reservations and their guests.
DAY_FIELDS = (
    "restaurant",
    "table",
    "customer",
    "reservation_date",
    "start_at",
    "end_at",
    "status",
    "expires_at",
    "party_size",
    "source",
    "notes",
    "allergies",
    "contact_phone",
    "customer__first_name",
    "customer__last_name",
    "customer__email",
    "customer__phone",
)


@dataclass(frozen=True)
class DayPeriod:
    """A service period on the day, in minutes from the local midnight (``end`` past 1440
    when it closes after midnight)."""

    name: str
    start: int
    end: int
    opens_at: time
    closes_at: time


@dataclass(frozen=True)
class DayTable:
    id: int
    number: str
    capacity: int
    area: str
    is_active: bool


@dataclass(frozen=True)
class DayReservation:
    """A reservation of the day with what the host stand shows of it."""

    reservation: Reservation
    status: str  # as the rules read it: a lapsed hold is expired
    table_ids: tuple[int, ...]
    table_numbers: tuple[str, ...]
    guest_name: str
    guest_phone: str
    visits: int
    no_shows: int
    local_start: datetime
    local_end: datetime
    start: int  # minutes from the local midnight of the day (past 1440 after midnight)
    end: int
    actions: tuple[HostAction, ...]  # those its status allows now (HOST_ACTIONS' order)

    @property
    def pk(self):
        return self.reservation.pk

    @property
    def on_timeline(self) -> bool:
        return self.status in ON_TIMELINE


@dataclass(frozen=True)
class SlotRow:
    """The guests and parties counted in one slot interval, against the restaurant's limits."""

    start: time
    covers: int
    parties: int
    max_covers: int | None
    max_parties: int | None

    @property
    def over_covers(self) -> bool:
        return self.max_covers is not None and self.covers >= self.max_covers

    @property
    def over_parties(self) -> bool:
        return self.max_parties is not None and self.parties >= self.max_parties


@dataclass(frozen=True)
class HostDay:
    restaurant: Restaurant
    day: date
    is_today: bool  # the service day ``now`` falls in (host_today)
    closed: bool
    periods: list[DayPeriod]
    tables: list[DayTable]  # by area, then number
    reservations: list[DayReservation]  # every one of the service day, by start
    listed: list[DayReservation]  # those the search matches (all without a search)
    slots: list[SlotRow]
    covers: int  # the day's counted guests and parties (not cancelled nor expired)
    parties: int
    now_minute: int | None  # where "now" falls on the day's axis, today only


def _table_order(table: DayTable) -> tuple:
    """By area, then by number as a person counts: 2 before 10, "T2" before "T10"."""
    parts = re.split(r"(\d+)", table.number)
    return (table.area, [int(p) if p.isdigit() else p.lower() for p in parts], table.id)


def _minutes_since(midnight: datetime, moment: datetime) -> int:
    return int((moment - midnight).total_seconds() // 60)


def _local_midnight(restaurant: Restaurant, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=restaurant.tz)


def _neighbour(day: date, days: int) -> date:
    """``day`` moved by ``days``, held at the calendar's ends (DayForm keeps them out)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return day


def _opening_periods(restaurant: Restaurant, days: list[date]) -> BookingContext:
    """The restaurant's opening periods of the weekdays of ``days``, as the booking rules read
    them: all ``period_for`` needs to place a start in its service day. Closures and turn
    times are not loaded (nothing here asks ``is_closed``). One query."""
    periods = tuple(
        ServicePeriod(weekday, opens_at, closes_at, name)
        for weekday, opens_at, closes_at, name in OpeningHours.objects.filter(
            restaurant=restaurant, weekday__in={day.weekday() for day in days}
        )
        .order_by("weekday", "opens_at")
        .values_list("weekday", "opens_at", "closes_at", "name")
    )
    return BookingContext(
        restaurant=restaurant,
        tz=restaurant.tz,
        periods=periods,
        duration_rules=(),
        closed_days=frozenset(),
        date_from=min(days),
        date_to=max(days),
    )


def _service_date(context: BookingContext, moment: datetime) -> date:
    """The service day of ``moment``: the day its opening period began (the evening before,
    for the after-midnight part of one), or its local date when it is in no period."""
    local = moment.astimezone(context.tz)
    local_time = local.time().replace(tzinfo=None, fold=0, second=0, microsecond=0)
    period = period_for(context, local.date(), local_time)
    return period.service_date if period is not None else local.date()


def host_service_date(restaurant: Restaurant, moment: datetime) -> date:
    """The service day ``moment`` belongs to (a reservation's start, or now): the day whose
    page shows it. One query (the periods of its weekday and the one before)."""
    local_date = moment.astimezone(restaurant.tz).date()
    return _service_date(
        _opening_periods(restaurant, [_neighbour(local_date, -1), local_date]), moment
    )


def host_today(restaurant: Restaurant, now: datetime) -> date:
    """Today at the host stand: the service day going on now, so a dinner past midnight is
    still the evening's page; between services, the local date. One query."""
    return host_service_date(restaurant, now)


def _periods(context: BookingContext, day: date) -> list[DayPeriod]:
    periods = []
    for period in context.periods_of(day.weekday()):
        start = period.opens_at.hour * 60 + period.opens_at.minute
        periods.append(
            DayPeriod(
                name=period.name,
                start=start,
                end=start + period.length_minutes,
                opens_at=period.opens_at,
                closes_at=period.closes_at,
            )
        )
    return periods


def _slot_rows(
    restaurant: Restaurant, day: date, periods: list[DayPeriod], now: datetime
) -> list[SlotRow]:
    """Each start of the periods' grid with the guests and parties counted in its interval
    (the counters booking enforces, lapsed holds left out). Two queries, always."""
    policy = PacingPolicy.of(restaurant)
    midnight = _local_midnight(restaurant, day)
    step = restaurant.slot_interval_minutes
    starts: list[datetime] = []
    for period in periods:
        minute = period.start
        while minute < period.end:
            local = (midnight.replace(tzinfo=None) + timedelta(minutes=minute)).replace(
                tzinfo=restaurant.tz
            )
            starts.append(local.astimezone(UTC))
            minute += step
    first = min(starts) if starts else midnight.astimezone(UTC)
    last = max(starts) if starts else first
    loads = SlotLoads.load(restaurant, start=first, end=last + policy.interval, now=now)
    rows = []
    for start in starts:
        covers, parties = loads.counted_within(start)
        rows.append(
            SlotRow(
                start=start.astimezone(restaurant.tz).time(),
                covers=covers,
                parties=parties,
                max_covers=policy.max_covers,
                max_parties=policy.max_parties,
            )
        )
    return rows


def host_day(*, restaurant: Restaurant, day: date, now: datetime, q: str = "") -> HostDay:
    """The service day ``day`` of ``restaurant`` for its host stand, read at ``now``; ``q``
    narrows ``listed`` to the guests whose name, e-mail or phone match every word
    (customers.selectors.customer_search). The caller has checked who may read it."""
    tz = restaurant.tz
    midnight = _local_midnight(restaurant, day)
    before, after = _neighbour(day, -1), _neighbour(day, 1)
    context = _opening_periods(restaurant, [before, day, after])
    periods = _periods(context, day)
    closed = Closure.objects.filter(
        restaurant=restaurant, starts_on__lte=day, ends_on__gte=day
    ).exists()
    tables = sorted(
        (
            DayTable(id=pk, number=number, capacity=capacity, area=area, is_active=active)
            for pk, number, capacity, area, active in Table.objects.filter(
                restaurant=restaurant
            ).values_list("pk", "number", "capacity", "area", "is_active")
        ),
        key=_table_order,
    )
    # The service day starts on its date and may run into the next one; of those two dates,
    # the starts the periods place in this service day.
    dated = Reservation.objects.filter(restaurant=restaurant, reservation_date__in=(day, after))
    # Only what the host stand shows of each row and its guest: the rest of 300 rows' columns
    # (their timestamps above all) cost more to decode than all the day's queries. A field
    # read that is not here would cost a query per row (the fixed count's test would fail).
    rows = [
        row
        for row in dated.select_related("customer").only(*DAY_FIELDS).order_by("start_at", "pk")
        if _service_date(context, row.start_at) == day
    ]
    tables_of: dict = {}
    for reservation_id, table_id in (
        Occupancy.objects.filter(reservation__in=dated.values("pk"))
        .order_by("table_id")
        .values_list("reservation_id", "table_id")
    ):
        tables_of.setdefault(reservation_id, []).append(table_id)
    guests = Customer.objects.filter(pk__in=dated.values("customer_id"))
    history = {
        pk: (visits, no_shows)
        for pk, visits, no_shows in guests.annotate(
            visits=guest_visit_count({restaurant.pk}),
            no_shows=guest_no_show_count({restaurant.pk}),
        ).values_list("pk", "visits", "no_shows")
    }
    matching = None
    if q.strip():
        matching = set(customer_search(guests, q=q).values_list("pk", flat=True))
    numbers = {table.id: table.number for table in tables}
    day_rows = []
    for row in rows:
        table_ids = tuple(tables_of.get(row.pk, [row.table_id]))
        customer = row.customer
        visits, no_shows = history.get(customer.pk, (0, 0))
        day_rows.append(
            DayReservation(
                reservation=row,
                status=effective_status(row, now),
                table_ids=table_ids,
                table_numbers=tuple(numbers.get(pk, "?") for pk in table_ids),
                guest_name=f"{customer.first_name} {customer.last_name}".strip() or customer.email,
                guest_phone=customer.phone or row.contact_phone,
                visits=visits,
                no_shows=no_shows,
                local_start=row.start_at.astimezone(tz),
                local_end=row.end_at.astimezone(tz),
                start=_minutes_since(midnight, row.start_at),
                end=_minutes_since(midnight, row.end_at),
                actions=host_actions(row, now),
            )
        )
    counted = [r for r in day_rows if r.status in Reservation.PACED_STATUSES]
    # Today is this page when now falls in its service day: on its date, or after midnight
    # during its last period (the periods loaded cover both).
    is_today = now.astimezone(tz).date() in (day, after) and _service_date(context, now) == day
    return HostDay(
        restaurant=restaurant,
        day=day,
        is_today=is_today,
        closed=closed,
        periods=periods,
        tables=tables,
        reservations=day_rows,
        listed=[r for r in day_rows if matching is None or r.reservation.customer_id in matching],
        slots=_slot_rows(restaurant, day, periods, now),
        covers=sum(r.reservation.party_size for r in counted),
        parties=len(counted),
        now_minute=_minutes_since(midnight, now) if is_today else None,
    )


def host_days_on_guest_changed(event: GuestProfileChanged) -> None:
    """A guest's name, contact or allergies changed (subscribed in ReservationsConfig.ready):
    the days that list them from yesterday on, at each restaurant, get new versions once the
    change commits, so every host stand showing one renders it at its next poll. (Older days
    still change on the next minute: their ETag carries it.)"""
    since = clock_now().date() - timedelta(days=1)
    days: dict[int, set[date]] = {}
    for restaurant_id, day in (
        Reservation.objects.filter(customer_id=event.customer_id, reservation_date__gte=since)
        .values_list("restaurant_id", "reservation_date")
        .distinct()
    ):
        # The day before as well: a stay after midnight is on the evening's service day.
        days.setdefault(restaurant_id, set()).update({day, day - timedelta(days=1)})
    for restaurant_id, dates in days.items():
        availability_invalidate_on_commit(restaurant_id=restaurant_id, dates=dates)


def host_day_version(*, restaurant_id: int, day: date) -> str | None:
    """The version of the restaurant's day: a new one after every committed change of a
    reservation on it or next to it (so also of one after its midnight), and of the
    restaurant's setup; None when the cache cannot say (then nothing may be assumed
    unchanged)."""
    return availability_day_version(restaurant_id=restaurant_id, day=day)


def host_reservation(*, restaurant_id: int, reservation_id) -> Reservation | None:
    """A reservation of the restaurant by id, with its guest; None for one of another
    restaurant (or none), so the host stand answers both alike."""
    return (
        Reservation.objects.select_related("customer", "restaurant")
        .filter(restaurant_id=restaurant_id, pk=reservation_id)
        .first()
    )


def host_reservation_table_numbers(reservation: Reservation) -> list[str]:
    """The numbers of the tables it sits or sat at (its occupancy rows, kept after it ended)."""
    return list(
        Occupancy.objects.filter(reservation_id=reservation.pk)
        .order_by("table__number", "table_id")
        .values_list("table__number", flat=True)
    )


def host_seatings(restaurant_id: int) -> list[Seating]:
    """Every way staff may seat a party at the restaurant, whatever its size: each active
    table alone (smallest first), then each combination that may seat a party (active, every
    table active). Two queries. The booking core still checks that the seating fits."""
    tables = {
        table.pk: table
        for table in Table.objects.filter(restaurant_id=restaurant_id, is_active=True).order_by(
            *SINGLE_TABLE_ORDER
        )
    }
    singles = [Seating(tables=(table,), capacity=table.capacity) for table in tables.values()]
    combined = [
        Seating(
            tables=tuple(tables[pk] for pk in combination.table_ids),
            capacity=combination.capacity,
            combination_id=combination.id,
        )
        for combination in combinations_for(restaurant_id)
        if all(pk in tables for pk in combination.table_ids)
    ]
    return singles + combined
