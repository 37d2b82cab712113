"""What the reservations app registers at start-up for the apps below it, which never import
it: the availability cache hears of restaurant changes, and restaurants' guard and customers'
guest history are answered from reservations' own queries."""

from datetime import timedelta

import pytest

from core.clock import now
from core.events import subscribers
from customers.hooks import GuestHistory, guest_history
from reservations import availability, selectors
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.events import RestaurantSetupChanged
from restaurants.hooks import ReservationGuard, reservation_guard

pytestmark = pytest.mark.django_db


def test_availability_subscribes_to_restaurant_setup_changes_at_start_up():
    assert availability.availability_on_setup_changed in subscribers(RestaurantSetupChanged)


def test_restaurants_guard_is_answered_at_start_up():
    assert reservation_guard.get() == ReservationGuard(
        reservations_ahead=selectors.reservations_ahead_count,
        table_has_reservations_ahead=selectors.table_has_reservations_ahead,
    )


def test_customers_guest_history_is_answered_at_start_up():
    assert guest_history.get() == GuestHistory(
        guests_with_reservations_at=selectors.guests_with_reservations_at,
        guests_who_booked_at=selectors.guests_who_booked_at,
        visit_count=selectors.guest_visit_count,
        no_show_count=selectors.guest_no_show_count,
    )


def test_reservations_ahead_are_the_active_ones_not_over_yet(table, guest):
    restaurant = table.restaurant
    soon = now() + timedelta(hours=2)
    for hours, status in enumerate(
        ("pending", "confirmed", "cancelled", "completed", "no_show", "expired")
    ):
        start_at = soon + timedelta(hours=2 * hours)
        expires_at = start_at if status == "pending" else None
        ReservationFactory(
            table=table, customer=guest, start_at=start_at, status=status, expires_at=expires_at
        )
    ReservationFactory(
        table=table, customer=guest, start_at=now() - timedelta(minutes=30), status="seated"
    )
    ReservationFactory(
        table=table, customer=guest, start_at=now() - timedelta(days=1), status="confirmed"
    )
    assert selectors.reservations_ahead_count(restaurant) == 3
    assert selectors.table_has_reservations_ahead(table)
    Reservation.objects.filter(status__in=("pending", "confirmed", "seated")).update(
        status="cancelled"
    )
    assert selectors.reservations_ahead_count(restaurant) == 0
    assert not selectors.table_has_reservations_ahead(table)
