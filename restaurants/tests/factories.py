from datetime import time

import factory

from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
)


class RestaurantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Restaurant

    name = factory.Sequence(lambda n: f"Restaurant {n}")
    slug = factory.Sequence(lambda n: f"restaurant-{n}")
    timezone = "Europe/Madrid"
    address = "Calle Mayor 1, Madrid"


class TableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Table

    restaurant = factory.SubFactory(RestaurantFactory)
    number = factory.Sequence(lambda n: f"T{n}")
    capacity = 4
    min_capacity = 1
    area = "indoor"


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    restaurant = factory.SubFactory(RestaurantFactory)
    weekday = 0
    opens_at = time(12, 0)
    closes_at = time(23, 0)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    restaurant = factory.SubFactory(RestaurantFactory)
    starts_on = factory.Faker("future_date")
    ends_on = factory.SelfAttribute("starts_on")


class DurationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DurationRule

    restaurant = factory.SubFactory(RestaurantFactory)
    min_party = 1
    max_party = 2
    duration_minutes = 90


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    restaurant = factory.SubFactory(RestaurantFactory)
    user = factory.SubFactory("customers.tests.factories.UserFactory")
    role = StaffMembership.Role.HOST
