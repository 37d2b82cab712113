"""Redis down for everything it does (locks, cache, broker): bookings still succeed, no 500,
the outbox keeps the email for the relay, and availability answers from the database."""

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from core import locking
from notifications.models import Notification
from reservations import availability
from reservations.tests.factories import SEED_DATE

CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down():
    from config.celery import app

    original_url, original_pool = app.conf.broker_url, app._pool
    app.conf.broker_url = CLOSED
    app._pool = None
    app.conf.broker_transport_options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool = original_url, original_pool


@pytest.fixture
def cache_down(monkeypatch):
    down = RedisCache(CLOSED, {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}})
    monkeypatch.setattr(availability, "cache", down)


@pytest.fixture
def lock_down(monkeypatch):
    client = redis.Redis.from_url(CLOSED, socket_connect_timeout=0.1, socket_timeout=0.1)
    monkeypatch.setattr(locking, "redis_client", lambda: client)


def body(restaurant, guest, table, time="19:00"):
    return {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": SEED_DATE.isoformat(),
        "reservation_time": time,
        "party_size": 2,
    }


@pytest.mark.django_db
def test_everything_redis_down_books_and_keeps_the_email_for_the_relay(
    api_client,
    restaurant,
    table,
    staff_user,
    guest,
    clock,
    broker_down,
    cache_down,
    lock_down,
    django_capture_on_commit_callbacks,
):
    api_client.force_authenticate(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/reservations/", body(restaurant, guest, table))
    assert response.status_code == 201, response.json()
    notification = Notification.objects.get(reservation_id=response.json()["id"])
    assert notification.status == "pending"  # the relay hands it out once the broker is back

    # The same slot again: a clean 409 from the database guard, no 500.
    with django_capture_on_commit_callbacks(execute=True):
        again = api_client.post("/api/reservations/", body(restaurant, guest, table))
    assert again.status_code == 409 and again.json()["code"] == "slot_unavailable"

    # Availability answers from the database and already leaves the table out.
    answer = api_client.get(
        f"/api/restaurants/{restaurant.pk}/availability/",
        {"date": SEED_DATE.isoformat(), "party_size": 2},
    )
    assert answer.status_code == 200
    assert all(s["time"] != "19:00" for s in answer.json()["slots"])


@pytest.mark.django_db
def test_broker_down_alone_still_bumps_the_availability_cache(
    api_client,
    restaurant,
    table,
    staff_user,
    guest,
    clock,
    broker_down,
    django_capture_on_commit_callbacks,
):
    url = f"/api/restaurants/{restaurant.pk}/availability/"
    params = {"date": SEED_DATE.isoformat(), "party_size": 2}
    before = api_client.get(url, params).json()
    assert any(s["time"] == "19:00" for s in before["slots"])
    api_client.force_authenticate(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post("/api/reservations/", body(restaurant, guest, table))
    assert created.status_code == 201
    after = api_client.get(url, params).json()
    assert all(s["time"] != "19:00" for s in after["slots"])
