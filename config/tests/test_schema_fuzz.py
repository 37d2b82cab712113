"""The OpenAPI schema tells the truth: schemathesis fuzzes every operation in-process (the WSGI
app) as anonymous, customer, host and superuser, and every answer must be documented."""

import os
import zlib
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.callers import reservation_create
from reservations.tests.factories import open_every_day
from restaurants.combinations import table_combination_create
from restaurants.models import StaffMembership
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)

# Generated cases per operation and role: about 2 minutes of one core for the whole run.
# SCHEMA_FUZZ_EXAMPLES=200 digs deeper locally.
MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "10"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(max_examples=MAX_EXAMPLES)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ["anonymous", "customer", "host", "superuser"]


@pytest.fixture
def world(db):
    # The WSGI handler closes the connection after each request; inside the test's
    # transaction that would lose the data (Django's test client disconnects it the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        restaurant = RestaurantFactory(min_notice_minutes=0, max_days_ahead=90)
        open_every_day(restaurant)
        table = TableFactory(restaurant=restaurant, capacity=4)
        second_table = TableFactory(restaurant=restaurant, capacity=6)
        combination = table_combination_create(
            restaurant=restaurant, table_ids=[table.pk, second_table.pk]
        )
        closure = ClosureFactory(
            restaurant=restaurant, starts_on=timezone.localdate() + timedelta(days=60)
        )
        rule = DurationRuleFactory(restaurant=restaurant)
        manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER)
        host = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST)
        customer_user = UserFactory()
        customer = CustomerFactory(user=customer_user, email=customer_user.email)
        superuser = UserFactory(is_staff=True, is_superuser=True)
        local = timezone.localtime(timezone.now() + timedelta(days=3), restaurant.tz)
        reservation = reservation_create(
            user=customer_user,
            restaurant_id=restaurant.pk,
            reservation_date=local.date(),
            reservation_time=local.time().replace(hour=20, minute=0, second=0, microsecond=0),
            party_size=2,
        )
        yield {
            "users": {
                "anonymous": None,
                "customer": customer_user,
                "host": host.user,
                "superuser": superuser,
            },
            "ids": {
                "restaurant_id": restaurant.pk,
                "table_id": table.pk,
                "combination_id": combination.pk,
                "opening_hours_id": restaurant.opening_hours.first().pk,
                "closure_id": closure.pk,
                "duration_rule_id": rule.pk,
                "membership_id": manager.pk,
                "id": customer.pk,
                "reservation_id": str(reservation.pk),
                "token": reservation.manage_token,
            },
        }
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow  # minutes of one core: once, in the PostgreSQL run
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_documented(case, role, world):
    user = world["users"][role]
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {AccessToken.for_user(user)}"
    if case.path_parameters:
        for name, value in list(case.path_parameters.items()):
            # Half of the cases address the existing objects, so they get past 404.
            if name in world["ids"] and zlib.crc32(str(value).encode()) % 2 == 0:
                case.path_parameters[name] = world["ids"][name]
    case.call_and_validate(headers=headers, checks=CHECKS)
