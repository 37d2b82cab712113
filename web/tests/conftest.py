"""The guest pages' test restaurant: Madrid, lunch and dinner, one table."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from restaurants.tests.factories import (
    ClosureFactory,
    OpeningHoursFactory,
    RestaurantFactory,
    TableFactory,
)


def madrid(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo("Europe/Madrid"))


@pytest.fixture
def restaurant():
    """Lunch 13:00-16:00 and dinner 20:00-23:30 every day but Monday, 30-minute starts,
    90-minute stays, one table of four, bookable 30 days ahead, closed on 2025-09-03."""
    restaurant = RestaurantFactory(
        slug="casa",
        timezone="Europe/Madrid",
        slot_interval_minutes=30,
        default_duration_minutes=90,
        min_notice_minutes=60,
        max_days_ahead=30,
    )
    for weekday in range(1, 7):
        OpeningHoursFactory(
            restaurant=restaurant,
            weekday=weekday,
            opens_at=time(13),
            closes_at=time(16),
            name="lunch",
        )
        OpeningHoursFactory(
            restaurant=restaurant,
            weekday=weekday,
            opens_at=time(20),
            closes_at=time(23, 30),
            name="dinner",
        )
    ClosureFactory(restaurant=restaurant, starts_on=date(2025, 9, 3), ends_on=date(2025, 9, 3))
    TableFactory(restaurant=restaurant, number="1", capacity=4, min_capacity=1)
    return restaurant


# --- the host stand's people (web/tests/test_host_*.py) -------------------------------------

HOST_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def staff(restaurant):
    """Everyone of the host stand's permission table: the host and the manager of
    ``restaurant`` (R), the host of another restaurant (S), a superuser and a guest account."""
    from customers.tests.factories import CustomerFactory, UserFactory
    from restaurants.models import StaffMembership

    other = RestaurantFactory(name="Otra Casa", slug="otra", timezone="Europe/Madrid")
    TableFactory(restaurant=other, number="S1", capacity=4)
    people = {
        "host": UserFactory(email="host@casa.example"),
        "manager": UserFactory(email="manager@casa.example"),
        "other_host": UserFactory(email="host@otra.example"),
        "superuser": UserFactory(email="root@example.com", is_superuser=True, is_staff=True),
        "guest": UserFactory(email="guest@example.com"),
    }
    CustomerFactory(user=people["guest"], email="guest@example.com")
    StaffMembership.objects.create(
        user=people["host"], restaurant=restaurant, role=StaffMembership.Role.HOST
    )
    StaffMembership.objects.create(
        user=people["manager"], restaurant=restaurant, role=StaffMembership.Role.MANAGER
    )
    StaffMembership.objects.create(
        user=people["other_host"], restaurant=other, role=StaffMembership.Role.HOST
    )
    people["other_restaurant"] = other
    return people
