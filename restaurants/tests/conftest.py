"""The cast of the restaurants tests: a restaurant R with a manager and a host, another
restaurant, a plain guest account and a superuser; and a way to put reservations on a table."""

from datetime import datetime, timedelta

import pytest

from core.clock import now
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.models import Reservation
from restaurants.models import StaffMembership, Table
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory


@pytest.fixture
def restaurant():
    return RestaurantFactory(name="Casa Uno", slug="casa-uno")


@pytest.fixture
def other_restaurant():
    return RestaurantFactory(name="Casa Dos", slug="casa-dos")


@pytest.fixture
def manager(restaurant):
    return StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user


@pytest.fixture
def host(restaurant):
    return StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user


@pytest.fixture
def guest():
    user = UserFactory()
    CustomerFactory(user=user, email=user.email)
    return user


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def book_table():
    """Put a reservation on a table: ``book_table(table, start_at=..., status=...)``."""

    def book(table: Table, *, start_at: datetime | None = None, status: str = "confirmed"):
        start_at = start_at or now() + timedelta(days=1)
        local = start_at.astimezone(table.restaurant.tz)
        return Reservation.objects.create(
            restaurant=table.restaurant,
            table=table,
            customer=CustomerFactory(),
            party_size=2,
            reservation_date=local.date(),
            reservation_time=local.time(),
            start_at=start_at,
            end_at=start_at + timedelta(minutes=90),
            status=status,
            expires_at=start_at if status == Reservation.Status.PENDING else None,
        )

    return book


@pytest.fixture
def as_manager(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client


@pytest.fixture
def as_superuser(api_client, superuser):
    api_client.force_authenticate(superuser)
    return api_client
