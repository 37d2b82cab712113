"""Reads with rules: who sees which reservations, and which seatings are free.

Scope (issue 5): a superuser sees every reservation; a manager or host sees their restaurants'
reservations; a guest sees their own (the reservations of the Customer profile linked to their
account). Views look reservations up only through these, so one outside the caller's scope is
a 404 and its id reveals nothing.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from core.clock import now as clock_now
from core.errors import NotFound
from reservations.models import Occupancy, Reservation, TsTzRange
from restaurants.models import Restaurant, Table
from restaurants.selectors import (
    CombinationSeating,
    combinations_for,
    staff_restaurant_ids,
    staff_roles_of,
)


def _scope(user) -> Q | None:
    """The filter for ``user``'s reservations (None: everything)."""
    if user.is_superuser:
        return None
    return Q(customer__user=user) | Q(restaurant_id__in=staff_restaurant_ids(user))


def reservations_visible_to(user) -> QuerySet[Reservation]:
    if not user or not user.is_authenticated:
        return Reservation.objects.none()
    scope = _scope(user)
    qs = Reservation.objects.all()
    return qs if scope is None else qs.filter(scope)


def reservation_list(*, user, filters: dict[str, Any]) -> QuerySet[Reservation]:
    """The caller's reservations, filtered, in start order. ``filters`` holds already validated
    values: restaurant_id, customer_id, table_id, date, date_from, date_to (local dates of the
    start) and status (a list)."""
    qs = reservations_visible_to(user)
    for key in ("restaurant_id", "customer_id"):
        if filters.get(key) is not None:
            qs = qs.filter(**{key: filters[key]})
    if filters.get("table_id") is not None:
        # Any of the tables it holds (one row per table: no duplicates).
        qs = qs.filter(occupancies__table_id=filters["table_id"])
    if filters.get("date") is not None:
        qs = qs.filter(reservation_date=filters["date"])
    if filters.get("date_from") is not None:
        qs = qs.filter(reservation_date__gte=filters["date_from"])
    if filters.get("date_to") is not None:
        qs = qs.filter(reservation_date__lte=filters["date_to"])
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    return qs.prefetch_related("occupancies").order_by("start_at", "id")


def reservation_for_user(user, reservation_id: UUID) -> Reservation:
    """The reservation if it is in ``user``'s scope; 404 otherwise."""
    reservation = reservations_visible_to(user).filter(pk=reservation_id).first()
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


def reservation_by_manage_token(token: str) -> Reservation:
    """The reservation a guest's manage link names; 404 for any other token, which says
    nothing about whether it ever existed."""
    reservation = (
        Reservation.objects.select_related("restaurant", "customer")
        .filter(manage_token=token)
        .first()
        if token
        else None
    )
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


def manage_token_exists(token: str) -> bool:
    """Whether a guest's manage link names a reservation (no answer is kept for one that does
    not: core.idempotency)."""
    return bool(token) and Reservation.objects.filter(manage_token=token).exists()


def manage_token_of(reservation_id) -> str | None:
    """A reservation's manage token, read when a kept answer is replayed (the idempotency
    table never holds it)."""
    return (
        Reservation.objects.filter(pk=reservation_id).values_list("manage_token", flat=True).first()
    )


def staff_role_at(user, restaurant_id: int) -> str | None:
    """``user``'s role on the staff of a restaurant (manager or host), or None."""
    return staff_roles_of(user).get(restaurant_id)


def overlapping(
    qs: QuerySet[Reservation], start_at: datetime, end_at: datetime, *, also: Q | None = None
):
    """Rows of ``qs`` whose stay overlaps ``[start_at, end_at)`` (or that match ``also``).

    On PostgreSQL the test is written as the exclusion constraint's own expression
    (``tstzrange(start_at, end_at, '[)') && ...``), so together with a table filter and the
    active statuses the planner can use the constraint's GiST index (docs/availability.md
    shows the plan); elsewhere it is the same comparison on the two columns."""
    if connection.vendor == "postgresql":
        qs = qs.alias(
            stay=TsTzRange("start_at", "end_at", RangeBoundary(), output_field=DateTimeRangeField())
        )
        match = Q(stay__overlap=DateTimeTZRange(start_at, end_at, "[)"))
    else:
        match = Q(start_at__lt=end_at, end_at__gt=start_at)
    return qs.filter(match if also is None else match | also)


def seated_past_end(now: datetime) -> Q:
    """The rule of a party that outstays its booking (a filter of occupancy rows): a seated
    reservation holds its tables until it leaves seated (it is completed), even past its
    booked end; when that will be is unknown. These are the rows of the parties still seated
    at ``now`` whose booked stay has ended."""
    return Q(holds=True, reservation__status=Reservation.Status.SEATED, end_at__lte=now)


def holding_occupancies(*, start_at: datetime, end_at: datetime, now: datetime):
    """Occupancy rows that hold a table during ``[start_at, end_at)``: those of active
    reservations (``holds``), except pending holds that have lapsed (``expires_at <= now``),
    which never block a booking. For a stay that has begun by ``now`` (a walk-in; an advance
    booking always starts later) also the rows of parties still seated past their booked end
    (``seated_past_end``): nobody is seated at a table whose party still sits there."""
    held = Occupancy.objects.filter(holds=True).exclude(
        reservation__status=Reservation.Status.PENDING, reservation__expires_at__lte=now
    )
    return overlapping(
        held, start_at, end_at, also=seated_past_end(now) if start_at <= now else None
    )


def tables_still_seated(*, restaurant_id: int, now: datetime) -> set[int]:
    """The restaurant's tables whose party is still seated past its booked end
    (``seated_past_end``): when they free up is unknown."""
    return set(
        Occupancy.objects.filter(seated_past_end(now), table__restaurant_id=restaurant_id)
        .values_list("table_id", flat=True)
        .distinct()
    )


def seating_of(reservation: Reservation) -> list[Table]:
    """The tables ``reservation`` sits at, by id (its occupancy rows; one query)."""
    return list(Table.objects.filter(occupancies__reservation_id=reservation.pk).order_by("pk"))


# A single table's place in booking's order of preference: smallest first.
SINGLE_TABLE_ORDER = ("capacity", "min_capacity", "number", "pk")


def _seats_alone(party_size: int) -> Q:
    return Q(capacity__gte=party_size, min_capacity__lte=party_size)


def tables_seating(*, restaurant_id: int, party_size: int) -> QuerySet[Table]:
    """Active tables of the restaurant whose ``min_capacity..capacity`` holds the party, in
    booking's order of preference: smallest first. Booking and availability both start here."""
    return (
        Table.objects.filter(restaurant_id=restaurant_id, is_active=True)
        .filter(_seats_alone(party_size))
        .order_by(*SINGLE_TABLE_ORDER)
    )


def _free(
    tables: QuerySet[Table],
    *,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    skipping: Collection[int] = (),
):
    """Those of ``tables`` nobody holds during ``[start_at, end_at)``, but those ``skipping``
    names (by id)."""
    busy = holding_occupancies(start_at=start_at, end_at=end_at, now=now).filter(
        table=OuterRef("pk")
    )
    free = tables.exclude(Exists(busy))
    return free.exclude(pk__in=skipping) if skipping else free


def tables_free_for(
    *,
    restaurant_id: int,
    party_size: int,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    limit: int | None = None,
    skipping: Collection[int] = (),
) -> list[Table]:
    """Tables seating the party alone that nobody holds during the stay, smallest first (one
    query); never those ``skipping`` names."""
    qs = _free(
        tables_seating(restaurant_id=restaurant_id, party_size=party_size),
        start_at=start_at,
        end_at=end_at,
        now=now,
        skipping=skipping,
    )
    return list(qs[:limit] if limit else qs)


@dataclass(frozen=True)
class Seating:
    """One way to seat a party: a single table, or the tables of a combination (by id)."""

    tables: tuple[Table, ...]
    capacity: int
    combination_id: int | None = None

    @property
    def table_ids(self) -> tuple[int, ...]:
        return tuple(table.pk for table in self.tables)


def combinations_seating(*, restaurant_id: int, party_size: int) -> list[CombinationSeating]:
    """The restaurant's combinations that may seat a party (active, every table active:
    ``combinations_for``) whose ``min_capacity..capacity`` holds it (one query)."""
    return [
        combination
        for combination in combinations_for(restaurant_id)
        if combination.min_capacity <= party_size <= combination.capacity
    ]


def _combined(
    combinations: list[CombinationSeating], tables: dict[int, Table], party_size: int
) -> list[Seating]:
    """The combinations whose tables are all in ``tables``, as seatings in booking's order:
    the fewest spare seats (``capacity - party_size``), then the fewest tables, then the
    sorted tuple of their tables' numbers."""

    def rank(combination: CombinationSeating) -> tuple:
        numbers = sorted(tables[pk].number for pk in combination.table_ids)
        return (combination.capacity - party_size, len(combination.table_ids), tuple(numbers))

    usable = [c for c in combinations if all(pk in tables for pk in c.table_ids)]
    return [
        Seating(
            tables=tuple(tables[pk] for pk in combination.table_ids),
            capacity=combination.capacity,
            combination_id=combination.id,
        )
        for combination in sorted(usable, key=rank)
    ]


def combination_of(*, restaurant_id: int, table_ids: list[int]) -> CombinationSeating | None:
    """The restaurant's combination of exactly these tables, if it is one that may seat a
    party (active, every table active); None otherwise (one query)."""
    wanted = tuple(sorted(table_ids))
    return next((c for c in combinations_for(restaurant_id) if c.table_ids == wanted), None)


def seatings_for(*, restaurant_id: int, party_size: int) -> list[Seating]:
    """Every seating of the party at the restaurant, free or not, in booking's order of
    preference: the active tables that seat it alone (``tables_seating``'s order), then the
    combinations that seat it (``_combined``'s order). Availability starts here; two queries
    whatever the number of tables and combinations (the combinations, then their tables and
    the single tables together)."""
    combinations = combinations_seating(restaurant_id=restaurant_id, party_size=party_size)
    members = {pk for combination in combinations for pk in combination.table_ids}
    rows = (
        Table.objects.filter(restaurant_id=restaurant_id, is_active=True)
        .filter(_seats_alone(party_size) | Q(pk__in=members))
        .order_by(*SINGLE_TABLE_ORDER)
    )
    return seatings_among(list(rows), combinations, party_size)


def seatings_among(
    tables: list[Table], combinations: list[CombinationSeating], party_size: int
) -> list[Seating]:
    """``seatings_for``'s answer from rows already read (a cached booking setup): ``tables``
    active and in ``SINGLE_TABLE_ORDER``, holding at least those that seat the party alone
    and the tables of ``combinations`` (those that may seat a party: ``combinations_for``);
    no query."""
    fitting = [c for c in combinations if c.min_capacity <= party_size <= c.capacity]
    singles = [
        Seating(tables=(table,), capacity=table.capacity)
        for table in tables
        if table.min_capacity <= party_size <= table.capacity
    ]
    return singles + _combined(fitting, {table.pk: table for table in tables}, party_size)


def seatings_free_for(
    *,
    restaurant_id: int,
    party_size: int,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    limit: int | None = None,
    skipping: Collection[int] = (),
) -> list[list[Table]]:
    """The seatings a booking without a table tries, in order, each a list of tables by id:
    the free tables that seat the party alone (smallest first), then the combinations that
    seat it whose tables are all free during the stay (``seatings_for``'s order, so
    availability offers the same), none with a table ``skipping`` names. At most ``limit``.
    One query when ``limit`` tables are
    free; otherwise two more, whatever the number of combinations: the restaurant's
    combinations, and which of their tables are free."""
    seatings = [
        [table]
        for table in tables_free_for(
            restaurant_id=restaurant_id,
            party_size=party_size,
            start_at=start_at,
            end_at=end_at,
            now=now,
            limit=limit,
            skipping=skipping,
        )
    ]
    if limit is not None and len(seatings) >= limit:
        return seatings
    combinations = combinations_seating(restaurant_id=restaurant_id, party_size=party_size)
    if combinations:
        members = {pk for combination in combinations for pk in combination.table_ids}
        free = _free(
            Table.objects.filter(restaurant_id=restaurant_id, is_active=True, pk__in=members),
            start_at=start_at,
            end_at=end_at,
            now=now,
            skipping=skipping,
        )
        joined = _combined(combinations, {table.pk: table for table in free}, party_size)
        seatings += [list(seating.tables) for seating in joined]
    return seatings[:limit] if limit is not None else seatings


# How many of the coming ends of stays ``next_free_start`` tries: it stays a few queries.
NEXT_FREE_CANDIDATES = 5


def next_free_start(
    *,
    restaurant_id: int,
    party_size: int,
    after: datetime,
    stay: timedelta,
    now: datetime,
) -> datetime | None:
    """When a seating for the party frees up for a whole ``stay`` (what a walk-in refused now
    is told): the first of the next few ends of the stays holding the restaurant's tables
    after ``after`` from which ``seatings_free_for`` finds a seating free for ``stay``; None
    when none of those does (a hint, not a hold: someone may book it meanwhile). A table
    whose party is still seated past its booked end (``tables_still_seated``) frees up when
    they leave, which nobody knows: no seating with it is named."""
    still_seated = tables_still_seated(restaurant_id=restaurant_id, now=now)
    ends = (
        holding_occupancies(start_at=after, end_at=after + stay, now=now)
        .filter(table__restaurant_id=restaurant_id, end_at__gt=after)
        .exclude(table_id__in=still_seated)
        .order_by("end_at")
        .values_list("end_at", flat=True)
        .distinct()[:NEXT_FREE_CANDIDATES]
    )
    for start in ends:
        if seatings_free_for(
            restaurant_id=restaurant_id,
            party_size=party_size,
            start_at=start,
            end_at=start + stay,
            now=now,
            limit=1,
            skipping=still_seated,
        ):
            return start
    return None


def anonymous_hold_for(
    *,
    restaurant_id: int,
    email: str,
    phone: str,
    reservation_date,
    reservation_time,
    party_size: int,
) -> Reservation | None:
    """The live hold a guest without an account (their restaurant-local profile, by e-mail)
    already took for exactly this time and party with this phone, if any: the same details
    sent again (a second tap while a slow answer is on its way) are that hold, not a second
    table and a second e-mail."""
    return (
        Reservation.objects.live_holds(clock_now())
        .filter(
            restaurant_id=restaurant_id,
            created_by__isnull=True,
            customer__user__isnull=True,
            customer__created_by_restaurant_id=restaurant_id,
            customer__email__iexact=email,
            contact_phone=phone,
            reservation_date=reservation_date,
            reservation_time=reservation_time,
            party_size=party_size,
        )
        .first()
    )


# --- answers to the apps below (registered in ReservationsConfig.ready) -----------------------


def reservations_ahead_count(restaurant: Restaurant) -> int:
    """The restaurant's reservations ahead (restaurants' guard on a time zone change)."""
    return Reservation.objects.filter(restaurant=restaurant).ahead(clock_now()).count()


def table_has_reservations_ahead(table: Table) -> bool:
    """Whether one of the table's reservations is ahead (restaurants' guard on deleting it)."""
    return Reservation.objects.filter(occupancies__table=table).ahead(clock_now()).exists()


def guests_with_reservations_at(restaurant_ids: set[int]) -> QuerySet[Reservation]:
    """``customer_id`` of every reservation, of any status, at ``restaurant_ids`` (customers'
    guest history: whose guests a restaurant's staff see)."""
    return Reservation.objects.filter(restaurant_id__in=restaurant_ids).values("customer_id")


def guests_who_booked_at(restaurant_ids: set[int]) -> QuerySet[Reservation]:
    """``customer_id`` of the reservations at ``restaurant_ids`` that the guest's own account
    made, not staff on the guest's behalf (customers' guest history)."""
    return Reservation.objects.filter(
        restaurant_id__in=restaurant_ids,
        customer__user__isnull=False,
        created_by_id=F("customer__user_id"),
    ).values("customer_id")


def _guest_reservation_count(status: str, restaurant_ids: set[int] | None) -> Count:
    matching = Q(reservations__status=status)
    if restaurant_ids is not None:
        matching &= Q(reservations__restaurant_id__in=restaurant_ids)
    return Count("reservations", filter=matching)


def guest_visit_count(restaurant_ids: set[int] | None) -> Count:
    """A guest's completed reservations at ``restaurant_ids`` (None: anywhere), as an
    annotation of their profile (customers' guest history)."""
    return _guest_reservation_count(Reservation.Status.COMPLETED, restaurant_ids)


def guest_no_show_count(restaurant_ids: set[int] | None) -> Count:
    """A guest's no-shows at ``restaurant_ids`` (None: anywhere), as an annotation."""
    return _guest_reservation_count(Reservation.Status.NO_SHOW, restaurant_ids)
