"""Fixtures for the customers tests: two restaurants with their staff and guests, so every
scope test can show both what a caller sees and what it must not."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from customers.models import Customer, GuestRecord
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.tests.factories import ReservationFactory
from restaurants.models import Restaurant, StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory


@dataclass
class World:
    r: Restaurant  # the caller's restaurant in the scope tests
    other: Restaurant  # someone else's
    host: User  # host of r
    manager: User  # manager of r
    other_host: User  # host of other
    superuser: User
    guest_user: User  # a plain customer with an account
    guest: Customer  # guest_user's account profile; no reservation anywhere
    booked_at_r: Customer  # local, kept by no restaurant, reservation at r; r's notes
    created_by_r: Customer  # local profile r keeps, no reservation; r's notes
    booked_at_other: Customer  # local, kept by none, reservation at other only; its notes
    created_by_other: Customer


@pytest.fixture
def world(db) -> World:
    r, other = RestaurantFactory(), RestaurantFactory()
    host = StaffMembershipFactory(restaurant=r, role=StaffMembership.Role.HOST).user
    manager = StaffMembershipFactory(restaurant=r, role=StaffMembership.Role.MANAGER).user
    other_host = StaffMembershipFactory(restaurant=other, role=StaffMembership.Role.HOST).user
    superuser = UserFactory(is_superuser=True, is_staff=True)
    guest_user = UserFactory()
    guest = CustomerFactory(user=guest_user, email=guest_user.email)
    # A local profile no restaurant keeps (made in the admin), booked at r.
    booked_at_r = CustomerFactory()
    ReservationFactory(past=True, customer=booked_at_r, table__restaurant=r)
    GuestRecord.objects.create(restaurant=r, customer=booked_at_r, notes="Prefers the window.")
    created_by_r = CustomerFactory(created_by_restaurant=r)
    GuestRecord.objects.create(restaurant=r, customer=created_by_r, notes="Called twice.")
    booked_at_other = CustomerFactory()
    ReservationFactory(past=True, customer=booked_at_other, table__restaurant=other)
    GuestRecord.objects.create(
        restaurant=other, customer=booked_at_other, notes="VIP at the other place."
    )
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
