"""The booking core: book a reservation, or change its slot, without ever double booking a
table, for whoever asks (docs/booking.md, "One booking core").

``reservation_book`` and ``reservation_change`` take who asks as an ``Actor`` (built by the
callers, reservations.callers, which decide who may ask) and never look at a request. The
rules that depend on the actor's kind are applied here: only the restaurant's staff override
the notice or set the source, guests are limited, a host or manager acts only at their
restaurant, a guest changes a reservation only before its start.

Defence in depth:

1. The rules (reservations.rules) are checked before anything is locked, from the
   restaurant's booking setup cached under its version (reservations.booking_setup).
2. A Redis lock per (table, local date) keeps concurrent bookings of one table from racing into
   the database together; still held after ~200 ms: 423 ``slot_locked`` with Retry-After.
   Before the lock and while waiting for it, a slot the last booking of these tables has just
   taken is 409 from its note in Redis (reservations.services.slot_taken), without a
   statement. When Redis is down the lock is skipped (logged) and the database alone decides.
3. In one transaction: a guest's live holds are counted under a lock of their account
   (reservations.services.limits: 429 ``hold_limit``), lapsed pending holds on the seating's
   tables are expired, the overlap with active reservations is checked (409
   ``slot_unavailable`` naming the conflicting table and time), the party's place in its
   slot is taken by a guarded update of the slot's pacing counter (409 ``pacing_limit``;
   reservations.services.slot_pace), and the row and its occupancy of every table are
   written inside a savepoint. On PostgreSQL without pacing limits the insert alone checks
   (``_book_seating``): no expiry, no overlap query and no savepoint unless the constraint
   refuses.
4. PostgreSQL's exclusion constraint ``occupancy_no_overlap`` (on the rows of the tables each
   reservation holds, reservations.models.Occupancy) is the final guard: its violation (a
   concurrent insert the check could not see) is the same 409, never a 500.
   On SQLite (embedded mode) write transactions are IMMEDIATE, so they run one at a time and
   the in-transaction check is decisive.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import get_supported_language_variant

from core.clock import now as clock_now
from core.errors import (
    ConcurrentChange,
    Conflict,
    Locked,
    NoTableFreeNow,
    NotChangeable,
    PermissionDenied,
    SlotUnavailable,
    ValidationFailed,
)
from reservations import rules
from reservations.actors import Actor
from reservations.booking_setup import booking_context, booking_restaurant
from reservations.models import Reservation
from reservations.pacing import PacingPolicy
from reservations.selectors import (
    combination_of,
    combinations_seating,
    next_free_start,
    seating_of,
    seatings_free_for,
    tables_seating,
)
from reservations.services.effects import CHANGED, CREATED, SlotBefore, after_change
from reservations.services.guests import GuestProfile, profile_of
from reservations.services.limits import refuse_over_hold_limits
from reservations.services.slot_pace import PaceChanges
from reservations.services.slot_taken import TakenLook
from reservations.services.table_guard import (
    overlap_refusal,
    refuse_overlap,
    slot_unavailable,
    tables_lock,
    write_guarded,
)
from reservations.services.transitions import effective_status, expire_lapsed_holds, expired_hold
from restaurants.models import Restaurant, Table

# Without a table, a booking that loses its seating to a concurrent one tries the next free
# seating, up to this many, so the work per request stays bounded.
AUTO_PICK_ATTEMPTS = 3
# The most tables staff may name for one party (``table_ids``): a combination's own limit.
MAX_SEATING_TABLES = 20
CHANGEABLE = (Reservation.Status.PENDING, Reservation.Status.CONFIRMED)

Status = Reservation.Status


def guest_language(language: str | None) -> str:
    """The language a booking's e-mails are written in: one of settings.LANGUAGES (a regional
    variant such as ``es-ES`` is its language, ``es``); empty: the default language. Anything
    else is 400 naming ``language``."""
    if not language:
        return settings.LANGUAGE_CODE
    try:
        return get_supported_language_variant(language.strip().lower())
    except LookupError:
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        raise ValidationFailed.field("language", f"One of: {codes}.") from None


@dataclass(frozen=True)
class Hold:
    """The deadline of a new booking's pending hold: ``minutes`` after the booking (None: the
    restaurant's ``hold_minutes``), never later than the start. A restaurant that auto-confirms
    books confirmed at once, unless ``always``: a booking the guest must still confirm from the
    emailed link (a guest without an account)."""

    minutes: int | None = None
    always: bool = False

    def __post_init__(self) -> None:
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError("A hold lasts a positive number of minutes.")

    def deadline(
        self, restaurant: Restaurant, now: datetime, start_at: datetime
    ) -> datetime | None:
        """When the new booking's hold lapses, or None for a booking confirmed at once."""
        if restaurant.auto_confirm and not self.always:
            return None
        minutes = restaurant.hold_minutes if self.minutes is None else self.minutes
        return min(now + timedelta(minutes=minutes), start_at)


RESTAURANT_HOLD = Hold()


def _table(table_id: int, setup: rules.BookingSetup | None = None) -> Table:
    table = setup.tables.get(table_id) if setup is not None else None
    if table is not None:
        return table
    table = Table.objects.filter(pk=table_id).order_by().first()
    if table is None:
        raise ValidationFailed.field("table_id", "No table with this id.")
    return table


def _refuse_inactive(restaurant: Restaurant) -> None:
    if not restaurant.is_active:
        raise ValidationFailed.field("restaurant_id", "This restaurant takes no reservations.")


def bookable_restaurant(restaurant_id: int) -> Restaurant:
    """The restaurant a booking names (from its cached booking setup,
    reservations.booking_setup): 400 naming ``restaurant_id`` when it is unknown or takes no
    reservations."""
    restaurant = booking_restaurant(restaurant_id)
    if restaurant is None:
        raise ValidationFailed.field("restaurant_id", "No restaurant with this id.")
    _refuse_inactive(restaurant)
    return restaurant


def refuse_actor_options(
    actor: Actor,
    *,
    restaurant_id: int,
    override_notice: bool,
    source: str | None = None,
    table_ids: Sequence[int] | None = None,
    override_tables: bool = False,
    walk_in: bool = False,
) -> None:
    """The rules of who may ask for what, by the actor's kind (403): a host, manager or
    anonymous guest acts only at their restaurant; only the restaurant's staff seat a walk-in,
    override the notice or choose the tables of a seating (``table_ids``); only a manager (or
    a superuser) seats a party at tables that are no combination (``override_tables``);
    guests book online (``source``, when a booking is made). The core applies them to every
    booking and change; a caller may apply them first, to refuse in its own order."""
    if not actor.acts_at(restaurant_id):
        raise PermissionDenied("Only the restaurant's staff can do this.")
    if walk_in and not actor.is_staff:
        raise PermissionDenied("Only the restaurant's staff can seat a walk-in.")
    if override_notice and not actor.is_staff:
        message = "Only the restaurant's staff can override the notice."
        raise PermissionDenied(message, details={"override_notice": [message]})
    if table_ids is not None and not actor.is_staff:
        message = "Only the restaurant's staff can choose the tables."
        raise PermissionDenied(message, details={"table_ids": [message]})
    if override_tables and not actor.is_manager:
        message = "Only the restaurant's managers can seat a party at tables of their choice."
        raise PermissionDenied(message, details={"override_tables": [message]})
    if source is not None and actor.is_guest and source != Reservation.Source.ONLINE:
        raise PermissionDenied(
            "Guests book online.", details={"source": ["Only staff can set the source."]}
        )


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _named_tables(restaurant_id: int, table_ids: object) -> list[Table]:
    """The tables staff named (``table_ids``), by id: a list of 1 to MAX_SEATING_TABLES
    distinct ids of the restaurant's active tables; 400 naming ``table_ids`` for each id
    that is not one (another restaurant's table is refused like an unknown id)."""
    if not isinstance(table_ids, list | tuple) or not table_ids:
        raise ValidationFailed.field("table_ids", "Give a list of table ids, e.g. [3, 4].")
    if len(table_ids) > MAX_SEATING_TABLES:
        raise ValidationFailed.field(
            "table_ids", f"At most {MAX_SEATING_TABLES} tables; {len(table_ids)} given."
        )
    problems = []
    for position, item in enumerate(table_ids, start=1):
        if not _is_id(item):
            problems.append(f"Item {position}: must be a table id (a positive integer).")
        elif item in table_ids[: position - 1]:
            problems.append(f"Item {position}: table {item} is listed more than once.")
    if problems:
        raise ValidationFailed(details={"table_ids": problems})
    found = {
        table.pk: table
        for table in Table.objects.filter(restaurant_id=restaurant_id, pk__in=table_ids)
    }
    for pk in table_ids:
        table = found.get(pk)
        if table is None:
            problems.append(f"Table {pk} is not a table of this restaurant.")
        elif not table.is_active:
            problems.append(f"Table {pk} (number {table.number}) is not in service.")
    if problems:
        raise ValidationFailed(details={"table_ids": problems})
    return sorted(found.values(), key=lambda table: table.pk)


def _check_seating(
    seating: Sequence[Table],
    *,
    restaurant_id: int,
    party_size: int,
    override_tables: bool,
    kept: bool = False,
) -> None:
    """The party at a seating staff named (or a reservation keeps): several tables must be
    one of the restaurant's active combinations, and the party within its
    ``min_capacity..capacity``; with ``override_tables`` (a manager's: refuse_actor_options)
    any set of its tables whose seats hold the party. A reservation that ``kept`` a set that
    is no combination (a manager's choice, or a combination since deactivated) is held to
    its seats alone: keeping its tables overrides nothing new."""
    combination = None
    if len(seating) > 1 and not override_tables:
        combination = combination_of(
            restaurant_id=restaurant_id, table_ids=[table.pk for table in seating]
        )
        if combination is None and not kept:
            raise ValidationFailed.field(
                "table_ids",
                "These tables are no combination of this restaurant; a manager may seat a "
                "party at them with override_tables.",
            )
    rules.check_seating(
        seating, restaurant_id=restaurant_id, party_size=party_size, combination=combination
    )


def _refuse_both_tables(table_id: int | None, table_ids: Sequence[int] | None) -> None:
    if table_id is not None and table_ids is not None:
        raise ValidationFailed.field("table_ids", "Give table_id or table_ids, not both.")


# --- book ------------------------------------------------------------------------------------


def reservation_book(
    *,
    restaurant: Restaurant,
    guest: GuestProfile,
    reservation_date: date | None,
    reservation_time: time | None,
    party_size: int,
    table_id: int | None,
    actor: Actor,
    source: str,
    hold: Hold = RESTAURANT_HOLD,
    notes: str = "",
    allergies: str = "",
    override_notice: bool = False,
    language: str = "",
    contact_phone: str = "",
    table_ids: Sequence[int] | None = None,
    override_tables: bool = False,
    walk_in: bool = False,
) -> Reservation:
    """Book a table of ``restaurant`` for ``guest`` (a profile, or how to find or make it in
    the booking's transaction), as ``actor``, from ``source``: every booking goes through here.

    Rules: the actor's (``refuse_actor_options``, 403); every rule of reservations.rules (400
    naming the field); the table must be the restaurant's, active, and seat the party. Staff
    may name several tables (``table_ids``): one of the restaurant's active combinations, or
    with ``override_tables`` (a manager) any set of its tables (``_check_seating``). With
    neither ``table_id`` nor ``table_ids`` the first free seating is taken: the smallest
    free table that seats the party, else the combination with the fewest spare seats
    (selectors.seatings_free_for), trying the next one, up to ``AUTO_PICK_ATTEMPTS``, when a
    concurrent booking takes it. Unknown ids are 400.
    Result: pending with the hold's deadline (``hold``: by default the restaurant's, so
    confirmed at once where it auto-confirms). Overlaps are refused (409 ``slot_unavailable``),
    a held lock is 423 ``slot_locked``; a guest's new booking beyond their hold limits is 429
    ``hold_limit`` (reservations.services.limits; the attempt limit is the callers', who know
    the client's address). Nothing is written on any error, not even the guest's new profile.
    ``language`` (``guest_language``) is the guest's: their e-mails about it are written in it.

    Source ``walk_in`` is only a walk-in's (400 naming ``source`` for any other booking).
    A ``walk_in`` (staff only, source ``walk_in``, no date or time: it starts now) is the same
    booking with what a party at the door needs instead of the advance-booking rules
    (``rules.walk_in_slot``): it starts now rounded down to the minute, outside the notice,
    horizon and grid, but only while the restaurant is open (409 ``restaurant_closed_now``);
    it is seated at once (``seated_at`` and ``confirmed_at`` now, no hold); its place in its
    slot's pacing counter is counted, never refused; a party still seated past its booked
    end holds its tables for it (selectors.seated_past_end); and when no seating is free for
    its stay the answer is 409 ``no_table_free_now`` with when one frees up
    (selectors.next_free_start). The tables, their lock, the overlap check, the occupancy
    rows and the exclusion constraint are exactly a booking's.
    """
    now = clock_now()
    language = guest_language(language)
    _refuse_inactive(restaurant)
    refuse_actor_options(
        actor,
        restaurant_id=restaurant.pk,
        override_notice=override_notice,
        source=source,
        table_ids=table_ids,
        override_tables=override_tables,
        walk_in=walk_in,
    )
    _refuse_both_tables(table_id, table_ids)
    if source == Reservation.Source.WALK_IN and not walk_in:
        # Source walk_in means a party seated now; an advance booking with it would read as
        # one (and be held and e-mailed as a booking).
        raise ValidationFailed.field(
            "source", "walk_in is for a party seated now: seat it as a walk-in."
        )
    if override_tables and table_ids is None:
        # A change may override for the tables it keeps; a booking has none of its own.
        raise ValidationFailed.field(
            "override_tables", "Only with table_ids: the tables of your choice."
        )
    setup, context, slot = _slot_asked(
        restaurant,
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
        now=now,
        override_notice=override_notice,
        walk_in=walk_in,
        source=source,
    )
    named = table_id is not None or table_ids is not None
    if named:
        seating = (
            [_table(table_id, setup)]
            if table_ids is None
            else _named_tables(restaurant.pk, table_ids)
        )
        _check_seating(
            seating,
            restaurant_id=restaurant.pk,
            party_size=party_size,
            override_tables=override_tables,
        )
        if not insert_checks_overlap(slot, now):
            # Answer a plainly taken slot without queueing for the lock: under contention
            # the losers leave at once instead of waiting for their turn to be refused.
            # (On PostgreSQL the insert is the check: _book_seating.)
            refuse_overlap(seating, slot, now, context.tz)
        seatings = [seating]
    else:
        seatings = seatings_free_for(
            restaurant_id=restaurant.pk,
            party_size=party_size,
            start_at=slot.start_at,
            end_at=slot.end_at,
            now=now,
            limit=AUTO_PICK_ATTEMPTS,
        )
        if not seatings:
            _refuse_without_table(restaurant, party_size, slot=slot, now=now, walk_in=walk_in)

    expires_at = None if walk_in else hold.deadline(restaurant, now, slot.start_at)

    def build(seating: Sequence[Table]) -> Reservation:
        if walk_in:
            status = Status.SEATED
        else:
            status = Status.CONFIRMED if expires_at is None else Status.PENDING
        return Reservation(
            restaurant=restaurant,
            table=min(seating, key=lambda table: table.pk),
            party_size=party_size,
            reservation_date=slot.local_date,
            reservation_time=slot.local_time,
            start_at=slot.start_at,
            end_at=slot.end_at,
            status=status,
            expires_at=expires_at,
            confirmed_at=now if status != Status.PENDING else None,
            seated_at=now if status == Status.SEATED else None,
            notes=notes or "",
            allergies=allergies or "",
            source=source,
            language=language,
            contact_phone=contact_phone,
            created_by=actor.user,
        )

    last_error: Conflict | Locked | None = None
    for seating in seatings:
        try:
            return _book_seating(
                seating,
                slot,
                build,
                guest,
                now,
                context.tz,
                actor=actor,
                paced=not walk_in,
                restaurant=restaurant,
            )
        except (Locked, Conflict) as exc:
            if named or (isinstance(exc, Conflict) and not isinstance(exc, SlotUnavailable)):
                raise
            last_error = exc
    assert last_error is not None
    raise last_error


def _slot_asked(
    restaurant: Restaurant,
    *,
    reservation_date: date | None,
    reservation_time: time | None,
    party_size: int,
    now: datetime,
    override_notice: bool,
    walk_in: bool,
    source: str,
) -> tuple[rules.BookingSetup, rules.BookingContext, rules.Slot]:
    """The restaurant's booking setup (reservations.booking_setup: cached), the booking's
    rules context and its slot: the start asked (``rules.booking_slot``), or now for a
    walk-in (``rules.walk_in_slot``)."""
    if walk_in:
        # The callers' contract, never a client's input: a walk-in starts now.
        if reservation_date is not None or reservation_time is not None or override_notice:
            raise ValueError("A walk-in starts now: it names no date, time or notice.")
        if source != Reservation.Source.WALK_IN:
            raise ValueError("A walk-in's source is walk_in.")
        today = now.astimezone(restaurant.tz).date()
        setup, context = booking_context(restaurant, local_date=today)
        return setup, context, rules.walk_in_slot(context, party_size=party_size, now=now)
    if reservation_date is None or reservation_time is None:
        raise ValueError("A booking names its local date and time.")
    setup, context = booking_context(restaurant, local_date=reservation_date)
    slot = rules.booking_slot(
        context,
        local_date=reservation_date,
        local_time=reservation_time,
        party_size=party_size,
        now=now,
        override_notice=override_notice,
    )
    return setup, context, slot


def _refuse_without_table(
    restaurant: Restaurant, party_size: int, *, slot: rules.Slot, now: datetime, walk_in: bool
) -> None:
    seats = tables_seating(restaurant_id=restaurant.pk, party_size=party_size).exists()
    if not seats and not combinations_seating(restaurant_id=restaurant.pk, party_size=party_size):
        raise ValidationFailed.field(
            "party_size", f"No table of {restaurant.name} seats a party of {party_size}."
        )
    if not walk_in:
        raise SlotUnavailable(f"No table for {party_size} is free at that time.")
    stay = slot.end_at - slot.start_at
    frees_at = next_free_start(
        restaurant_id=restaurant.pk, party_size=party_size, after=slot.start_at, stay=stay, now=now
    )
    message = f"No table for {party_size} is free now."
    local = None
    if frees_at is not None:
        local = frees_at.astimezone(restaurant.tz)
        message += f" The next one frees up at {local:%H:%M}."
    raise NoTableFreeNow(
        message,
        details={
            "party_size": party_size,
            "next_free_at": frees_at.isoformat().replace("+00:00", "Z") if frees_at else None,
            "next_free_time": f"{local:%H:%M}" if local else None,
        },
    )


def insert_checks_overlap(slot: rules.Slot, now: datetime) -> bool:
    """Whether the insert itself refuses every overlap: PostgreSQL's exclusion constraint. On
    SQLite the in-transaction check decides (its write transactions run one at a time). A
    stay that has begun by now (a walk-in) is always checked by the overlap query: a party
    seated past its booked end holds its tables for it (selectors.seated_past_end), which
    the constraint, knowing only booked stays, cannot see."""
    return connection.vendor == "postgresql" and slot.start_at > now


def _book_seating(
    seating: Sequence[Table],
    slot: rules.Slot,
    build: Callable[[Sequence[Table]], Reservation],
    guest: GuestProfile,
    now: datetime,
    tz,
    *,
    actor: Actor,
    paced: bool = True,
    restaurant: Restaurant,
) -> Reservation:
    """Take the locks of the seating's tables (all or none), then in one transaction: get the
    guest's profile, refuse a hold over the guest's limits (a limited actor), expire the
    tables' lapsed holds (and those counted in the slot, under pacing limits), refuse an
    overlap, take the party's place in its slot (409 ``pacing_limit`` over the restaurant's
    pacing limits; counted without them when not ``paced``: a walk-in), insert the
    reservation and its occupancy of every table guarded by the exclusion constraint, and run
    the after-change hook.

    On PostgreSQL, at a restaurant without pacing limits and outside any caller's
    transaction, the insert is the overlap check: the transaction takes the slot's place and
    inserts at once, without a savepoint, and only when the exclusion constraint refuses
    does the rolled-back booking read who holds the table: a live reservation is the 409
    naming it; a lapsed hold (which still holds its row until it is expired) sends the
    booking down the full path above, which expires it first."""
    table_ids = sorted(table.pk for table in seating)
    optimistic = (
        insert_checks_overlap(slot, now)
        and not connection.in_atomic_block
        and not PacingPolicy.of(restaurant).limited
    )
    # A slot the last booking of these tables took is 409 at once, before the lock and while
    # waiting for it (reservations.services.slot_taken): a burst's losers leave without a
    # statement instead of each queueing on the lock for its insert to be refused.
    taken = TakenLook(
        restaurant.pk,
        seating,
        slot,
        now,
        lambda table, holder: slot_unavailable(table, holder, tz, now),
    )
    taken.first_look()
    write = partial(
        _write_booking,
        seating,
        build,
        guest,
        now,
        tz,
        actor=actor,
        table_ids=table_ids,
        paced=paced,
        taken=taken,
    )
    with tables_lock(table_ids, slot.local_date, waiting=taken.refuse):
        if optimistic:
            try:
                return write(slot=None)
            except IntegrityError as exc:
                refusal = overlap_refusal(exc, seating, slot.start_at, slot.end_at, now, tz)
                if refusal is not None:
                    raise refusal from exc
                # Only lapsed holds stood in the way: expire them, then book.
        return write(slot=slot)


def _write_booking(
    seating: Sequence[Table],
    build: Callable[[Sequence[Table]], Reservation],
    guest: GuestProfile,
    now: datetime,
    tz,
    *,
    actor: Actor,
    table_ids: list[int],
    slot: rules.Slot | None,
    paced: bool = True,
    taken: TakenLook | None = None,
) -> Reservation:
    """The booking's transaction; with ``slot``, the lapsed holds are expired and the overlap
    checked before the insert (which then runs in a savepoint), without it the insert alone
    checks. Once it commits, ``taken`` notes the tables taken for the stay."""
    with transaction.atomic():
        reservation = build(seating)
        reservation.customer = profile_of(guest)
        if actor.is_limited:
            refuse_over_hold_limits(
                user=actor.account,
                guest=reservation.customer,
                restaurant_id=reservation.restaurant_id,
                now=now,
                pending=reservation.status == Status.PENDING,
                phone=actor.phone,
            )
        pace = PaceChanges(reservation.restaurant)
        pace.take(reservation.start_at, reservation.party_size, limited=paced)
        if slot is not None:
            expire_lapsed_holds(table_ids=table_ids, now=now, pace=pace)
            refuse_overlap(seating, slot, now, tz)
        pace.apply(upsert=slot is None)
        write_guarded(reservation, tables=seating, now=now, tz=tz, savepoint=slot is not None)
        after_change(reservation, CREATED)
        if taken is not None:
            taken.mark_on_commit(reservation)
    return reservation


# --- change ----------------------------------------------------------------------------------

SLOT_FIELDS = ("reservation_date", "reservation_time", "party_size", "table_id")
# What the guest tells the restaurant: changed without touching the slot.
REMARK_FIELDS = ("notes", "allergies")


def _check_changeable(reservation: Reservation, actor: Actor, now: datetime) -> None:
    status = effective_status(reservation, now)
    if status == Status.EXPIRED and reservation.status == Status.PENDING:
        raise expired_hold()
    if status not in CHANGEABLE:
        raise NotChangeable(
            f"A {status} reservation cannot be changed.", details={"status": status}
        )
    if actor.is_guest and now >= reservation.start_at:
        raise PermissionDenied("The reservation has started; only the restaurant can change it.")


def _locked_unchanged(reservation: Reservation) -> Reservation:
    """The row under lock, refused (409) if someone changed it since we read it."""
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.updated_at != reservation.updated_at:
        raise ConcurrentChange("The reservation was changed meanwhile; reload it and try again.")
    return locked


def _tables_asked(current: Reservation, data: dict[str, Any]) -> list[Table] | None:
    """The tables a change names with staff's ``table_ids``, by id; None when it names none,
    or exactly the tables the reservation holds already."""
    table_ids = data.get("table_ids")
    _refuse_both_tables(data.get("table_id"), table_ids)
    if table_ids is None:
        return None
    seating = _named_tables(current.restaurant_id, table_ids)
    held = [table.pk for table in seating_of(current)]
    return None if [table.pk for table in seating] == held else seating


def reservation_change(
    *,
    reservation: Reservation,
    actor: Actor,
    data: dict[str, Any],
    override_notice: bool = False,
    override_tables: bool = False,
) -> Reservation:
    """Change the date, time, party size, table (or staff's ``table_ids``), notes or allergies
    of a pending or confirmed reservation, as ``actor``: a guest before the start, staff at
    any time (and only staff override the notice or choose several tables, only a manager
    overrides the combinations: ``refuse_actor_options``). A new slot passes the same rules,
    lock and constraint as a booking, and the pacing limits when it moves the start or grows
    the party (409 ``pacing_limit``); a party at a combination stays within its limits
    (``_check_seating``); the row is updated in place in one transaction, so the old slot
    (its tables, its place in its slot's pacing counter) is released only if the new one is
    taken. A lapsed hold is 409 ``reservation_expired``."""
    now = clock_now()
    current = Reservation.objects.select_related("restaurant", "table").get(pk=reservation.pk)
    _check_changeable(current, actor, now)
    refuse_actor_options(
        actor,
        restaurant_id=current.restaurant_id,
        override_notice=override_notice,
        table_ids=data.get("table_ids"),
        override_tables=override_tables,
    )
    wanted = {
        "reservation_date": data.get("reservation_date", current.reservation_date),
        "reservation_time": data.get("reservation_time", current.reservation_time),
        "party_size": data.get("party_size", current.party_size),
        "table_id": data.get("table_id", current.table_id),
    }
    asked = _tables_asked(current, data)
    slot_changed = asked is not None or any(wanted[f] != getattr(current, f) for f in SLOT_FIELDS)
    remarks = {f: data.get(f, getattr(current, f)) or "" for f in REMARK_FIELDS}
    if not slot_changed and all(remarks[f] == getattr(current, f) for f in REMARK_FIELDS):
        return current
    previous = SlotBefore.of(current)

    if not slot_changed:
        with transaction.atomic():
            locked = _locked_unchanged(current)
            for name, value in remarks.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*REMARK_FIELDS, "updated_at"])
            after_change(locked, CHANGED, previous=previous)
        return locked

    restaurant = current.restaurant
    _refuse_inactive(restaurant)
    context = rules.load_booking_context(
        restaurant, date_from=wanted["reservation_date"], date_to=wanted["reservation_date"]
    )
    slot = rules.booking_slot(
        context,
        local_date=wanted["reservation_date"],
        local_time=wanted["reservation_time"],
        party_size=wanted["party_size"],
        now=now,
        override_notice=override_notice,
    )
    kept = asked is None and wanted["table_id"] == current.table_id
    if asked is not None:
        seating = asked
    elif kept:
        seating = seating_of(current)  # the tables it holds, all of them
    else:
        seating = [_table(wanted["table_id"])]
    _check_seating(
        seating,
        restaurant_id=restaurant.pk,
        party_size=wanted["party_size"],
        override_tables=override_tables,
        kept=kept,
    )
    table_ids = [table.pk for table in seating]

    with (
        tables_lock(table_ids, slot.local_date),
        transaction.atomic(),
    ):
        # Lapsed holds first, as a booking takes them: every path then locks rows in the same
        # order (the tables' lapsed holds by id, then its own row), so a change and a booking
        # sharing a table cannot deadlock. The row being changed is no lapsed hold (checked
        # above).
        pace = PaceChanges(restaurant)
        pace.move(current, start_at=slot.start_at, party_size=wanted["party_size"])
        expire_lapsed_holds(table_ids=table_ids, now=now, pace=pace)
        locked = _locked_unchanged(current)
        refuse_overlap(seating, slot, now, context.tz, exclude_id=locked.pk)
        pace.apply()
        locked.table = seating[0]
        locked.party_size = wanted["party_size"]
        locked.reservation_date = slot.local_date
        locked.reservation_time = slot.local_time
        locked.start_at = slot.start_at
        locked.end_at = slot.end_at
        for name, value in remarks.items():
            setattr(locked, name, value)
        fields = [
            "table",
            "party_size",
            "reservation_date",
            "reservation_time",
            "start_at",
            "end_at",
            *REMARK_FIELDS,
            "updated_at",
        ]
        if locked.status == Status.PENDING and locked.expires_at > slot.start_at:
            # A hold never outlives the start it holds.
            locked.expires_at = slot.start_at
            fields.append("expires_at")
        write_guarded(locked, tables=seating, now=now, tz=context.tz, update_fields=fields)
        after_change(locked, CHANGED, previous=previous)
    return locked
