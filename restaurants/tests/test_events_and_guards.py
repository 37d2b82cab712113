"""Restaurants reaches the apps above it only through core.events and core.hooks: every
change of what a booking stands on is published, and the refusals that depend on
reservations ask the guard the reservations app registered."""

from datetime import time, timedelta

import pytest

from core import events
from core.clock import now
from core.errors import Conflict
from customers.tests.factories import UserFactory
from restaurants import services
from restaurants.events import RestaurantSetupChanged
from restaurants.hooks import ReservationGuard, reservation_guard
from restaurants.models import Table
from restaurants.tests.factories import RestaurantFactory, TableFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The RestaurantSetupChanged events published during the test (the start-up subscribers
    still run first)."""
    seen = []
    subscribers = {
        event_type: list(handlers) for event_type, handlers in events._subscribers.items()
    }
    monkeypatch.setattr(events, "_subscribers", subscribers)
    events.subscribe(RestaurantSetupChanged, seen.append)
    return seen


def test_every_change_of_the_booking_setup_is_published(published):
    restaurant = services.restaurant_create(name="Casa", timezone="Europe/Madrid")
    services.restaurant_update(restaurant=restaurant, data={"max_party_size": 8})
    table = services.table_create(restaurant=restaurant, number="1", capacity=4)
    services.table_update(table=table, data={"capacity": 6})
    services.table_delete(table=table)
    period = services.opening_hours_create(
        restaurant=restaurant, weekday=0, opens_at=time(12), closes_at=time(16)
    )
    services.opening_hours_update(period=period, data={"closes_at": time(17)})
    services.opening_hours_delete(period=period)
    closure = services.closure_create(
        restaurant=restaurant, starts_on="2030-01-01", ends_on="2030-01-02"
    )
    services.closure_update(closure=closure, data={"reason": "Holidays"})
    services.closure_delete(closure=closure)
    rule = services.duration_rule_create(restaurant=restaurant, min_party=1, duration_minutes=60)
    services.duration_rule_update(rule=rule, data={"duration_minutes": 75})
    services.duration_rule_delete(rule=rule)
    assert published == [RestaurantSetupChanged(restaurant_id=restaurant.pk)] * 14


def test_staff_changes_are_not_part_of_the_booking_setup(published):
    restaurant = RestaurantFactory()
    membership = services.membership_create(restaurant=restaurant, user=UserFactory(), role="host")
    services.membership_update(membership=membership, role="manager")
    services.membership_delete(membership=membership)
    assert published == []


def test_a_table_kept_for_its_history_is_published_as_changed(book_table, published):
    table = TableFactory()
    book_table(table=table, start_at=now() - timedelta(days=2), status="completed")
    assert services.table_delete(table=table) is not None
    assert published == [RestaurantSetupChanged(restaurant_id=table.restaurant_id)]


@pytest.fixture
def guard(monkeypatch):
    """Replace the registered guard's answers for one test."""
    answers = {"ahead": 0}
    monkeypatch.setattr(
        reservation_guard,
        "_answer",
        ReservationGuard(
            reservations_ahead=lambda restaurant: answers["ahead"],
            table_has_reservations_ahead=lambda table: answers["ahead"] > 0,
        ),
    )
    return answers


def test_deleting_a_table_asks_the_guard(guard):
    table = TableFactory()
    guard["ahead"] = 1
    with pytest.raises(Conflict) as caught:
        services.table_delete(table=table)
    assert caught.value.code == "table_has_reservations"
    guard["ahead"] = 0
    assert services.table_delete(table=table) is None
    assert not Table.objects.filter(pk=table.pk).exists()


def test_changing_the_time_zone_asks_the_guard(guard):
    restaurant = RestaurantFactory(timezone="Europe/Madrid")
    guard["ahead"] = 3
    with pytest.raises(Conflict) as caught:
        services.restaurant_update(restaurant=restaurant, data={"timezone": "Europe/Lisbon"})
    assert caught.value.code == "timezone_has_reservations"
    assert caught.value.details == {
        "timezone": ["3 pending, confirmed or seated reservation(s) ahead."]
    }
    guard["ahead"] = 0
    restaurant.refresh_from_db()
    assert restaurant.timezone == "Europe/Madrid"
    services.restaurant_update(restaurant=restaurant, data={"timezone": "Europe/Lisbon"})
    restaurant.refresh_from_db()
    assert restaurant.timezone == "Europe/Lisbon"
