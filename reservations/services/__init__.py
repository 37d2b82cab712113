"""Every write of a reservation (docs/booking.md): booking and changing a slot
(``booking``), and the state machine (``transitions``). APIs, admin actions and tasks call
these, and nothing else writes reservations."""

from reservations.services.booking import reservation_change, reservation_create
from reservations.services.transitions import (
    TRANSITIONS,
    holds_expire_lapsed,
    reservation_cancel,
    reservation_complete,
    reservation_confirm,
    reservation_expire,
    reservation_mark_no_show,
    reservation_seat,
)

__all__ = [
    "TRANSITIONS",
    "holds_expire_lapsed",
    "reservation_cancel",
    "reservation_change",
    "reservation_complete",
    "reservation_confirm",
    "reservation_create",
    "reservation_expire",
    "reservation_mark_no_show",
    "reservation_seat",
]
