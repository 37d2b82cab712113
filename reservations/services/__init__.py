"""Every write of a reservation (docs/booking.md): the booking core, booking and changing a
slot for any actor (``booking``), and the state machine (``transitions``). The callers
(reservations.callers) decide who may ask and call these; nothing else writes reservations."""

from reservations.services.booking import (
    RESTAURANT_HOLD,
    Hold,
    reservation_book,
    reservation_change,
)
from reservations.services.transitions import (
    TRANSITIONS,
    holds_expire_lapsed,
    reservation_cancel,
    reservation_complete,
    reservation_confirm,
    reservation_mark_no_show,
    reservation_seat,
)

__all__ = [
    "RESTAURANT_HOLD",
    "TRANSITIONS",
    "Hold",
    "holds_expire_lapsed",
    "reservation_book",
    "reservation_cancel",
    "reservation_change",
    "reservation_complete",
    "reservation_confirm",
    "reservation_mark_no_show",
    "reservation_seat",
]
