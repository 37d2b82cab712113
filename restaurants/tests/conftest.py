"""The cast of the restaurants tests: a restaurant R with a manager and a host, another
restaurant, a plain guest account and a superuser; and a way to put reservations on a table."""

import pytest

from customers.tests.factories import CustomerFactory, UserFactory
from reservations.tests.factories import ReservationFactory
from restaurants.models import StaffMembership
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
    """Put a reservation on a table: ``book_table(table=table, start_at=..., status=...)``."""
    return ReservationFactory


@pytest.fixture
def as_manager(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client


@pytest.fixture
def as_superuser(api_client, superuser):
    api_client.force_authenticate(superuser)
    return api_client
