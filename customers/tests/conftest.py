"""Fixtures for the customers tests: two restaurants with their staff and guests, so every
scope test can show both what a caller sees and what it must not."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from customers.models import Customer, User
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.models import Reservation
from restaurants.models import Restaurant, StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory


def make_reservation(
    *, customer: Customer, restaurant: Restaurant, status: str = "completed", days_ago: int = 1
) -> Reservation:
    """A past reservation of ``customer`` at ``restaurant`` (each on its own table, so the
    overlap constraint never interferes)."""
    start = datetime(2024, 6, 1, 19, 0, tzinfo=UTC) - timedelta(days=days_ago)
    return Reservation.objects.create(
        restaurant=restaurant,
        table=TableFactory(restaurant=restaurant),
        customer=customer,
        party_size=2,
        reservation_date=start.date(),
        reservation_time=start.time(),
        start_at=start,
        end_at=start + timedelta(minutes=90),
        status=status,
    )


@dataclass
class World:
    r: Restaurant  # the caller's restaurant in the scope tests
    other: Restaurant  # someone else's
    host: User  # host of r
    manager: User  # manager of r
    other_host: User  # host of other
    superuser: User
    guest_user: User  # a plain customer with an account
    guest: Customer  # guest_user's profile; no reservation anywhere
    booked_at_r: Customer  # reservation at r
    created_by_r: Customer  # staff of r created it, no reservation
    booked_at_other: Customer  # reservation at other only
    created_by_other: Customer


@pytest.fixture
def world(db) -> World:
    r, other = RestaurantFactory(), RestaurantFactory()
    host = StaffMembershipFactory(restaurant=r, role=StaffMembership.Role.HOST).user
    manager = StaffMembershipFactory(restaurant=r, role=StaffMembership.Role.MANAGER).user
    other_host = StaffMembershipFactory(restaurant=other, role=StaffMembership.Role.HOST).user
    superuser = UserFactory(is_superuser=True, is_staff=True)
    guest_user = UserFactory()
    guest = CustomerFactory(user=guest_user, email=guest_user.email, notes="Tips badly.")
    booked_at_r = CustomerFactory(notes="Prefers the window.")
    make_reservation(customer=booked_at_r, restaurant=r)
    created_by_r = CustomerFactory(created_by_restaurant=r, notes="Called twice.")
    booked_at_other = CustomerFactory(notes="VIP at the other place.")
    make_reservation(customer=booked_at_other, restaurant=other)
    created_by_other = CustomerFactory(created_by_restaurant=other)
    return World(
        r=r,
        other=other,
        host=host,
        manager=manager,
        other_host=other_host,
        superuser=superuser,
        guest_user=guest_user,
        guest=guest,
        booked_at_r=booked_at_r,
        created_by_r=created_by_r,
        booked_at_other=booked_at_other,
        created_by_other=created_by_other,
    )
