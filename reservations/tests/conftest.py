"""Fixtures for the booking tests: a Madrid restaurant open every day 12:00-23:30 with
15-minute slots, 90-minute stays, 60 minutes' notice and 15-minute holds; the clock at
Thursday 2025-08-28 10:00 UTC (12:00 in Madrid), so the seed's Saturday 2025-08-30 19:00 is
bookable."""

import pytest
import time_machine

from customers.tests.factories import CustomerFactory, UserFactory
from reservations.actors import Actor
from reservations.callers import reservation_create
from reservations.tests.factories import NOW, SEED_DATE, SEED_TIME, open_every_day
from restaurants.models import StaffMembership
from restaurants.tests.factories import (
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)


@pytest.fixture
def clock():
    """The clock at NOW, still ticking (so rows written one after another differ in time);
    tests move it with ``clock.move_to(...)``."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def still(db):
    """The clock stopped at NOW (so Retry-After values and expiries are exact); tests move it
    with ``still.move_to(...)``."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def restaurant(db):
    restaurant = RestaurantFactory(
        timezone="Europe/Madrid",
        slot_interval_minutes=15,
        default_duration_minutes=90,
        min_party_size=1,
        max_party_size=12,
        min_notice_minutes=60,
        max_days_ahead=90,
        hold_minutes=15,
    )
    open_every_day(restaurant)
    return restaurant


@pytest.fixture
def table(restaurant):
    return TableFactory(restaurant=restaurant, number="1", capacity=4, min_capacity=1)


@pytest.fixture
def staff_user(restaurant):
    return StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user


@pytest.fixture
def guest_user(restaurant):
    """A guest with an account, known to the restaurant (so its staff may book them by id)."""
    user = UserFactory()
    CustomerFactory(
        user=user, email=user.email, first_name=user.first_name, created_by_restaurant=restaurant
    )
    return user


@pytest.fixture
def guest(guest_user):
    return guest_user.customer


@pytest.fixture
def host_actor(staff_user, restaurant):
    """``staff_user`` as the services see them: the restaurant's host."""
    return Actor.host(staff_user, restaurant.pk)


@pytest.fixture
def guest_actor(guest_user):
    """``guest_user`` as the services see them: a guest with an account."""
    return Actor.guest(guest_user)


@pytest.fixture
def other_guest(restaurant):
    """A guest without an account whose profile the restaurant's staff made."""
    return CustomerFactory(created_by_restaurant=restaurant)


@pytest.fixture
def book(restaurant, table, staff_user, guest, clock):
    """Book as a signed-in user (reservations.callers) with the seed's values, any of them
    overridden. By default the restaurant's staff books for ``guest`` on ``table``."""

    def make(**overrides):
        values = {
            "user": staff_user,
            "restaurant_id": restaurant.pk,
            "customer_id": guest.pk,
            "table_id": table.pk,
            "reservation_date": SEED_DATE,
            "reservation_time": SEED_TIME,
            "party_size": 2,
        }
        values.update(overrides)
        return reservation_create(**values)

    return make


@pytest.fixture
def seed_body(restaurant, table, guest):
    """The seed's booking of the restaurant's table for the staff-known guest, as API JSON."""
    return {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": "2025-08-30",
        "reservation_time": "19:00:00",
        "party_size": 2,
    }
