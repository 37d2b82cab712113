"""Bookings from the host stand count in /metrics under their own channel: ``host``, for its
phone bookings and walk-ins (they go through the API's callers, which count ``api``)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from core.tests.scrape import TOKEN, scrape
from reservations.models import Reservation
from web.tests.test_host_bookings import DINNER, NOW, _book, _walk_in

pytestmark = pytest.mark.django_db
BOOKINGS = "reservaflow_bookings_total"


@pytest.fixture
def metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    return Client()


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


def moved(before, after, **labels) -> float:
    return after.value(BOOKINGS, **labels) - before.value(BOOKINGS, **labels)


def test_a_phone_booking_counts_as_the_host_stands(host, metrics, restaurant):
    with time_machine.travel(NOW, tick=False):
        before = scrape(metrics)
        response = _book(host, first_name="Marta", last_name="Vidal", phone="+34 600 111 222")
        after = scrape(metrics)
    assert response.status_code == 302 and Reservation.objects.count() == 1
    assert moved(before, after, outcome="201", channel="host") == 1
    assert moved(before, after, outcome="201", channel="api") == 0


def test_a_refused_phone_booking_counts_its_status_as_the_host_stands(host, metrics, restaurant):
    with time_machine.travel(NOW, tick=False):
        before = scrape(metrics)
        # 04:00 is outside the opening hours: refused 400 by the core.
        response = _book(host, time="04:00", first_name="Marta", phone="+34 600 111 222")
        after = scrape(metrics)
    assert response.status_code == 400
    assert moved(before, after, outcome="400", channel="host") == 1
    assert moved(before, after, outcome="400", channel="api") == 0


def test_a_walk_in_counts_as_the_host_stands(host, metrics, restaurant):
    with time_machine.travel(DINNER, tick=False):
        before = scrape(metrics)
        assert _walk_in(host, guest_name="Ruiz").status_code == 302
        after = scrape(metrics)
    assert moved(before, after, outcome="201", channel="host") == 1
    assert moved(before, after, outcome="201", channel="api") == 0


def test_a_walk_in_through_the_api_counts_as_the_apis(api_client, staff, metrics, restaurant):
    api_client.force_authenticate(staff["host"])
    with time_machine.travel(DINNER.astimezone(UTC), tick=False):
        before = scrape(metrics)
        response = api_client.post(
            f"/api/restaurants/{restaurant.pk}/walk-ins/", {"party_size": 2}, format="json"
        )
        after = scrape(metrics)
    assert response.status_code == 201, response.content
    assert moved(before, after, outcome="201", channel="api") == 1
    assert moved(before, after, outcome="201", channel="host") == 0


def test_an_admin_booking_counts_as_the_admins(client, staff, metrics, restaurant):
    client.force_login(staff["manager"])
    with time_machine.travel(datetime(2025, 8, 28, 8, 0, tzinfo=UTC), tick=False):
        before = scrape(metrics)
        response = client.post(
            "/admin/reservations/reservation/add/",
            {
                "restaurant": str(restaurant.pk),
                "reservation_date": "2025-08-29",
                "reservation_time": "21:00",
                "party_size": "2",
                "source": "phone",
                "first_name": "Lola",
                "last_name": "Vega",
                "email": "lola@example.com",
                "phone": "",
                "notes": "",
                "allergies": "",
            },
        )
        after = scrape(metrics)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert moved(before, after, outcome="201", channel="admin") == 1
    assert moved(before, after, outcome="201", channel="api") == 0
