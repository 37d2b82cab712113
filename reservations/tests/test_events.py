"""Every reservation write publishes its event (reservations.events) inside its transaction:
what a subscriber writes (notifications' outbox row) commits or rolls back with the write."""

import pytest

from core import events
from notifications.models import Notification
from reservations.events import (
    ReservationChanged,
    ReservationCreated,
    ReservationStatusChanged,
    SlotBefore,
)
from reservations.models import Reservation
from reservations.services.effects import CHANGED, CREATED, after_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """Every reservation event published during the test, after the start-up subscribers ran
    (they stay subscribed, in front)."""
    seen = []
    subscribers = {
        event_type: list(handlers) for event_type, handlers in events._subscribers.items()
    }
    monkeypatch.setattr(events, "_subscribers", subscribers)
    for event_type in (ReservationCreated, ReservationChanged, ReservationStatusChanged):
        events.subscribe(event_type, seen.append)
    return seen


def test_after_change_publishes_the_event_of_each_kind(book, published):
    reservation = book()
    previous = SlotBefore.of(reservation)
    published.clear()

    after_change(reservation, CREATED)
    after_change(reservation, CHANGED, previous=previous)
    after_change(reservation, "cancelled")
    assert published == [
        ReservationCreated(reservation=reservation),
        ReservationChanged(reservation=reservation, previous=previous),
        ReservationStatusChanged(reservation=reservation, status="cancelled"),
    ]
    with pytest.raises(ValueError):
        after_change(reservation, CHANGED)


def test_a_booking_publishes_its_creation_with_the_reservation(book, published):
    reservation = book()
    assert published == [ReservationCreated(reservation=reservation)]
    assert published[0].reservation.status == Reservation.Status.PENDING


def test_a_subscriber_that_fails_rolls_back_the_booking_and_its_outbox_row(book, monkeypatch):
    """Handlers run in the booking's transaction, in order: notifications' (subscribed at
    start-up) has written the row when the later one fails, and both go."""
    rows_seen = []

    def refuse(event):
        rows_seen.append(Notification.objects.filter(reservation=event.reservation).count())
        raise RuntimeError("refused by a subscriber")

    subscribers = {
        event_type: list(handlers) for event_type, handlers in events._subscribers.items()
    }
    monkeypatch.setattr(events, "_subscribers", subscribers)
    events.subscribe(ReservationCreated, refuse)
    with pytest.raises(RuntimeError):
        book()
    assert rows_seen == [1]
    assert not Reservation.objects.exists()
    assert not Notification.objects.exists()
