"""What the reservations app tells the apps above it (core.events). Every reservation write
publishes one of these through ``reservations.services.effects.after_change``, inside its
transaction, right after the write; notifications records the guest's e-mail from them."""

from dataclasses import dataclass
from datetime import date

from core.events import Event
from reservations.models import Reservation


@dataclass(frozen=True)
class SlotBefore:
    """Where a reservation was before a change, for those who must also update the old slot
    (the availability of its former date)."""

    reservation_date: date

    @classmethod
    def of(cls, reservation: Reservation) -> "SlotBefore":
        return cls(reservation_date=reservation.reservation_date)


@dataclass(frozen=True)
class ReservationCreated(Event):
    """A reservation was booked: a pending hold, or confirmed at once."""

    reservation: Reservation


@dataclass(frozen=True)
class ReservationChanged(Event):
    """Its date, time, party size, table or notes changed; ``previous`` is where it was."""

    reservation: Reservation
    previous: SlotBefore


@dataclass(frozen=True)
class ReservationStatusChanged(Event):
    """A transition of the state machine moved it to ``status`` (confirmed, cancelled,
    expired, seated, completed or no_show)."""

    reservation: Reservation
    status: str
