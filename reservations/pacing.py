"""The pacing rule, for booking and for availability: how many guests (covers) and parties
may start within one slot interval of a restaurant (``max_covers_per_slot``,
``max_parties_per_slot``; empty: no limit), for the kitchen and the door.

* A reservation counts at its start while its status is one of
  ``Reservation.PACED_STATUSES`` (all but cancelled and expired: a party seated, served or
  that never came was still expected by the kitchen then). The counts are SlotPace rows, one
  per (restaurant, start), kept by reservations.services.slot_pace.
* The interval of a start S is ``[S, S + slot_interval_minutes)``. Bookings start on the
  restaurant's grid, so no other start of the grid falls inside it; reservations booked
  before the grid changed (another interval, another opening time) may start inside a new
  interval, and count in it.
* A pending hold that has lapsed no longer counts, whether or not the sweep has marked it:
  at a restaurant with limits, a booking expires the lapsed holds inside the interval it
  takes before it counts (reservations.services.transitions.expire_lapsed_holds), and
  availability leaves them out.

The database enforces the rule (the guarded update of reservations.services.slot_pace);
``SlotLoads.admits`` below is the same rule for what availability offers, so a start is
offered exactly when booking it would pass.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

from reservations.models import Reservation, SlotPace
from restaurants.models import Restaurant

COVERS_LIMIT = "max_covers_per_slot"
PARTIES_LIMIT = "max_parties_per_slot"


@dataclass(frozen=True)
class PacingPolicy:
    """A restaurant's pacing limits (None: no limit) and its slot interval."""

    max_covers: int | None
    max_parties: int | None
    interval: timedelta

    @classmethod
    def of(cls, restaurant: Restaurant) -> PacingPolicy:
        return cls(
            max_covers=restaurant.max_covers_per_slot,
            max_parties=restaurant.max_parties_per_slot,
            interval=timedelta(minutes=restaurant.slot_interval_minutes),
        )

    @property
    def limited(self) -> bool:
        return self.max_covers is not None or self.max_parties is not None

    def limit_passed(
        self, *, covers: int, parties: int, more_covers: bool = True, more_parties: bool = True
    ) -> str | None:
        """The limit (``max_covers_per_slot`` or ``max_parties_per_slot``) an interval that
        would count ``covers`` guests and ``parties`` parties passes, or None. Only a count
        the change grows is limited (``more_covers``, ``more_parties``): a slot over a limit
        lowered since still lets a party shrink or leave."""
        if more_covers and self.max_covers is not None and covers > self.max_covers:
            return COVERS_LIMIT
        if more_parties and self.max_parties is not None and parties > self.max_parties:
            return PARTIES_LIMIT
        return None


@dataclass(frozen=True)
class SlotLoads:
    """The counted guests and parties of a restaurant's starts in a range, lapsed holds left
    out, and the moment the earliest counted hold lapses (the counts change then)."""

    policy: PacingPolicy
    starts: list[datetime]
    counts: list[tuple[int, int]]
    next_lapse: datetime | None

    @classmethod
    def load(
        cls, restaurant: Restaurant, *, start: datetime, end: datetime, now: datetime
    ) -> SlotLoads:
        """Two queries: the counters of the starts in ``[start, end)``, and the pending holds
        starting then (the lapsed ones are taken off their counter)."""
        counted: dict[datetime, list[int]] = {}
        for slot_start, covers, parties in (
            SlotPace.objects.filter(
                restaurant_id=restaurant.pk, slot_start__gte=start, slot_start__lt=end
            )
            .order_by()
            .values_list("slot_start", "covers", "parties")
        ):
            counted[slot_start] = [covers, parties]
        next_lapse = None
        holds = (
            Reservation.objects.filter(
                restaurant_id=restaurant.pk, start_at__gte=start, start_at__lt=end
            )
            .holds_with_lapse(now)
            .order_by()
            .values_list("start_at", "party_size", "expires_at", "lapsed")
        )
        for start_at, party_size, expires_at, lapsed in holds:
            if lapsed:
                if start_at in counted:
                    counted[start_at][0] -= party_size
                    counted[start_at][1] -= 1
            elif next_lapse is None or expires_at < next_lapse:
                next_lapse = expires_at
        starts = sorted(counted)
        return cls(
            policy=PacingPolicy.of(restaurant),
            starts=starts,
            counts=[(counted[s][0], counted[s][1]) for s in starts],
            next_lapse=next_lapse,
        )

    def counted_within(self, slot_start: datetime) -> tuple[int, int]:
        """The guests and parties counted in the interval of ``slot_start``."""
        first = bisect.bisect_left(self.starts, slot_start)
        last = bisect.bisect_left(self.starts, slot_start + self.policy.interval)
        inside = self.counts[first:last]
        return sum(c for c, _ in inside), sum(p for _, p in inside)

    def admits(self, slot_start: datetime, party_size: int) -> bool:
        """Whether a booking of ``party_size`` starting at ``slot_start`` passes the limits."""
        covers, parties = self.counted_within(slot_start)
        return self.policy.limit_passed(covers=covers + party_size, parties=parties + 1) is None
