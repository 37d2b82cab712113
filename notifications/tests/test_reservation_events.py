"""The outbox hears of reservation changes through the events reservations publishes, with
handlers subscribed at start-up; each event records the e-mail the guest is owed, or none."""

from datetime import timedelta

import pytest

from core.events import publish, subscribers
from notifications import recording
from notifications.models import Notification
from reservations.events import (
    ReservationChanged,
    ReservationCreated,
    ReservationStatusChanged,
    SlotBefore,
)
from reservations.models import Reservation

pytestmark = pytest.mark.django_db


def test_the_outbox_subscribes_to_every_reservation_event_at_start_up():
    assert recording.record_reservation_created in subscribers(ReservationCreated)
    assert recording.record_reservation_changed in subscribers(ReservationChanged)
    assert recording.record_reservation_status_changed in subscribers(ReservationStatusChanged)


def kinds_of(reservation) -> list[str]:
    return sorted(
        Notification.objects.filter(reservation=reservation).values_list("kind", flat=True)
    )


def test_a_hold_asks_to_confirm_and_a_confirmed_booking_says_so(reservation_factory):
    hold = reservation_factory(status="pending")
    confirmed = reservation_factory(status="confirmed")
    publish(ReservationCreated(reservation=hold))
    publish(ReservationCreated(reservation=confirmed))
    assert kinds_of(hold) == ["hold_created"]
    assert kinds_of(confirmed) == ["confirmed"]


def test_each_change_records_one_changed_email(reservation_factory):
    reservation = reservation_factory()
    previous = SlotBefore.of(reservation)
    publish(ReservationChanged(reservation=reservation, previous=previous))
    publish(ReservationChanged(reservation=reservation, previous=previous))  # the same change
    Reservation.objects.filter(pk=reservation.pk).update(
        updated_at=reservation.updated_at + timedelta(seconds=1)
    )
    reservation.refresh_from_db()
    publish(ReservationChanged(reservation=reservation, previous=previous))
    assert kinds_of(reservation) == ["changed", "changed"]


@pytest.mark.parametrize(
    ("status", "kinds"),
    [
        ("confirmed", ["confirmed"]),
        ("cancelled", ["cancelled"]),
        ("expired", ["expired"]),
        ("seated", []),
        ("completed", []),
        ("no_show", []),
    ],
)
def test_a_transition_records_the_email_of_its_status_only(reservation_factory, status, kinds):
    reservation = reservation_factory(status=status)
    publish(ReservationStatusChanged(reservation=reservation, status=status))
    assert kinds_of(reservation) == kinds
