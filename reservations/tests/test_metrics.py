"""What bookings move in /metrics: reservaflow_bookings by outcome (201, 409, 423, 429), the
lock waits behind them, and the holds the sweep expires."""

from datetime import time, timedelta

import pytest
from django.test import Client

from core import locking
from core.tests.scrape import TOKEN, scrape
from reservations.services import table_guard
from reservations.tasks import expire_lapsed_holds
from reservations.tests.factories import NOW, SEED_DATE

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
BOOKINGS = "reservaflow_bookings_total"


@pytest.fixture
def metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    return Client()


def moved(before, after, name, **labels) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


def test_a_booking_counts_201_and_its_request(
    metrics, api_client, staff_user, seed_body, clock, table
):
    before = scrape(metrics)
    api_client.force_authenticate(staff_user)
    assert api_client.post(URL, seed_body, format="json").status_code == 201
    after = scrape(metrics)
    assert moved(before, after, BOOKINGS, outcome="201", channel="api") == 1
    for outcome in ("409", "423", "429"):
        assert moved(before, after, BOOKINGS, outcome=outcome, channel="api") == 0
    request = {"view": "reservation-list", "method": "POST", "status": "201"}
    assert moved(before, after, "reservaflow_http_requests_total", **request) == 1


def test_a_taken_slot_counts_409(metrics, api_client, staff_user, seed_body, clock):
    api_client.force_authenticate(staff_user)
    assert api_client.post(URL, seed_body, format="json").status_code == 201
    before = scrape(metrics)
    taken = api_client.post(URL, {**seed_body, "reservation_time": "19:30"}, format="json")
    assert taken.status_code == 409
    after = scrape(metrics)
    assert moved(before, after, BOOKINGS, outcome="409", channel="api") == 1
    assert moved(before, after, BOOKINGS, outcome="201", channel="api") == 0


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_a_held_lock_counts_423_and_a_refused_lock_wait(
    metrics, api_client, staff_user, seed_body, clock, table
):
    api_client.force_authenticate(staff_user)
    before = scrape(metrics)
    with locking.redis_lock(table_guard.lock_name(table.pk, SEED_DATE)):
        assert api_client.post(URL, seed_body, format="json").status_code == 423
    after = scrape(metrics)
    assert moved(before, after, BOOKINGS, outcome="423", channel="api") == 1
    assert moved(before, after, BOOKINGS, outcome="201", channel="api") == 0
    waits = "reservaflow_lock_wait_seconds_count"
    assert moved(before, after, waits, result="refused") == 1
    # The refused wait lasted the lock's whole wait, 0.2 s.
    spent = moved(before, after, "reservaflow_lock_wait_seconds_sum", result="refused")
    assert 0.15 <= spent < 2
    assert moved(before, after, waits, result="acquired") == 1  # the test's own lock


def test_a_guest_over_the_hold_limit_counts_429(
    metrics, api_client, guest_user, seed_body, clock, settings, table
):
    settings.HOLD_LIMIT_PER_RESTAURANT = 1
    api_client.force_authenticate(guest_user)
    own = {k: v for k, v in seed_body.items() if k != "customer_id"}
    assert api_client.post(URL, own, format="json").status_code == 201
    before = scrape(metrics)
    refused = api_client.post(URL, {**own, "reservation_time": "21:00"}, format="json")
    assert refused.status_code == 429, refused.json()
    after = scrape(metrics)
    assert moved(before, after, BOOKINGS, outcome="429", channel="api") == 1


def test_holds_the_sweep_expires_are_counted(metrics, book, clock):
    book(reservation_time=time(19, 0))
    book(reservation_time=time(21, 0))
    clock.move_to(NOW + timedelta(minutes=16))
    before = scrape(metrics)
    assert expire_lapsed_holds() == 2
    assert expire_lapsed_holds() == 0
    after = scrape(metrics)
    assert moved(before, after, "reservaflow_holds_expired_by_sweep_total") == 2
