"""Registration per client address (customers.services.user_register): every attempt counts,
successful or not; over the limit it is 429 ``throttled`` with Retry-After and nothing is
written; other addresses are counted apart; a cache that does not answer lets it through."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache.backends.redis import RedisCache

from accounts.models import User
from core import throttling
from customers.models import Customer
from customers.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
ADDRESS = "203.0.113.7"
# On an hour's boundary, so the window of 3600 s starts here.
START = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def still():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def register(client, n, address=ADDRESS, password=DEFAULT_PASSWORD):
    return client.post(
        REGISTER,
        {
            "email": f"guest{n}@example.com",
            "password": password,
            "first_name": "Guest",
            "last_name": str(n),
        },
        format="json",
        REMOTE_ADDR=address,
    )


def test_the_sixth_registration_from_an_address_in_an_hour_is_429(still, api_client):
    for n in range(4):
        assert register(api_client, n).status_code == 201
    # A refused attempt counts too (it also probes which addresses have accounts).
    assert register(api_client, 0).status_code == 400
    still.shift(timedelta(minutes=20))

    response = register(api_client, 99)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert response.headers["Retry-After"] == str(40 * 60)
    assert body["details"] == {"retry_after": 2400, "limit": 5, "window_seconds": 3600}
    assert not User.objects.filter(email="guest99@example.com").exists()
    assert Customer.objects.count() == User.objects.count() == 4

    # Another address registers; the next hour starts afresh.
    assert register(api_client, 99, address="198.51.100.1").status_code == 201
    still.shift(timedelta(minutes=40))
    assert register(api_client, 100).status_code == 201


def test_the_limit_and_window_are_settings(still, api_client, settings):
    settings.REGISTRATIONS_PER_ADDRESS = 1
    settings.REGISTRATIONS_WINDOW_SECONDS = 60
    assert register(api_client, 1).status_code == 201
    refused = register(api_client, 2)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    still.shift(timedelta(seconds=60))
    assert register(api_client, 2).status_code == 201


def test_without_redis_registration_goes_on(still, api_client, monkeypatch, caplog):
    down = RedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
    )
    monkeypatch.setattr(throttling.AttemptLimit, "cache", down)
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        for n in range(7):
            assert register(api_client, n).status_code == 201
    assert User.objects.count() == 7
    assert "Attempt limit register skipped: cache unavailable" in caplog.text
