"""The state machine: every transition from every status, allowed or refused, and the rules
on who may ask when."""

from datetime import timedelta

import pytest
from django.db import transaction

from core.errors import Conflict, PermissionDenied
from reservations.actors import SYSTEM
from reservations.models import Reservation
from reservations.services import (
    TRANSITIONS,
    holds_expire_lapsed,
    reservation_cancel,
    reservation_complete,
    reservation_confirm,
    reservation_mark_no_show,
    reservation_seat,
    transitions,
)
from reservations.tests.factories import put_in_status

Status = Reservation.Status

SERVICES = {
    "confirm": reservation_confirm,
    "cancel": reservation_cancel,
    "seat": reservation_seat,
    "complete": reservation_complete,
    "no_show": reservation_mark_no_show,
}
ALLOWED = {
    ("confirm", Status.PENDING): Status.CONFIRMED,
    ("cancel", Status.PENDING): Status.CANCELLED,
    ("cancel", Status.CONFIRMED): Status.CANCELLED,
    ("seat", Status.CONFIRMED): Status.SEATED,
    ("complete", Status.SEATED): Status.COMPLETED,
    ("no_show", Status.CONFIRMED): Status.NO_SHOW,
}


def test_the_transition_table_is_the_issues_state_machine():
    table = {
        (name, source): t.target
        for name, t in TRANSITIONS.items()
        for source in t.sources
        if name != "expire"
    }
    assert table == ALLOWED
    assert TRANSITIONS["expire"].sources == {Status.PENDING}
    assert TRANSITIONS["expire"].target == Status.EXPIRED


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("name", list(SERVICES))
def test_every_transition_from_every_status(book, clock, host_actor, name, status):
    reservation = book()
    if status != Status.PENDING:
        put_in_status(reservation, status)
    if name == "no_show":
        clock.move_to(reservation.start_at + timedelta(minutes=20))
    elif status == Status.PENDING:
        clock.move_to(reservation.expires_at - timedelta(minutes=1))
    target = ALLOWED.get((name, status))
    if target is None:
        with pytest.raises(Conflict) as info:
            SERVICES[name](reservation=reservation, actor=host_actor)
        expired_hold = (name, status) == ("confirm", Status.EXPIRED)
        assert info.value.code == ("reservation_expired" if expired_hold else "invalid_transition")
        reservation.refresh_from_db()
        assert reservation.status == status
        return
    result = SERVICES[name](reservation=reservation, actor=host_actor)
    stored = Reservation.objects.get(pk=reservation.pk)
    assert result.status == stored.status == target
    stamp = TRANSITIONS[name].stamp
    if stamp:
        assert getattr(stored, stamp) is not None


# --- confirm ---------------------------------------------------------------------------------


def test_the_guest_confirms_while_the_hold_lives(book, guest_user, guest_actor):
    reservation = book(user=guest_user, customer_id=None)
    confirmed = reservation_confirm(reservation=reservation, actor=guest_actor)
    assert confirmed.status == Status.CONFIRMED
    assert confirmed.expires_at is None  # a confirmed reservation no longer expires


@pytest.mark.parametrize("actor", ["guest_actor", "host_actor"])
def test_confirming_a_lapsed_hold_is_reservation_expired(book, clock, request, actor):
    actor = request.getfixturevalue(actor)
    reservation = book()
    clock.move_to(reservation.expires_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as info:
        reservation_confirm(reservation=reservation, actor=actor)
    assert info.value.code == "reservation_expired"
    with pytest.raises(Conflict) as info:
        reservation_cancel(reservation=reservation, actor=actor)
    assert info.value.code == "invalid_transition"  # a lapsed hold reads as expired


# --- cancel ----------------------------------------------------------------------------------


def test_the_guest_cancels_before_the_start_with_a_reason(book, guest_actor):
    reservation = book()
    cancelled = reservation_cancel(reservation=reservation, actor=guest_actor, reason=" Sick ")
    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancellation_reason == "Sick"
    assert cancelled.cancelled_at is not None
    assert cancelled.expires_at == reservation.expires_at  # kept as the record of the hold


def test_after_the_start_only_staff_cancel(book, clock, guest_actor, host_actor):
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at + timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        reservation_cancel(reservation=reservation, actor=guest_actor)
    assert reservation_cancel(reservation=reservation, actor=host_actor).status == "cancelled"


# --- restaurant-only transitions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (reservation_seat, Status.CONFIRMED),
        (reservation_complete, Status.SEATED),
        (reservation_mark_no_show, Status.CONFIRMED),
    ],
)
def test_guests_cannot_seat_complete_or_mark_no_show(book, clock, guest_actor, service, status):
    reservation = put_in_status(book(), status)
    clock.move_to(reservation.start_at + timedelta(minutes=30))
    with pytest.raises(PermissionDenied):
        service(reservation=reservation, actor=guest_actor)
    reservation.refresh_from_db()
    assert reservation.status == status


def test_no_show_only_after_the_start(book, clock, host_actor):
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at - timedelta(minutes=1))
    with pytest.raises(Conflict) as info:
        reservation_mark_no_show(reservation=reservation, actor=host_actor)
    assert info.value.code == "reservation_not_started"
    clock.move_to(reservation.start_at)
    assert reservation_mark_no_show(reservation=reservation, actor=host_actor).status == "no_show"


def test_seat_then_complete(book, host_actor):
    reservation = reservation_confirm(reservation=book(), actor=host_actor)
    seated = reservation_seat(reservation=reservation, actor=host_actor)
    assert seated.seated_at is not None
    completed = reservation_complete(reservation=seated, actor=host_actor)
    assert completed.status == Status.COMPLETED and completed.completed_at is not None


# --- expire ----------------------------------------------------------------------------------


def test_expire_needs_a_lapsed_hold_and_is_idempotent(book):
    reservation = book()
    just_before = reservation.expires_at - timedelta(microseconds=1)
    assert holds_expire_lapsed(actor=SYSTEM, now=just_before) == 0
    reservation.refresh_from_db()
    assert reservation.status == Status.PENDING
    assert holds_expire_lapsed(actor=SYSTEM, now=reservation.expires_at) == 1
    assert holds_expire_lapsed(actor=SYSTEM, now=reservation.expires_at) == 0
    reservation.refresh_from_db()
    assert reservation.status == Status.EXPIRED


def test_expire_leaves_a_confirmed_reservation_alone(book):
    reservation = put_in_status(book(), Status.CONFIRMED)
    with transaction.atomic():
        expired = transitions.expire_lapsed_holds(
            table_ids=[reservation.table_id], now=reservation.start_at
        )
    assert expired == []
    assert holds_expire_lapsed(actor=SYSTEM, now=reservation.start_at) == 0
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED


# --- the hook --------------------------------------------------------------------------------


def test_every_transition_passes_through_the_after_change_hook(
    book, clock, host_actor, monkeypatch
):
    seen = []
    monkeypatch.setattr(transitions, "after_change", lambda r, kind, **kw: seen.append(kind))
    first = reservation_confirm(reservation=book(), actor=host_actor)
    reservation_seat(reservation=first, actor=host_actor)
    reservation_complete(reservation=first, actor=host_actor)
    lapsing = book(reservation_time=first.reservation_time.replace(hour=21))
    holds_expire_lapsed(actor=SYSTEM, now=lapsing.expires_at)
    assert seen == ["confirmed", "seated", "completed", "expired"]
