"""A short-lived note in Redis that a table is taken for a stay, so that a burst of requests
for one table and slot is answered 409 at once instead of queueing on the table's lock to be
told the same by the database (docs/booking.md, "No double booking", step 2).

A booking that has committed writes, for each table it holds, the note ``rf:taken:{table}:{local
date}`` (its stay, its hold's deadline, its id) for ``TAKEN_TTL_MS`` at most, and never past a
pending hold's deadline. A later booking of that table reads the note before the lock and each
time it finds the lock held: a note whose stay holds its start is the same 409
``slot_unavailable`` the database would give, naming the same times, without a statement (a
note starting later may hide an earlier holder, so the database answers that one).

A note must never refuse a booking that would succeed, so it is trusted only under the
restaurant's *generation*: a random token in ``rf:freed:{restaurant}``, replaced inside every
write that may free a table there, before it commits (any change or transition of a
reservation other than its creation: cancelled, expired, completed, no-show, moved, ...;
effects.after_change calls ``tables_freed``), so a note is no longer trusted from before the
moment the table is free. The booking reads the generation before its transaction (creating it
when missing), and after its commit writes its notes only if the generation is still the one
it read (one Lua script, atomic), stamped with it; a reader trusts a note only while the
generation is still its stamp. A write that frees the booked tables writes a row the booking
committed, so it replaces the generation after the booking read it: either before the notes
are written (none is written) or after (they are no longer trusted). A write that then rolls
back has only made the notes before it untrusted: the database answers those bookings. A
missing generation (evicted, expired) trusts nothing. Should the replacement itself fail
(Redis failing between two round trips), it is tried again once the write commits; failing
again, a note lives ``TAKEN_TTL_MS`` at most: the same bound the availability cache accepts.
The exclusion constraint stays the final guard of every booking that gets past a note; without
Redis there are no notes and the database alone answers.
"""

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime

import redis
from django.db import transaction

from core.locking import redis_client
from reservations import rules
from reservations.models import Reservation
from restaurants.models import Table

logger = logging.getLogger(__name__)

# Long enough to absorb a burst for one slot; short, so whatever could go wrong lasts seconds.
TAKEN_TTL_MS = 10_000
GENERATION_TTL_SECONDS = 24 * 60 * 60

# KEYS[1] the generation, KEYS[2..] the notes; ARGV: the generation read, the note, its TTL.
_WRITE_IF_UNFREED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2], 'PX', ARGV[3]) end
return 1
"""


def taken_key(table_id: int, local_date: date) -> str:
    return f"rf:taken:{table_id}:{local_date.isoformat()}"


def generation_key(restaurant_id: int) -> str:
    return f"rf:freed:{restaurant_id}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class TakenLook:
    """What a booking of ``tables`` for ``slot`` at ``restaurant_id`` knows from the notes:
    ``refuse()`` raises the 409 a trusted note shows; ``generation`` is what the booking's
    own notes will be stamped with (None: no notes, Redis is not there or did not answer)."""

    def __init__(
        self,
        restaurant_id: int,
        tables: Sequence[Table],
        slot: rules.Slot,
        now: datetime,
        refusal: Callable[[Table, Reservation], Exception],
    ):
        self.client = redis_client()
        self.restaurant_id = restaurant_id
        self.tables = sorted(tables, key=lambda table: table.pk)
        self.slot = slot
        self.now = now
        self.refusal = refusal  # the 409 naming the table and its holder (table_guard's)
        self.generation: bytes | None = None

    def _keys(self) -> list[str]:
        return [taken_key(table.pk, self.slot.local_date) for table in self.tables]

    def first_look(self) -> None:
        """Before the lock: read the generation (creating it when missing) and the notes, in
        one round trip; 409 when a trusted note shows a table taken during the stay."""
        if self.client is None:
            return
        gen_key = generation_key(self.restaurant_id)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(gen_key, uuid.uuid4().hex, nx=True, ex=GENERATION_TTL_SECONDS)
            pipe.mget([gen_key, *self._keys()])
            _created, (generation, *notes) = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("Taken notes unavailable (%s); the lock and the database decide", exc)
            return
        self.generation = generation
        self._refuse(generation, notes)

    def refuse(self) -> None:
        """While the lock is held by someone else: 409 once a trusted note shows a table
        taken during the stay (the holder has just booked it)."""
        if self.client is None or self.generation is None:
            return
        try:
            generation, *notes = self.client.mget(
                [generation_key(self.restaurant_id), *self._keys()]
            )
        except redis.RedisError:
            return
        self._refuse(generation, notes)

    def _refuse(self, generation: bytes | None, notes: list[bytes | None]) -> None:
        if generation is None:
            return
        for table, raw in zip(self.tables, notes, strict=True):
            holder = self._holder(generation, raw)
            if holder is not None:
                raise self.refusal(table, holder)

    def _holder(self, generation: bytes, raw: bytes | None) -> Reservation | None:
        """The reservation a trusted note names when its stay holds the slot's start (the
        earliest holder during the slot, the one the database's 409 names), as the unsaved
        fields the 409 reads; None otherwise."""
        if raw is None:
            return None
        try:
            note = json.loads(raw)
            if note["g"] != generation.decode():
                return None
            start_at, end_at = _when(note["s"]), _when(note["e"])
            expires_at = _when(note["x"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires_at is not None and expires_at <= self.now:
            return None  # a lapsed hold: the booking's own path expires it
        if not (start_at <= self.slot.start_at < end_at):
            # Only a stay holding the asked start names what the database would: no other
            # holder of the table can start before it and overlap the stay (the exclusion
            # constraint). A note starting later may hide an earlier holder: the lock and
            # the database answer (a burst asks for one start, so it is still answered here).
            return None
        return Reservation(start_at=start_at, end_at=end_at, status=note["st"])

    def mark_on_commit(self, reservation: Reservation) -> None:
        """Once the booking's transaction commits: its notes on every table of the seating,
        if no write has freed a table at the restaurant since ``first_look``."""
        if self.client is None or self.generation is None:
            return
        generation = self.generation
        transaction.on_commit(lambda: self._mark(reservation, generation), robust=True)

    def _mark(self, reservation: Reservation, generation: bytes) -> None:
        ttl_ms = TAKEN_TTL_MS
        if reservation.expires_at is not None:
            left = (reservation.expires_at - self.now).total_seconds() * 1000
            ttl_ms = min(ttl_ms, int(left))
        if reservation.status not in Reservation.ACTIVE_STATUSES or ttl_ms <= 0:
            return
        note = json.dumps(
            {
                "g": generation.decode(),
                "r": str(reservation.pk),
                "s": _iso(reservation.start_at),
                "e": _iso(reservation.end_at),
                "x": _iso(reservation.expires_at),
                "st": reservation.status,
            },
            separators=(",", ":"),
        )
        keys = [generation_key(self.restaurant_id), *self._keys()]
        try:
            self.client.register_script(_WRITE_IF_UNFREED)(
                keys=keys, args=[generation, note, ttl_ms]
            )
        except redis.RedisError as exc:
            logger.warning("Taken notes could not be written (%s)", exc)


def tables_freed(restaurant_id: int) -> None:
    """A write that may free tables at the restaurant is being made (called inside its
    transaction, before it commits): no note written before it is trusted any more."""
    if not _replace_generation(restaurant_id):
        # Redis failed for a moment: tried again once the write commits, so the notes stop
        # refusing a freed table then, not only when they lapse.
        transaction.on_commit(lambda: _replace_generation(restaurant_id, last=True), robust=True)


def _replace_generation(restaurant_id: int, *, last: bool = False) -> bool:
    """A new generation for the restaurant; False when Redis did not take it."""
    client = redis_client()
    if client is None:
        return True
    try:
        client.set(generation_key(restaurant_id), uuid.uuid4().hex, ex=GENERATION_TTL_SECONDS)
    except redis.RedisError as exc:
        logger.warning(
            "Taken notes of restaurant %s not cleared (%s); %s",
            restaurant_id,
            exc,
            f"they lapse within {TAKEN_TTL_MS} ms" if last else "tried again at the commit",
        )
        return False
    return True
