"""Changing a booking: the same rules, lock and constraint as booking, atomically (the old slot
is released only when the new one is taken)."""

from datetime import date, time, timedelta

import pytest

from core import locking
from core.errors import Conflict, Locked, PermissionDenied, ValidationFailed
from reservations.actors import Actor
from reservations.models import Reservation
from reservations.services import booking, reservation_change, table_guard
from reservations.tests.factories import SEED_DATE, put_in_status
from restaurants.tests.factories import DurationRuleFactory, TableFactory

Status = Reservation.Status


def change(reservation, actor=None, **data):
    """Change as ``actor``; by default as the restaurant's host who booked it (``book``'s)."""
    actor = actor or Actor.host(reservation.created_by, reservation.restaurant_id)
    return reservation_change(reservation=reservation, actor=actor, data=data)


def test_moving_the_time_releases_the_old_slot(book):
    reservation = book()
    moved = change(reservation, reservation_time=time(21))
    assert moved.pk == reservation.pk
    assert moved.reservation_time == time(21)
    assert moved.start_at == reservation.start_at + timedelta(hours=2)
    assert moved.end_at == moved.start_at + timedelta(minutes=90)
    assert book().reservation_time == time(19)  # the old slot is free again


def test_a_change_may_overlap_its_own_old_slot(book):
    reservation = book()
    moved = change(reservation, reservation_time=time(19, 30))
    assert moved.start_at == reservation.start_at + timedelta(minutes=30)
    assert Reservation.objects.get().start_at == moved.start_at


def test_a_change_into_a_taken_slot_keeps_the_old_one(book):
    mine = book()
    book(reservation_time=time(21))
    with pytest.raises(Conflict) as info:
        change(mine, reservation_time=time(20, 30))
    assert info.value.code == "slot_unavailable"
    mine.refresh_from_db()
    assert mine.reservation_time == time(19)
    with pytest.raises(Conflict):
        book(reservation_time=time(19))  # still held by ``mine``


@pytest.mark.postgres_only(reason="the exclusion constraint exists on PostgreSQL only")
def test_the_constraint_guards_a_change_too(book, monkeypatch):
    mine = book()
    book(reservation_time=time(21))
    monkeypatch.setattr(booking, "refuse_overlap", lambda *args, **kwargs: None)
    with pytest.raises(Conflict) as info:
        change(mine, reservation_time=time(20, 30))
    assert info.value.code == "slot_unavailable"
    mine.refresh_from_db()
    assert mine.reservation_time == time(19)


def test_a_bigger_party_stays_longer_and_must_fit_the_table(book, restaurant):
    DurationRuleFactory(restaurant=restaurant, min_party=3, max_party=None, duration_minutes=120)
    reservation = book()
    bigger = change(reservation, party_size=4)
    assert bigger.end_at - bigger.start_at == timedelta(minutes=120)
    with pytest.raises(ValidationFailed) as info:
        change(bigger, party_size=6)
    assert list(info.value.details) == ["party_size"]


def test_moving_to_another_table(book, restaurant, table):
    other = TableFactory(restaurant=restaurant, number="9", capacity=6)
    moved = change(book(), table_id=other.pk)
    assert moved.table_id == other.pk
    assert book().table_id == table.pk  # the old table is free


def test_a_change_follows_the_rules(book):
    reservation = book()
    with pytest.raises(ValidationFailed) as info:
        change(reservation, reservation_time=time(23))  # ends after the 23:30 close
    assert list(info.value.details) == ["reservation_time"]
    with pytest.raises(ValidationFailed) as info:
        change(reservation, reservation_date=date(2026, 1, 1))  # beyond 90 days
    assert list(info.value.details) == ["reservation_date"]
    with pytest.raises(ValidationFailed) as info:
        change(reservation, table_id=TableFactory().pk)
    assert list(info.value.details) == ["table_id"]


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_a_change_takes_the_tables_lock(book, table):
    reservation = book()
    with (
        locking.redis_lock(table_guard.lock_name(table.pk, SEED_DATE)),
        pytest.raises(Locked),
    ):
        change(reservation, reservation_time=time(21))


def test_notes_alone_change_without_touching_the_slot(book, guest_actor):
    reservation = book()
    changed = change(reservation, actor=guest_actor, notes="Window seat, please")
    assert changed.notes == "Window seat, please"
    assert changed.start_at == reservation.start_at


def test_allergies_change_alone_or_with_the_slot(book, guest_actor):
    reservation = book()
    changed = change(reservation, actor=guest_actor, allergies="shellfish")
    assert (changed.allergies, changed.start_at) == ("shellfish", reservation.start_at)
    moved = change(changed, actor=guest_actor, reservation_time=time(21), allergies="")
    assert moved.allergies == "" and moved.reservation_time == time(21)
    stored = Reservation.objects.get(pk=reservation.pk)
    assert stored.allergies == "" and stored.reservation_time == time(21)


def test_a_pending_hold_moved_earlier_never_outlives_its_new_start(book, restaurant, host_actor):
    reservation = book()
    moved = reservation_change(
        reservation=reservation,
        actor=host_actor,
        data={"reservation_date": date(2025, 8, 28), "reservation_time": time(12, 15)},
        override_notice=True,
    )
    assert moved.expires_at == moved.start_at < reservation.expires_at


def test_the_guest_changes_only_before_the_start(book, clock, guest_actor):
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at + timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        change(reservation, actor=guest_actor, notes="late")


def test_the_guest_cannot_override_notice(book, guest_actor):
    with pytest.raises(PermissionDenied):
        reservation_change(
            reservation=book(), actor=guest_actor, data={"party_size": 3}, override_notice=True
        )


def test_a_lapsed_hold_cannot_be_changed(book, clock):
    reservation = book()
    clock.move_to(reservation.expires_at)
    with pytest.raises(Conflict) as info:
        change(reservation, reservation_time=time(21))
    assert info.value.code == "reservation_expired"


@pytest.mark.parametrize("status", [Status.SEATED, Status.COMPLETED, Status.CANCELLED])
def test_only_pending_or_confirmed_reservations_change(book, status):
    reservation = put_in_status(book(), status)
    with pytest.raises(Conflict) as info:
        change(reservation, notes="x")
    assert info.value.code == "not_changeable"


def test_a_change_made_meanwhile_is_not_overwritten(book, monkeypatch):
    reservation = book()
    real_check = booking._check_changeable

    def someone_else_changes_it_first(current, actor, now):
        real_check(current, actor, now)
        Reservation.objects.filter(pk=current.pk).update(
            notes="theirs", updated_at=current.updated_at + timedelta(seconds=1)
        )

    monkeypatch.setattr(booking, "_check_changeable", someone_else_changes_it_first)
    with pytest.raises(Conflict) as info:
        change(reservation, reservation_time=time(21))
    assert info.value.code == "concurrent_change"
    reservation.refresh_from_db()
    assert (reservation.notes, reservation.reservation_time) == ("theirs", time(19))


def test_an_unchanged_request_writes_nothing(book):
    reservation = book()
    same = change(reservation, reservation_time=time(19), party_size=2, notes="")
    assert same.updated_at == reservation.updated_at


def test_a_deactivated_restaurant_takes_no_new_slot(book, restaurant):
    reservation = book()
    restaurant.is_active = False
    restaurant.save()
    with pytest.raises(ValidationFailed) as info:
        change(reservation, reservation_time=time(21))
    assert list(info.value.details) == ["restaurant_id"]
    assert change(reservation, notes="still coming").notes == "still coming"
