"""The reservation state machine: one table of allowed transitions, one service per transition.

    pending   -> confirmed | cancelled | expired
    confirmed -> seated | cancelled | no_show
    seated    -> completed

A pending hold whose ``expires_at`` has passed is expired whether or not the sweep has marked
it yet: every transition reads it as ``expired`` (so confirming it is 409
``reservation_expired`` and cancelling it 409 ``invalid_transition``). Each service locks the
row (``select_for_update``) and re-reads the status under the lock, so two concurrent
transitions of one reservation are serialized and the second sees the first's result.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from core.clock import now as clock_now
from core.errors import (
    InvalidTransition,
    PermissionDenied,
    ReservationExpired,
    ReservationNotStarted,
    ValidationFailed,
)
from reservations.actors import STAFF_KINDS, Actor, ActorKind
from reservations.models import Occupancy, Reservation
from reservations.services.effects import after_change
from reservations.services.slot_pace import PaceChanges
from reservations.services.table_guard import occupancy_release

Status = Reservation.Status


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    # The timestamp set to the time of the transition, if any.
    stamp: str | None
    # The kinds of actor who may ask for it at all (other rules, like the guest's time limits,
    # come on top).
    actors: frozenset[ActorKind]


_EVERYONE = frozenset(ActorKind)
_RESTAURANT = STAFF_KINDS | {ActorKind.SYSTEM}

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "confirm", frozenset({Status.PENDING}), Status.CONFIRMED, "confirmed_at", _EVERYONE
        ),
        Transition(
            "cancel",
            frozenset({Status.PENDING, Status.CONFIRMED}),
            Status.CANCELLED,
            "cancelled_at",
            _EVERYONE,
        ),
        Transition(
            "expire",
            frozenset({Status.PENDING}),
            Status.EXPIRED,
            None,
            frozenset({ActorKind.SYSTEM}),
        ),
        Transition("seat", frozenset({Status.CONFIRMED}), Status.SEATED, "seated_at", _RESTAURANT),
        Transition(
            "complete", frozenset({Status.SEATED}), Status.COMPLETED, "completed_at", _RESTAURANT
        ),
        Transition("no_show", frozenset({Status.CONFIRMED}), Status.NO_SHOW, None, _RESTAURANT),
    )
}


# For messages: "A confirmed reservation cannot be seated."
_PAST = {
    "confirm": "confirmed",
    "cancel": "cancelled",
    "expire": "expired",
    "seat": "seated",
    "complete": "completed",
    "no_show": "marked as a no-show",
}


def hold_lapsed(reservation: Reservation, now: datetime) -> bool:
    """A pending hold lives while ``now < expires_at``."""
    return (
        reservation.status == Status.PENDING
        and reservation.expires_at is not None
        and reservation.expires_at <= now
    )


def effective_status(reservation: Reservation, now: datetime) -> str:
    """The status as the rules read it: a lapsed pending hold is expired."""
    return Status.EXPIRED if hold_lapsed(reservation, now) else reservation.status


def has_started(reservation: Reservation, now: datetime) -> bool:
    """Its start has come: from then on a guest no longer cancels it, and staff may mark it a
    no-show (never before)."""
    return now >= reservation.start_at


def guest_actions(reservation: Reservation, actor: Actor, now: datetime) -> set[str]:
    """Of confirm and cancel, those ``actor`` may ask for now (what the manage page offers):
    the table's own sources and actors, the lapsed hold read as expired, and a guest's limit
    of cancelling only before the start. The services decide again under the row lock."""
    status = effective_status(reservation, now)
    allowed = {
        name
        for name in ("confirm", "cancel")
        if status in TRANSITIONS[name].sources and actor.kind in TRANSITIONS[name].actors
    }
    if actor.is_guest and has_started(reservation, now):
        allowed.discard("cancel")
    return allowed


def invalid_transition(reservation_status: str, name: str) -> InvalidTransition:
    return InvalidTransition(
        f"A {reservation_status} reservation cannot be {_PAST[name]}.",
        details={"status": reservation_status},
    )


def expired_hold() -> ReservationExpired:
    return ReservationExpired(details={"status": Status.EXPIRED})


def apply_transition(
    reservation: Reservation,
    name: str,
    now: datetime,
    *,
    pace: PaceChanges | None = None,
    **fields,
) -> None:
    """Write the transition on a row the caller has locked and checked, then run the hook.
    Leaving the active statuses frees its tables; leaving the paced ones (cancelled,
    expired) gives its place in its slot back: at once, or recorded in ``pace`` when the
    caller changes several counters in one order (reservations.services.slot_pace)."""
    transition = TRANSITIONS[name]
    reservation.status = transition.target
    changed = ["status", "updated_at", *fields]
    if transition.stamp:
        setattr(reservation, transition.stamp, now)
        changed.append(transition.stamp)
    if name == "confirm":
        # A confirmed reservation no longer expires; a cancelled or expired one keeps
        # ``expires_at`` as the record of its hold.
        reservation.expires_at = None
        changed.append("expires_at")
    for field, value in fields.items():
        setattr(reservation, field, value)
    reservation.save(update_fields=changed)
    if transition.target not in Reservation.ACTIVE_STATUSES:
        occupancy_release(reservation)
    if transition.target not in Reservation.PACED_STATUSES:
        changes = pace if pace is not None else PaceChanges()
        changes.release(reservation)
        if pace is None:
            changes.apply()
    after_change(reservation, transition.target)


def refuse_transition(name: str, actor: Actor, restaurant_id: int | None = None) -> None:
    """403 when ``actor``'s kind may not ask for the transition at all, or when it acts at
    another restaurant than ``restaurant_id``, the reservation's."""
    allowed = actor.kind in TRANSITIONS[name].actors
    if restaurant_id is not None:
        allowed = allowed and actor.acts_at(restaurant_id)
    if not allowed:
        message = (
            "Only the system expires holds."
            if name == "expire"
            else "Only the restaurant's staff can do this."
        )
        raise PermissionDenied(message, details={"transition": name})


def _run(
    reservation: Reservation,
    name: str,
    *,
    actor: Actor,
    rule: Callable[[Reservation, datetime], None] | None = None,
    **fields,
) -> Reservation:
    transition = TRANSITIONS[name]
    refuse_transition(name, actor, reservation.restaurant_id)
    now = clock_now()
    with transaction.atomic():
        locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
        status = effective_status(locked, now)
        if status not in transition.sources:
            if name == "confirm" and status == Status.EXPIRED:
                raise expired_hold()
            raise invalid_transition(status, name)
        if rule is not None:
            rule(locked, now)
        apply_transition(locked, name, now, **fields)
    return locked


def reservation_confirm(*, reservation: Reservation, actor: Actor) -> Reservation:
    """pending -> confirmed, by the guest (with an account or through the link) or staff,
    only while the hold lives: a lapsed hold is 409 ``reservation_expired`` for everyone."""
    return _run(reservation, "confirm", actor=actor)


def reservation_cancel(*, reservation: Reservation, actor: Actor, reason: str = "") -> Reservation:
    """pending|confirmed -> cancelled: the guest before the start, staff at any time (a
    seated party is completed, not cancelled). A reason with a NUL character is a 400 naming
    ``reason`` (whatever form or API sent it: the database cannot store one)."""
    if "\x00" in (reason or ""):
        raise ValidationFailed.field("reason", "Null characters are not allowed.")

    def guest_before_start(locked: Reservation, now: datetime) -> None:
        if actor.is_guest and has_started(locked, now):
            raise PermissionDenied(
                "The reservation has started; only the restaurant can cancel it."
            )

    return _run(
        reservation,
        "cancel",
        actor=actor,
        rule=guest_before_start,
        cancellation_reason=(reason or "").strip()[:300],
    )


def reservation_seat(*, reservation: Reservation, actor: Actor) -> Reservation:
    """confirmed -> seated, by staff (a party may be seated before its time)."""
    return _run(reservation, "seat", actor=actor)


def reservation_complete(*, reservation: Reservation, actor: Actor) -> Reservation:
    """seated -> completed, by staff."""
    return _run(reservation, "complete", actor=actor)


def reservation_mark_no_show(*, reservation: Reservation, actor: Actor) -> Reservation:
    """confirmed -> no_show, by staff, and only once the start has passed (409
    ``reservation_not_started`` before)."""

    def after_start(locked: Reservation, now: datetime) -> None:
        if not has_started(locked, now):
            raise ReservationNotStarted()

    return _run(reservation, "no_show", actor=actor, rule=after_start)


def expire_lapsed_holds(
    *, table_ids: Sequence[int], now: datetime, pace: PaceChanges | None = None
) -> list[Reservation]:
    """Inside the caller's transaction: lock and expire the lapsed pending holds on the
    tables of a seating, so a stale hold never blocks a booking whether or not the sweep has
    run (the system's work, whoever's booking or change it runs in), and with ``pace`` those
    that still count in the slots it takes (``PaceChanges.lapsed_holds_counted``), whose
    places it gives back through it. Rows are locked in one sorted order (by id), in one
    statement, so two bookings sharing a table cannot deadlock here."""
    on_tables = Occupancy.objects.filter(table_id__in=table_ids, holds=True)
    where = Q(pk__in=on_tables.values("reservation_id"))
    counted = pace.lapsed_holds_counted() if pace is not None else None
    if counted is not None:
        where |= counted
    lapsed = list(
        Reservation.objects.select_for_update().lapsed_holds(now).filter(where).order_by("pk")
    )
    changes = pace if pace is not None else PaceChanges()
    for reservation in lapsed:
        apply_transition(reservation, "expire", now, pace=changes)
    if pace is None:
        changes.apply()
    return lapsed


def holds_expire_lapsed(*, actor: Actor, now: datetime | None = None, batch_size: int = 200) -> int:
    """The periodic sweep, by the system only: every pending reservation whose hold has
    lapsed becomes expired (and records its guest email), in batches of short transactions.
    Rows another transaction holds (a booking expiring them lazily, a guest confirming) are
    skipped and left to it or to the next sweep. Returns how many it expired."""
    refuse_transition("expire", actor)
    now = now or clock_now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reservation.objects.select_for_update(skip_locked=True)
                .lapsed_holds(now)
                .order_by("expires_at", "pk")[:batch_size]
            )
            # Their places in their slots are given back together, after every row is
            # locked, in one order (reservations.services.slot_pace).
            pace = PaceChanges()
            for reservation in batch:
                apply_transition(reservation, "expire", now, pace=pace)
            pace.apply()
        total += len(batch)
        if len(batch) < batch_size:
            return total
