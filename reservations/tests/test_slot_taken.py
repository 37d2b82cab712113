"""The short-lived note that a table is taken (reservations.services.slot_taken): a burst's
losers are answered 409 from it, before the lock and while waiting for it, and a note never
refuses a booking that would succeed: a cancelled, expired, moved or lapsed reservation is no
longer trusted to hold its table, whatever the order in which the writes reach Redis.

These run outside a test transaction, as a request does: notes are written after commit."""

import threading
import time
from contextlib import contextmanager
from datetime import time as clock_time
from datetime import timedelta

import pytest

from core import locking
from core.errors import SlotUnavailable
from reservations.actors import Actor
from reservations.models import Reservation
from reservations.services import booking, reservation_cancel, reservation_change, slot_taken
from reservations.services.table_guard import lock_name
from reservations.tests.factories import NOW, SEED_DATE
from restaurants.tests.factories import TableFactory

pytestmark = [
    pytest.mark.redis_only(reason="the notes live in Redis"),
    pytest.mark.django_db(transaction=True),
]


def note_of(table) -> bytes | None:
    return locking.redis_client().get(slot_taken.taken_key(table.pk, SEED_DATE))


def test_the_next_booking_of_a_taken_slot_is_refused_without_the_database(book, table, monkeypatch):
    first = book()
    note = note_of(table)
    assert note is not None and str(first.pk).encode() in note
    assert 0 < locking.redis_client().pttl(slot_taken.taken_key(table.pk, SEED_DATE)) <= 10_000
    monkeypatch.setattr(booking, "_write_booking", _unreachable)
    with pytest.raises(SlotUnavailable) as info:
        book(reservation_time=_time("19:30"))
    assert info.value.details["table_id"] == table.pk
    assert info.value.details["conflict"]["reservation_time"] == "19:00"


def _unreachable(*args, **kwargs):
    raise AssertionError("the booking reached the database")


def test_a_stay_that_does_not_overlap_the_note_books(book, table):
    book()
    later = book(reservation_time=_time("20:30"))  # back to back: 19:00-20:30, then 20:30
    assert later.status == Reservation.Status.PENDING


def test_a_cancelled_reservation_no_longer_refuses_from_its_note(book, table, staff_user):
    first = book()
    assert note_of(table) is not None
    reservation_cancel(reservation=first, actor=Actor.host(staff_user, first.restaurant_id))
    again = book()
    assert again.pk != first.pk and again.status == Reservation.Status.PENDING


def test_a_moved_reservation_no_longer_refuses_from_its_note(book, table, staff_user):
    first = book()
    reservation_change(
        reservation=first,
        actor=Actor.host(staff_user, first.restaurant_id),
        data={"reservation_time": _time("21:00")},
    )
    assert book().pk != first.pk


def test_a_lapsed_hold_no_longer_refuses_from_its_note(book, table, restaurant, clock):
    first = book()
    assert first.status == Reservation.Status.PENDING
    clock.move_to(NOW + timedelta(minutes=restaurant.hold_minutes, seconds=1))
    again = book()
    first.refresh_from_db()
    assert first.status == Reservation.Status.EXPIRED
    assert again.status == Reservation.Status.PENDING


def test_a_write_that_frees_a_table_before_the_note_is_written_stops_the_note(
    book, table, staff_user, monkeypatch
):
    """The race the generation closes: the booking commits, a cancel of it commits and
    replaces the generation, and only then does the booking's note reach Redis."""
    actor_of = {}
    original = slot_taken.TakenLook._mark

    def late(self, reservation, generation):
        reservation_cancel(
            reservation=Reservation.objects.get(pk=reservation.pk),
            actor=Actor.host(staff_user, reservation.restaurant_id),
        )
        actor_of["cancelled"] = reservation.pk
        original(self, reservation, generation)

    monkeypatch.setattr(slot_taken.TakenLook, "_mark", late)
    book()
    monkeypatch.setattr(slot_taken.TakenLook, "_mark", original)
    assert note_of(table) is None
    assert book().pk != actor_of["cancelled"]


def test_a_note_written_before_the_table_was_freed_is_not_trusted(book, table, staff_user):
    first = book()
    note = note_of(table)
    reservation_cancel(reservation=first, actor=Actor.host(staff_user, first.restaurant_id))
    # Even if the note were still (or again) there, the generation has moved on.
    locking.redis_client().set(slot_taken.taken_key(table.pk, SEED_DATE), note, px=10_000)
    assert book().pk != first.pk


def test_without_a_generation_no_note_is_trusted(book, table, restaurant):
    first = book()
    locking.redis_client().delete(slot_taken.generation_key(restaurant.pk))
    with pytest.raises(SlotUnavailable) as info:  # the database's answer, not the note's
        book()
    assert info.value.details["conflict"]["reservation_time"] == "19:00"
    assert first.pk


def test_a_waiter_on_the_lock_is_answered_409_as_soon_as_the_holder_took_the_slot(
    book, table, monkeypatch
):
    """The holder books and notes its slot while a second booking waits on the table's lock
    (a wait longer than the test's): the second leaves with 409 as soon as the note is there,
    never 423, and never reaches its transaction."""
    monkeypatch.setattr("reservations.services.table_guard.LOCK_WAIT_SECONDS", 5.0)
    client = locking.redis_client()
    lock = client.lock(locking.LOCK_PREFIX + lock_name(table.pk, SEED_DATE), timeout=10)
    assert lock.acquire(blocking=False)
    holder = threading.get_ident()
    locked, write = booking.tables_lock, booking._write_booking

    @contextmanager
    def as_the_holder(table_ids, local_date, waiting=None):
        if threading.get_ident() == holder:
            yield  # the lock above is the holder's
        else:
            with locked(table_ids, local_date, waiting=waiting):
                yield

    def only_the_holder(*args, **kwargs):
        assert threading.get_ident() == holder, "the waiter reached the database"
        return write(*args, **kwargs)

    monkeypatch.setattr(booking, "tables_lock", as_the_holder)
    monkeypatch.setattr(booking, "_write_booking", only_the_holder)
    answered = {}

    def waiter():
        started = time.monotonic()
        try:
            book()
        except SlotUnavailable as exc:
            answered["error"] = exc
        finally:
            answered["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.3)  # the waiter is polling the held lock
    assert "seconds" not in answered
    book()  # the holder's booking commits and notes the slot, still holding the lock
    thread.join(5)
    lock.release()
    assert isinstance(answered.get("error"), SlotUnavailable), answered
    assert answered["seconds"] < 2


def _time(text):
    return clock_time.fromisoformat(text)


def test_other_tables_are_not_refused_by_a_note(book, restaurant, table):
    book()
    other = TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=1)
    assert book(table_id=other.pk).table_id == other.pk


def test_a_cancel_stops_trusting_the_note_before_it_commits(book, table, staff_user):
    """From inside the cancel's transaction, before its commit (and its after-commit hooks):
    the note already refuses nothing, so no booking is refused once the table is free."""
    from django.db import transaction

    from reservations.services.table_guard import slot_unavailable

    first = book()
    assert note_of(table) is not None
    with transaction.atomic():
        reservation_cancel(reservation=first, actor=Actor.host(staff_user, first.restaurant_id))
        look = slot_taken.TakenLook(
            first.restaurant_id,
            [table],
            _Stay(first),
            first.created_at,
            lambda t, holder: slot_unavailable(t, holder, first.restaurant.tz, first.created_at),
        )
        look.first_look()  # no 409: the generation moved with the cancel's write


class _Stay:
    def __init__(self, reservation):
        self.local_date = reservation.reservation_date
        self.start_at = reservation.start_at
        self.end_at = reservation.end_at


def test_a_cancel_whose_generation_write_failed_replaces_it_once_it_commits(
    book, table, staff_user, monkeypatch
):
    """Redis fails for the cancel's write of the generation, inside its transaction, and
    answers again by its commit: the generation is replaced then, so the cancelled
    reservation's note refuses nothing instead of for the rest of its life."""
    import redis

    first = book()
    assert note_of(table) is not None
    real = locking.redis_client()
    failures = []

    class FailsOnce:
        def __getattr__(self, name):
            return getattr(real, name)

        def set(self, *args, **kwargs):
            if not failures:
                failures.append(args)
                raise redis.ConnectionError("Redis went away for a moment")
            return real.set(*args, **kwargs)

    monkeypatch.setattr(slot_taken, "redis_client", lambda: FailsOnce())
    reservation_cancel(reservation=first, actor=Actor.host(staff_user, first.restaurant_id))
    assert failures, "the generation's write inside the cancel failed"
    again = book()
    assert again.pk != first.pk and again.status == Reservation.Status.PENDING


def test_a_note_names_the_same_holder_the_database_would(book, table):
    """A stay that overlaps two reservations of the table is refused naming the earlier, as
    the database's answer does, even when the note is the later one's."""
    book()  # 19:00-20:30
    book(reservation_time=_time("20:30"))  # 20:30-22:00: the table's note now
    with pytest.raises(SlotUnavailable) as info:
        book(reservation_time=_time("20:00"))
    assert info.value.details["conflict"]["reservation_time"] == "19:00"
