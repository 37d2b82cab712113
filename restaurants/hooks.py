"""What restaurants asks an app above it before a change (core.hooks). The reservations app
answers at start-up (ReservationsConfig.ready); restaurants never imports it."""

from collections.abc import Callable
from dataclasses import dataclass

from core.hooks import Hook
from restaurants.models import Restaurant, Table


@dataclass(frozen=True)
class ReservationGuard:
    """The reservations still to end (pending, confirmed or seated, ``end_at`` in the
    future), which a time zone change or a table's deletion must not pull out from under."""

    reservations_ahead: Callable[[Restaurant], int]
    """How many of the restaurant's reservations are ahead."""

    table_has_reservations_ahead: Callable[[Table], bool]
    """Whether one of the table's reservations is ahead."""


reservation_guard: Hook[ReservationGuard] = Hook("restaurants.reservation_guard")
