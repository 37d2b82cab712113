"""Holding a table for a slot: the lock that keeps concurrent bookings of one table apart, the
overlap check with its friendly 409, and the write the exclusion constraint guards."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.db import IntegrityError, transaction

from core.errors import ConcurrentChange, Conflict, SlotLocked, SlotUnavailable
from core.locking import redis_lock
from reservations import rules
from reservations.models import Reservation
from reservations.selectors import holding_reservations
from restaurants.models import Table

LOCK_WAIT_SECONDS = 0.2
LOCK_TTL_SECONDS = 5.0
OVERLAP_CONSTRAINT = "reservation_no_overlap"


def lock_name(table_id: int, local_date: date) -> str:
    return f"booking:table:{table_id}:{local_date.isoformat()}"


@contextmanager
def table_lock(table_id: int, local_date: date) -> Iterator[bool]:
    """The Redis lock of a table for a local date: 423 ``slot_locked`` when another booking
    still holds it after the short wait; skipped (logged) when Redis is down."""
    with redis_lock(
        lock_name(table_id, local_date),
        ttl=LOCK_TTL_SECONDS,
        wait=LOCK_WAIT_SECONDS,
        error=SlotLocked,
    ) as held:
        yield held


def _slot_unavailable(table: Table, conflict: Reservation | None, tz) -> Conflict:
    if conflict is None:
        return SlotUnavailable(
            f"Table {table.number} was just booked for an overlapping time.",
            details={"table_id": table.pk},
        )
    start = conflict.start_at.astimezone(tz)
    end = conflict.end_at.astimezone(tz)
    return SlotUnavailable(
        f"Table {table.number} is taken from {start:%H:%M} to {end:%H:%M} on {start:%Y-%m-%d}.",
        details={
            "table_id": table.pk,
            "conflict": {
                "start_at": conflict.start_at.isoformat().replace("+00:00", "Z"),
                "end_at": conflict.end_at.isoformat().replace("+00:00", "Z"),
                "reservation_date": start.date().isoformat(),
                "reservation_time": f"{start:%H:%M}",
                "end_time": f"{end:%H:%M}",
            },
        },
    )


def _first_holder(table: Table, slot_start: datetime, slot_end: datetime, now, exclude_id=None):
    holders = holding_reservations(start_at=slot_start, end_at=slot_end, now=now).filter(
        table_id=table.pk
    )
    if exclude_id is not None:
        holders = holders.exclude(pk=exclude_id)
    return holders.first()


def _is_overlap_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name == OVERLAP_CONSTRAINT or OVERLAP_CONSTRAINT in str(exc)


def write_guarded(
    reservation: Reservation,
    *,
    table: Table,
    now: datetime,
    tz,
    update_fields: list[str] | None = None,
) -> None:
    """Insert or update inside a savepoint; the exclusion constraint's refusal becomes 409
    ``slot_unavailable`` and leaves the outer transaction usable."""
    try:
        with transaction.atomic():
            if update_fields is None:
                reservation.save(force_insert=True)
            else:
                reservation.save(update_fields=update_fields)
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            # The winner has committed (PostgreSQL waits for it before refusing us), so a new
            # statement sees it and can name its time.
            conflict = _first_holder(
                table, reservation.start_at, reservation.end_at, now, exclude_id=reservation.pk
            )
            raise _slot_unavailable(table, conflict, tz) from exc
        raise ConcurrentChange("The booking conflicts with a concurrent change; retry.") from exc


def refuse_overlap(table: Table, slot: rules.Slot, now, tz, *, exclude_id=None) -> None:
    conflict = _first_holder(table, slot.start_at, slot.end_at, now, exclude_id=exclude_id)
    if conflict is not None:
        raise _slot_unavailable(table, conflict, tz)
