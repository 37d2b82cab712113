"""Demo data for a first run: one restaurant, its hours, ten tables and an admin account."""

import secrets
from dataclasses import dataclass
from datetime import time

from django.db import transaction

from accounts.models import User
from restaurants import services
from restaurants.models import Restaurant

DEMO_ADMIN_EMAIL = "admin@reservaflow.local"
DEMO_TABLES = [(2, 2), (2, 2), (2, 2), (4, 2), (4, 2), (4, 3), (6, 4), (6, 4), (8, 5), (8, 6)]


@dataclass(frozen=True)
class DemoData:
    restaurant: Restaurant
    table_count: int
    admin_email: str
    admin_password: str


@transaction.atomic
def demo_create_if_empty() -> DemoData | None:
    """On an empty database (no restaurant, no user) create the demo; otherwise do nothing."""
    if Restaurant.objects.exists() or User.objects.exists():
        return None
    restaurant = services.restaurant_create(
        name="Casa Demo",
        slug="casa-demo",
        timezone="Europe/Madrid",
        address="Calle Mayor 1, 28013 Madrid",
        phone="+34911000000",
        email="hola@casademo.example",
    )
    for weekday in range(7):
        if weekday < 5:
            services.opening_hours_create(
                restaurant=restaurant,
                weekday=weekday,
                opens_at=time(13, 0),
                closes_at=time(16, 0),
                name="lunch",
            )
        services.opening_hours_create(
            restaurant=restaurant,
            weekday=weekday,
            opens_at=time(20, 0),
            # Friday and Saturday dinner runs past midnight.
            closes_at=time(1, 0) if weekday in (4, 5) else time(23, 30),
            name="dinner",
        )
    for rule in ((1, 2, 90), (3, 4, 120), (5, None, 150)):
        services.duration_rule_create(
            restaurant=restaurant, min_party=rule[0], max_party=rule[1], duration_minutes=rule[2]
        )
    areas = ["indoor", "indoor", "outdoor", "indoor", "outdoor", "bar", "indoor", "outdoor"]
    for n, (capacity, min_capacity) in enumerate(DEMO_TABLES, start=1):
        services.table_create(
            restaurant=restaurant,
            number=str(n),
            capacity=capacity,
            min_capacity=min_capacity,
            area=areas[(n - 1) % len(areas)] if n < 10 else "private",
        )
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(email=DEMO_ADMIN_EMAIL, password=password)
    return DemoData(restaurant, len(DEMO_TABLES), DEMO_ADMIN_EMAIL, password)
