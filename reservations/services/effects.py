"""The one place every write of a reservation passes through after it is made.

Every service of this app calls ``after_change`` inside its transaction, right after the
write, with what happened (``kind``). Nothing else in the code base reacts to reservation
changes (no signals), so what follows a change is all here:

* issue 7 (notifications) records its outbox row here, in the same transaction, so the row
  commits or rolls back with the change, and enqueues delivery with ``transaction.on_commit``;
* issue 6 (availability cache) bumps the version of (restaurant, local date) for
  ``reservation.reservation_date`` and, for a change, ``previous.reservation_date``, with
  ``transaction.on_commit`` so a reader never caches the pre-commit state under the new version.

Until then it does nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime

from reservations.models import Reservation

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


def after_change(reservation: Reservation, kind: str, *, previous: SlotBefore | None = None):
    """Called inside the writing transaction after ``reservation`` was created, changed
    (``previous`` says where it was) or moved to the status ``kind``."""
    return None
