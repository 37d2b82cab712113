"""The pacing counters' writes (reservations.pacing has the rule): a reservation is counted
at its start when it is booked, uncounted when it is cancelled or its hold expires, and moved
when a change moves its start or its party size, in the transaction that changes it.

Taking a place is one guarded ``UPDATE`` of the slot's SlotPace row (the row created first
when missing, ``INSERT ... ON CONFLICT DO NOTHING``): ``covers = covers + n, parties =
parties + 1`` only where the interval, this row and any other start inside it, stays within
the limits. No row updated: the limit would be passed, 409 ``pacing_limit``, and the caller's
transaction rolls back whatever it wrote. Concurrent bookings of one slot queue on the row's
lock on PostgreSQL, and each re-reads the counts the previous one committed; SQLite's write
transactions run one at a time.

A transaction changes its pace rows after every other row it locks (reservations, occupancy)
and all of them at once, in one order, by (restaurant, start), through ``PaceChanges``: so two
transactions never wait for each other's pace rows in opposite orders.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, IntegerField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from core.errors import PacingLimit
from reservations.models import Reservation, SlotPace
from reservations.pacing import COVERS_LIMIT, PARTIES_LIMIT, PacingPolicy
from restaurants.models import Restaurant


class PaceChanges:
    """The counter changes of one transaction, applied together by ``apply``: ``take`` for
    a party starting at the restaurant (a booking, or where a change moves it), ``release``
    for a reservation that stops counting where it was. A change records both; a take and a
    release of one slot add up (a party growing from 2 to 4 takes 2 more places there)."""

    def __init__(self, restaurant: Restaurant | None = None):
        self.restaurant = restaurant
        self._deltas: dict[tuple[int, datetime], tuple[int, int]] = {}
        self._takes: list[datetime] = []

    def _add(self, restaurant_id: int, start_at: datetime, covers: int, parties: int) -> None:
        key = (restaurant_id, start_at)
        had_covers, had_parties = self._deltas.get(key, (0, 0))
        self._deltas[key] = (had_covers + covers, had_parties + parties)

    def take(self, start_at: datetime, party_size: int) -> None:
        if self.restaurant is None:
            raise ValueError("Only changes for a restaurant take places.")
        self._add(self.restaurant.pk, start_at, party_size, 1)
        self._takes.append(start_at)

    def release(self, reservation: Reservation) -> None:
        self._add(reservation.restaurant_id, reservation.start_at, -reservation.party_size, -1)

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

    def apply(self) -> None:
        """Write every change, by (restaurant, start); 409 ``pacing_limit`` when a take would
        pass a limit (the caller's transaction then writes nothing)."""
        for (restaurant_id, slot_start), (covers, parties) in sorted(self._deltas.items()):
            if covers > 0 or parties > 0:
                if self.restaurant is None or restaurant_id != self.restaurant.pk:
                    raise ValueError("A place is taken only at the changes' restaurant.")
                _take(self.restaurant, slot_start, covers, parties)
            elif covers or parties:
                _rows(restaurant_id, slot_start).update(
                    covers=_added("covers", covers), parties=_added("parties", parties)
                )
        self._deltas.clear()
        self._takes.clear()


def _rows(restaurant_id: int, slot_start: datetime):
    return SlotPace.objects.filter(restaurant_id=restaurant_id, slot_start=slot_start)


def _added(field: str, amount: int):
    # A count never goes below zero: a row that missed a reservation (written around the
    # services) must not stop its cancellation.
    if amount >= 0:
        return F(field) + amount
    return Greatest(F(field) + amount, Value(0), output_field=IntegerField())


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


def _guard(restaurant: Restaurant, slot_start: datetime, covers: int, parties: int) -> Q:
    """The row may take ``covers`` guests and ``parties`` parties more: the limits that grow
    (reservations.pacing.PacingPolicy.limit_passed is the same rule, in Python)."""
    policy = PacingPolicy.of(restaurant)
    guard = Q()
    if policy.max_covers is not None and covers > 0:
        room = Value(policy.max_covers - covers) - _inside_interval(
            restaurant, slot_start, "covers", policy
        )
        guard &= Q(covers__lte=room)
    if policy.max_parties is not None and parties > 0:
        room = Value(policy.max_parties - parties) - _inside_interval(
            restaurant, slot_start, "parties", policy
        )
        guard &= Q(parties__lte=room)
    return guard


def _take(restaurant: Restaurant, slot_start: datetime, covers: int, parties: int) -> None:
    guarded = _rows(restaurant.pk, slot_start).filter(
        _guard(restaurant, slot_start, covers, parties)
    )
    change = {"covers": _added("covers", covers), "parties": _added("parties", parties)}
    if guarded.update(**change):
        return
    # The slot's first reservation: its row, then the same update (a concurrent first
    # booking's insert is waited for, and its count then read).
    SlotPace.objects.bulk_create(
        [SlotPace(restaurant_id=restaurant.pk, slot_start=slot_start)], ignore_conflicts=True
    )
    if guarded.update(**change):
        return
    raise _refusal(restaurant, slot_start, covers, parties)


def _refusal(restaurant: Restaurant, slot_start: datetime, covers: int, parties: int):
    policy = PacingPolicy.of(restaurant)
    counted = SlotPace.objects.filter(
        restaurant_id=restaurant.pk,
        slot_start__gte=slot_start,
        slot_start__lt=slot_start + policy.interval,
    ).aggregate(covers=Sum("covers"), parties=Sum("parties"))
    limit = policy.limit_passed(
        covers=counted["covers"] or 0,
        parties=counted["parties"] or 0,
        add_covers=covers,
        add_parties=parties,
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
