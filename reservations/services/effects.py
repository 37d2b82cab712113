"""The one place every write of a reservation passes through after it is made.

Every service of this app calls ``after_change`` inside its transaction, right after the
write, with what happened (``kind``). Nothing else in the code base reacts to reservation
changes (no signals), so what follows a change is all here:

* notifications record their outbox row here, in the same transaction, so the row commits or
  rolls back with the change, and enqueue delivery with ``transaction.on_commit``;
* the availability cache bumps the version of (restaurant, local date) for
  ``reservation.reservation_date`` and, for a change, ``previous.reservation_date``, with
  ``transaction.on_commit`` so a reader never caches the pre-commit state under the new
  version.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reservations.models import Reservation

ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)

CREATED = "created"
CHANGED = "changed"
# The other kinds are the target statuses of the transitions: confirmed, cancelled, expired,
# seated, completed, no_show.


@dataclass(frozen=True)
class SlotBefore:
    """Where a reservation was before a change, for those who must also update the old slot."""

    table_id: int
    reservation_date: date
    start_at: datetime
    end_at: datetime
    party_size: int

    @classmethod
    def of(cls, reservation: Reservation) -> "SlotBefore":
        return cls(
            table_id=reservation.table_id,
            reservation_date=reservation.reservation_date,
            start_at=reservation.start_at,
            end_at=reservation.end_at,
            party_size=reservation.party_size,
        )


# Which guest email a change records (issue 7); statuses not listed tell the guest nothing.
_EMAIL_FOR_STATUS = {
    Reservation.Status.CONFIRMED: "confirmed",
    Reservation.Status.CANCELLED: "cancelled",
    Reservation.Status.EXPIRED: "expired",
}


def after_change(reservation: Reservation, kind: str, *, previous: SlotBefore | None = None):
    """Called inside the writing transaction after ``reservation`` was created, changed
    (``previous`` says where it was) or moved to the status ``kind``.

    Records the guest's email in the outbox (same transaction) and, once the transaction
    commits, bumps the availability cache versions of the local dates it touched."""
    from notifications.recording import notification_record
    from reservations.availability import availability_invalidate_on_commit

    # A stay near midnight also changes the neighbouring days' answers (a 23:30 slot overlaps
    # a 00:30 booking of the next date), so the day before and after are bumped too.
    days = {reservation.reservation_date}
    if previous is not None:
        days.add(previous.reservation_date)
    dates = {day + delta for day in days for delta in (-ONE_DAY, ZERO, ONE_DAY)}
    availability_invalidate_on_commit(restaurant_id=reservation.restaurant_id, dates=dates)

    if kind == CREATED:
        email = "hold_created" if reservation.status == Reservation.Status.PENDING else "confirmed"
        notification_record(reservation=reservation, kind=email)
    elif kind == CHANGED:
        notification_record(
            reservation=reservation,
            kind="changed",
            change_key=reservation.updated_at.isoformat(),
        )
    elif kind in _EMAIL_FOR_STATUS:
        notification_record(reservation=reservation, kind=_EMAIL_FOR_STATUS[kind])
