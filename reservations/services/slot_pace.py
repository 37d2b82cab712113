"""The pacing counters' writes (reservations.pacing has the rule): a reservation is counted
at its start when it is booked, uncounted when it is cancelled or its hold expires, and moved
when a change moves its start or its party size, in the transaction that changes it.

Taking a place is one guarded ``UPDATE`` of the slot's SlotPace row (the row created first
when missing, ``INSERT ... ON CONFLICT DO NOTHING``): ``covers = covers + n, parties =
parties + 1`` only where the interval, this row and any other start inside it, stays within
the limits. No row updated: the limit would be passed, 409 ``pacing_limit``, and the caller's
transaction rolls back whatever it wrote (a walk-in's place, ``take(limited=False)``, is
counted without the guard: the party is at the door). Concurrent bookings of one slot queue
on the row's lock on PostgreSQL, and each re-reads the counts the previous one committed;
SQLite's write transactions run one at a time.

A transaction changes its pace rows after every other row it locks (reservations, occupancy)
and all of them at once, in one order, by (restaurant, start), through ``PaceChanges``: so two
transactions never wait for each other's pace rows in opposite orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, IntegerField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from core.errors import PacingLimit
from reservations.models import Reservation, SlotPace
from reservations.pacing import COVERS_LIMIT, PARTIES_LIMIT, PacingPolicy
from restaurants.models import Restaurant


@dataclass
class _SlotChange:
    """What one transaction does to one slot's counter: ``covers`` and ``parties`` added
    (negative: given back), and how much of that the parties it places there grew by (a
    new party all of it; a party moved within its own slot, its difference). Only growth is
    limited: others' places given back (a lapsed hold's) never make room for more than the
    limit, and a party shrinking in a slot over a limit lowered since is not refused."""

    covers: int = 0
    parties: int = 0
    grown_covers: int = 0
    grown_parties: int = 0


class PaceChanges:
    """The counter changes of one transaction, applied together by ``apply``: ``take`` for
    a new party starting at the restaurant, ``move`` for a reservation a change moves (or
    whose party it resizes), ``release`` for a reservation that stops counting where it
    was (cancelled, expired)."""

    def __init__(self, restaurant: Restaurant | None = None):
        self.restaurant = restaurant
        self._slots: dict[tuple[int, datetime], _SlotChange] = {}
        self._takes: list[datetime] = []
        # Slots whose places are counted without the limits (a walk-in's: ``take``).
        self._unlimited: set[tuple[int, datetime]] = set()

    def _slot(self, restaurant_id: int, start_at: datetime) -> _SlotChange:
        return self._slots.setdefault((restaurant_id, start_at), _SlotChange())

    def take(self, start_at: datetime, party_size: int, *, limited: bool = True) -> None:
        """A new party starting at ``start_at``. Not ``limited`` (a walk-in, seated by the
        host now): counted like any other, never refused, even past a limit; the parties
        booked after it in the interval then find it counted."""
        if self.restaurant is None:
            raise ValueError("Only changes for a restaurant take places.")
        if not limited:
            self._unlimited.add((self.restaurant.pk, start_at))
        slot = self._slot(self.restaurant.pk, start_at)
        slot.covers += party_size
        slot.parties += 1
        slot.grown_covers += party_size
        slot.grown_parties += 1
        self._takes.append(start_at)

    def move(self, reservation: Reservation, *, start_at: datetime, party_size: int) -> None:
        """The reservation's place where it was becomes one for ``party_size`` at
        ``start_at`` (the same slot: the difference)."""
        self.release(reservation)
        slot = self._slot(reservation.restaurant_id, reservation.start_at)
        slot.grown_covers -= reservation.party_size
        slot.grown_parties -= 1
        self.take(start_at, party_size)

    def release(self, reservation: Reservation) -> None:
        slot = self._slot(reservation.restaurant_id, reservation.start_at)
        slot.covers -= reservation.party_size
        slot.parties -= 1

    def lapsed_holds_counted(self) -> Q | None:
        """Where the lapsed holds that still count against the takes are: the restaurant's
        reservations starting inside the interval of a take, when it has limits (None
        otherwise). The transaction expires them first, so a hold whose time ran out never
        keeps a place (reservations.pacing)."""
        if self.restaurant is None or not self._takes:
            return None
        policy = PacingPolicy.of(self.restaurant)
        if not policy.limited:
            return None
        inside = Q()
        for start in self._takes:
            inside |= Q(start_at__gte=start, start_at__lt=start + policy.interval)
        return Q(restaurant_id=self.restaurant.pk) & inside

    def _later_in_interval(self, restaurant_id: int, slot_start: datetime) -> _SlotChange:
        """This transaction's changes to the other starts inside the interval of
        ``slot_start``, not yet written when its row is (``apply`` goes by start): a lapsed
        hold at 13:45 expired to make room for a take at 13:30 gives its place back there
        only after the take's guard has counted the interval."""
        policy = PacingPolicy.of(self.restaurant)
        later = _SlotChange()
        for (other_restaurant, other_start), change in self._slots.items():
            if other_restaurant == restaurant_id and (
                slot_start < other_start < slot_start + policy.interval
            ):
                later.covers += change.covers
                later.parties += change.parties
        return later

    def apply(self, *, upsert: bool = False) -> None:
        """Write every change, by (restaurant, start); 409 ``pacing_limit`` when a party
        placed would pass a limit (the caller's transaction then writes nothing). With
        ``upsert``, a place taken where no limit applies is one ``INSERT ... ON CONFLICT DO
        UPDATE`` instead of an update, an insert when the row is missing and the update
        again (the booking core's short path)."""
        for (restaurant_id, slot_start), change in sorted(self._slots.items()):
            if change.grown_covers > 0 or change.grown_parties > 0:
                if self.restaurant is None or restaurant_id != self.restaurant.pk:
                    raise ValueError("A place is taken only at the changes' restaurant.")
                if (restaurant_id, slot_start) in self._unlimited:
                    _count(self.restaurant, slot_start, change)
                else:
                    later = self._later_in_interval(restaurant_id, slot_start)
                    _take(self.restaurant, slot_start, change, upsert=upsert, later=later)
            elif change.covers or change.parties:
                _rows(restaurant_id, slot_start).update(**_added(change))
        self._slots.clear()
        self._takes.clear()
        self._unlimited.clear()


def _rows(restaurant_id: int, slot_start: datetime):
    return SlotPace.objects.filter(restaurant_id=restaurant_id, slot_start=slot_start)


def _added(change: _SlotChange) -> dict:
    # A count never goes below zero: a row that missed a reservation (written around the
    # services) must not stop its cancellation.
    values = {}
    for field, amount in (("covers", change.covers), ("parties", change.parties)):
        if amount >= 0:
            values[field] = F(field) + amount
        else:
            values[field] = Greatest(F(field) + amount, Value(0), output_field=IntegerField())
    return values


def _inside_interval(restaurant: Restaurant, slot_start: datetime, field: str, policy):
    """What the other starts inside the interval count (reservations.pacing: those booked on
    an earlier grid), as a subquery of the guarded update: 0 when there are none."""
    others = (
        SlotPace.objects.filter(
            restaurant_id=restaurant.pk,
            slot_start__gt=slot_start,
            slot_start__lt=slot_start + policy.interval,
        )
        .order_by()
        .values("restaurant_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(others), Value(0), output_field=IntegerField())


def _guard(
    restaurant: Restaurant, slot_start: datetime, change: _SlotChange, later: _SlotChange
) -> Q:
    """The interval stays within the limits the change grows, once the change is written
    (reservations.pacing.PacingPolicy.limit_passed is the same rule, in Python)."""
    policy = PacingPolicy.of(restaurant)
    guard = Q()
    if policy.max_covers is not None and change.grown_covers > 0:
        room = Value(policy.max_covers - change.covers - later.covers) - _inside_interval(
            restaurant, slot_start, "covers", policy
        )
        guard &= Q(covers__lte=room)
    if policy.max_parties is not None and change.grown_parties > 0:
        room = Value(policy.max_parties - change.parties - later.parties) - _inside_interval(
            restaurant, slot_start, "parties", policy
        )
        guard &= Q(parties__lte=room)
    return guard


def _take(
    restaurant: Restaurant,
    slot_start: datetime,
    change: _SlotChange,
    *,
    upsert: bool = False,
    later: _SlotChange | None = None,
) -> None:
    """Take the change's place at ``slot_start`` under the limits, counting ``later``: what
    the same transaction is about to add to the interval's other starts (negative: places it
    gives back, a lapsed hold it expired)."""
    later = later or _SlotChange()
    if (
        upsert
        and not PacingPolicy.of(restaurant).limited
        and change.covers >= 0
        and change.parties >= 0
    ):
        # No limit to guard: the place is taken in one statement, the row made if missing.
        _upsert(restaurant.pk, slot_start, change)
        return
    guarded = _rows(restaurant.pk, slot_start).filter(_guard(restaurant, slot_start, change, later))
    if guarded.update(**_added(change)):
        return
    # The slot's first reservation: its row, then the same update (a concurrent first
    # booking's insert is waited for, and its count then read).
    SlotPace.objects.bulk_create(
        [SlotPace(restaurant_id=restaurant.pk, slot_start=slot_start)], ignore_conflicts=True
    )
    if guarded.update(**_added(change)):
        return
    raise _refusal(restaurant, slot_start, change, later)


def _count(restaurant: Restaurant, slot_start: datetime, change: _SlotChange) -> None:
    """The change counted without a guard (a walk-in's place): the row made when missing,
    then the same update without the limits."""
    SlotPace.objects.bulk_create(
        [SlotPace(restaurant_id=restaurant.pk, slot_start=slot_start)], ignore_conflicts=True
    )
    _rows(restaurant.pk, slot_start).update(**_added(change))


def _upsert(restaurant_id: int, slot_start: datetime, change: _SlotChange) -> None:
    """``INSERT ... ON CONFLICT DO UPDATE`` adding the change to the slot's row (PostgreSQL
    and SQLite both take it): the row lock serializes concurrent bookings of the slot as the
    guarded update does."""
    table = connection.ops.quote_name(SlotPace._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (restaurant_id, slot_start, covers, parties)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (restaurant_id, slot_start) DO UPDATE"
            f" SET covers = {table}.covers + excluded.covers,"
            f" parties = {table}.parties + excluded.parties",
            [
                restaurant_id,
                connection.ops.adapt_datetimefield_value(slot_start),
                change.covers,
                change.parties,
            ],
        )


def _refusal(restaurant: Restaurant, slot_start: datetime, change: _SlotChange, later: _SlotChange):
    policy = PacingPolicy.of(restaurant)
    counted = SlotPace.objects.filter(
        restaurant_id=restaurant.pk,
        slot_start__gte=slot_start,
        slot_start__lt=slot_start + policy.interval,
    ).aggregate(covers=Sum("covers"), parties=Sum("parties"))
    limit = policy.limit_passed(
        covers=(counted["covers"] or 0) + change.covers + later.covers,
        parties=(counted["parties"] or 0) + change.parties + later.parties,
        more_covers=change.grown_covers > 0,
        more_parties=change.grown_parties > 0,
    )
    if limit is None:  # the counts moved since the update: name a limit that is set
        limit = COVERS_LIMIT if policy.max_covers is not None else PARTIES_LIMIT
    if limit == COVERS_LIMIT:
        most, what = policy.max_covers, "guests"
    else:
        most, what = policy.max_parties, "parties"
    local = slot_start.astimezone(restaurant.tz)
    minutes = restaurant.slot_interval_minutes
    return PacingLimit(
        f"The restaurant takes at most {most} {what} starting at {local:%H:%M} on "
        f"{local:%Y-%m-%d} (within {minutes} minutes); choose another time.",
        details={
            "limit": limit,
            "max": most,
            "slot": {
                "start_at": slot_start.isoformat().replace("+00:00", "Z"),
                "reservation_date": local.date().isoformat(),
                "reservation_time": f"{local:%H:%M}",
                "minutes": minutes,
            },
        },
    )
