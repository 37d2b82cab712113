"""Holding tables for a slot: the locks that keep concurrent bookings of one table apart, the
overlap check with its friendly 409, and the writes the exclusion constraint guards.

A reservation holds one table or several (a combination): one ``Occupancy`` row per table.
Every function here takes the tables of a seating; whatever touches several tables does it in
one order, by table id, so two bookings sharing a table cannot deadlock on them."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime

from django.db import IntegrityError, transaction

from core.errors import ConcurrentChange, Conflict, SlotLocked, SlotUnavailable
from core.locking import redis_lock
from reservations import rules
from reservations.models import Occupancy, Reservation
from reservations.selectors import holding_occupancies
from restaurants.models import Table

LOCK_WAIT_SECONDS = 0.2
LOCK_TTL_SECONDS = 5.0
OVERLAP_CONSTRAINT = "occupancy_no_overlap"


def lock_name(table_id: int, local_date: date) -> str:
    return f"booking:table:{table_id}:{local_date.isoformat()}"


@contextmanager
def table_lock(
    table_id: int, local_date: date, waiting: Callable[[], None] | None = None
) -> Iterator[bool]:
    """The Redis lock of a table for a local date: 423 ``slot_locked`` when another booking
    still holds it after the short wait; skipped (logged) when Redis is down. ``waiting`` is
    called each time it is found held (it may end the wait with its own answer)."""
    with redis_lock(
        lock_name(table_id, local_date),
        ttl=LOCK_TTL_SECONDS,
        wait=LOCK_WAIT_SECONDS,
        error=SlotLocked,
        waiting=waiting,
    ) as held:
        yield held


@contextmanager
def tables_lock(
    table_ids: Sequence[int], local_date: date, waiting: Callable[[], None] | None = None
) -> Iterator[None]:
    """The locks of every table of a seating, all or none: taken one by one in table-id order
    (so two seatings sharing a table queue on it instead of each holding half), and when one
    is still held by someone else after the short wait, those already taken are released and
    the answer is 423 ``slot_locked``. A booking passes ``waiting`` to be answered 409 as soon
    as the holder has taken its slot (reservations.services.slot_taken)."""
    with ExitStack() as held:
        for table_id in sorted(set(table_ids)):
            held.enter_context(table_lock(table_id, local_date, waiting))
        yield


def slot_unavailable(table: Table, conflict: Reservation | None, tz, now: datetime) -> Conflict:
    if conflict is None:
        return SlotUnavailable(
            f"Table {table.number} was just booked for an overlapping time.",
            details={"table_id": table.pk},
        )
    start = conflict.start_at.astimezone(tz)
    end = conflict.end_at.astimezone(tz)
    if conflict.status == Reservation.Status.SEATED and conflict.end_at <= now:
        # selectors.seated_past_end: the party outstays its booking.
        message = f"Table {table.number}'s party is still seated (booked until {end:%H:%M})."
    else:
        message = (
            f"Table {table.number} is taken from {start:%H:%M} to {end:%H:%M} on {start:%Y-%m-%d}."
        )
    return SlotUnavailable(
        message,
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


def _first_holder(
    tables: Sequence[Table], slot_start: datetime, slot_end: datetime, now, exclude_id=None
) -> tuple[Table, Reservation] | None:
    """The first table of ``tables`` (by id) someone holds during the stay, and the earliest
    reservation holding it; None when all are free."""
    by_id = {table.pk: table for table in tables}
    holders = holding_occupancies(start_at=slot_start, end_at=slot_end, now=now).filter(
        table_id__in=by_id
    )
    if exclude_id is not None:
        holders = holders.exclude(reservation_id=exclude_id)
    first = holders.select_related("reservation").order_by("table_id", "start_at").first()
    if first is None:
        return None
    return by_id[first.table_id], first.reservation


def _is_overlap_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name == OVERLAP_CONSTRAINT or OVERLAP_CONSTRAINT in str(exc)


def _write_occupancy(reservation: Reservation, tables: Sequence[Table], *, new: bool) -> None:
    """The reservation's rows: one per table of ``tables``, with its stay, holding while it is
    active. On a change the rows of tables it keeps are updated in place and those of tables
    it leaves are removed before the new ones are written (a move along one table must not
    meet its own old row)."""
    holds = reservation.status in Reservation.ACTIVE_STATUSES
    wanted = sorted({table.pk for table in tables})
    if not new:
        kept = set(
            Occupancy.objects.filter(reservation_id=reservation.pk).values_list(
                "table_id", flat=True
            )
        )
        Occupancy.objects.filter(reservation_id=reservation.pk).exclude(
            table_id__in=wanted
        ).delete()
        Occupancy.objects.filter(reservation_id=reservation.pk, table_id__in=wanted).update(
            start_at=reservation.start_at, end_at=reservation.end_at, holds=holds
        )
        wanted = [table_id for table_id in wanted if table_id not in kept]
    rows = Occupancy.objects.bulk_create(
        Occupancy(
            reservation_id=reservation.pk,
            table_id=table_id,
            start_at=reservation.start_at,
            end_at=reservation.end_at,
            holds=holds,
        )
        for table_id in wanted
    )
    # What the answer reads (``table_ids``) without asking the database again: the rows just
    # written for a new reservation; a changed one reads its rows afresh.
    cache = getattr(reservation, "_prefetched_objects_cache", None)
    if new:
        reservation._prefetched_objects_cache = {**(cache or {}), "occupancies": rows}
    elif cache:
        cache.pop("occupancies", None)


def write_guarded(
    reservation: Reservation,
    *,
    tables: Sequence[Table],
    now: datetime,
    tz,
    update_fields: list[str] | None = None,
    savepoint: bool = True,
) -> None:
    """Insert or update the reservation and its occupancy of ``tables`` inside a savepoint;
    the exclusion constraint's refusal becomes 409 ``slot_unavailable`` and leaves the outer
    transaction usable. Without ``savepoint`` the refusal (an IntegrityError) ends the
    caller's transaction, which rolls back and then asks ``overlap_refusal`` what it was."""
    if not savepoint:
        _write_rows(reservation, tables, update_fields)
        return
    try:
        with transaction.atomic():
            _write_rows(reservation, tables, update_fields)
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            # The winner has committed (PostgreSQL waits for it before refusing us), so a new
            # statement sees it and can name its table and time.
            found = _first_holder(
                tables, reservation.start_at, reservation.end_at, now, exclude_id=reservation.pk
            )
            table, conflict = found if found else (sorted(tables, key=_pk)[0], None)
            raise slot_unavailable(table, conflict, tz, now) from exc
        raise ConcurrentChange("The booking conflicts with a concurrent change; retry.") from exc


def _write_rows(reservation: Reservation, tables: Sequence[Table], update_fields) -> None:
    if update_fields is None:
        reservation.save(force_insert=True)
    else:
        reservation.save(update_fields=update_fields)
    _write_occupancy(reservation, tables, new=update_fields is None)


def overlap_refusal(
    exc: IntegrityError, tables: Sequence[Table], start_at: datetime, end_at: datetime, now, tz
) -> Conflict | None:
    """After a transaction whose insert failed (``exc``) rolled back: the 409 naming the live
    reservation that holds one of ``tables`` during the stay; None when none does (only
    lapsed holds, which still hold their rows until expired, stood in the way: the caller
    expires them and tries again); 409 ``concurrent_change`` for any other integrity error."""
    if not _is_overlap_violation(exc):
        raise ConcurrentChange("The booking conflicts with a concurrent change; retry.") from exc
    found = _first_holder(tables, start_at, end_at, now)
    return slot_unavailable(*found, tz, now) if found is not None else None


def _pk(table: Table) -> int:
    return table.pk


def refuse_overlap(tables: Sequence[Table], slot: rules.Slot, now, tz, *, exclude_id=None) -> None:
    """409 ``slot_unavailable`` naming the first of ``tables`` someone holds during the
    slot's stay, and when."""
    found = _first_holder(tables, slot.start_at, slot.end_at, now, exclude_id=exclude_id)
    if found is not None:
        raise slot_unavailable(*found, tz, now)


def occupancy_release(reservation: Reservation) -> None:
    """The reservation left the active statuses (cancelled, expired, completed, no-show): its
    tables are free from now on, in the same transaction as its new status."""
    Occupancy.objects.filter(reservation_id=reservation.pk, holds=True).update(holds=False)
