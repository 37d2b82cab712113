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
