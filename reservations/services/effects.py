"""The one place every write of a reservation passes through after it is made.

Every service of this app calls ``after_change`` inside its transaction, right after the
write, with what happened (``kind``). Nothing else in the code base reacts to reservation
changes (no signals), so what follows a change starts here:

* the availability cache bumps the version of (restaurant, local date) for
  ``reservation.reservation_date`` and, for a change, ``previous.reservation_date``, with
  ``transaction.on_commit`` so a reader never caches the pre-commit state under the new
  version;
* any write but a creation replaces the restaurant's generation of taken notes at once,
  before it commits (reservations.services.slot_taken), so no note can refuse a booking it
  made possible, not even between its commit and its after-commit hooks;
* the change is published as an event (reservations.events) to the apps above, whose
  handlers run here, in the same transaction: notifications records its outbox row from it,
  so the row commits or rolls back with the change (docs/architecture.md).
"""

from datetime import timedelta

from core.events import Event, publish
from reservations.availability import availability_invalidate_on_commit
from reservations.events import (
    ReservationChanged,
    ReservationCreated,
    ReservationStatusChanged,
    SlotBefore,
)
from reservations.models import Reservation
from reservations.services.slot_taken import tables_freed

ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)

CREATED = "created"
CHANGED = "changed"
# The other kinds are the target statuses of the transitions: confirmed, cancelled, expired,
# seated, completed, no_show.

__all__ = ["CHANGED", "CREATED", "SlotBefore", "after_change"]


def _event(reservation: Reservation, kind: str, previous: SlotBefore | None) -> Event:
    if kind == CREATED:
        return ReservationCreated(reservation=reservation)
    if kind == CHANGED:
        if previous is None:
            raise ValueError("A change says where the reservation was (previous).")
        return ReservationChanged(reservation=reservation, previous=previous)
    return ReservationStatusChanged(reservation=reservation, status=kind)


def after_change(reservation: Reservation, kind: str, *, previous: SlotBefore | None = None):
    """Called inside the writing transaction after ``reservation`` was created, changed
    (``previous`` says where it was) or moved to the status ``kind``.

    Once the transaction commits, bumps the availability cache versions of the local dates it
    touched; now, publishes the matching event (reservations.events)."""
    # A stay near midnight also changes the neighbouring days' answers (a 23:30 slot overlaps
    # a 00:30 booking of the next date), so the day before and after are bumped too.
    days = {reservation.reservation_date}
    if previous is not None:
        days.add(previous.reservation_date)
    dates = {day + delta for day in days for delta in (-ONE_DAY, ZERO, ONE_DAY)}
    availability_invalidate_on_commit(restaurant_id=reservation.restaurant_id, dates=dates)
    if kind != CREATED:
        # Any other write may free a table (cancelled, expired, moved, ...): no note that a
        # table is taken written before it is trusted from now on, before this commits.
        tables_freed(reservation.restaurant_id)
    publish(_event(reservation, kind, previous))
