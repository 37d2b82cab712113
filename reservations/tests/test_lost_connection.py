"""A database connection that breaks inside the booking transaction (issue 11, item 6): the
request answers 503 ``service_unavailable`` with Retry-After, logged as a warning, nothing of it
is left in the database, and the next request works on a fresh connection.

The break is real: a second connection runs ``pg_terminate_backend`` on the request's own
backend from a hook inside the transaction, after the reservation row is inserted and before
its outbox row is."""

import logging

import psycopg
import pytest
from django.db import connection
from django.test import Client

from notifications.models import Notification
from reservations.models import Reservation
from reservations.services import booking, transitions

pytestmark = pytest.mark.django_db(transaction=True)


def terminate_own_backend():
    """Kill the PostgreSQL backend of Django's connection and wait until it is gone."""
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"],
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        (terminated,) = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()
    assert terminated


@pytest.fixture
def seed_body(restaurant, table, guest):
    return {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": "2025-08-30",
        "reservation_time": "19:00:00",
        "party_size": 2,
    }


@pytest.fixture
def kill_inside(monkeypatch):
    """``kill_inside(module)``: the next ``after_change`` that ``module`` calls (inside its
    transaction, right after the write) first terminates the connection's backend."""
    calls = []

    def arm(module):
        original = module.after_change

        def after_change(reservation, kind, **kwargs):
            if not calls:
                calls.append(kind)
                terminate_own_backend()
            return original(reservation, kind, **kwargs)

        monkeypatch.setattr(module, "after_change", after_change)
        return calls

    return arm


def warnings_and_errors(caplog):
    records = caplog.get_records("call")
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    lost = [r for r in records if r.levelno == logging.WARNING and "connection lost" in r.msg]
    return lost, errors


def test_a_booking_whose_connection_dies_is_503_and_leaves_nothing(
    api_client, seed_body, staff_user, clock, kill_inside, caplog
):
    caplog.set_level(logging.WARNING)
    calls = kill_inside(booking)
    api_client.force_authenticate(staff_user)

    response = api_client.post("/api/reservations/", seed_body)

    assert calls == ["created"]  # the hook ran inside the booking transaction
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "service_unavailable"
    lost, errors = warnings_and_errors(caplog)
    assert lost and not errors
    # Nothing half-written: the inserted reservation died with its transaction.
    assert not Reservation.objects.exists()
    assert not Notification.objects.exists()

    again = api_client.post("/api/reservations/", seed_body)
    assert again.status_code == 201, again.content
    assert Reservation.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.fixture
def held(book):
    return book()


def test_a_manage_page_confirm_whose_connection_dies_is_a_503_page(
    held, clock, kill_inside, caplog
):
    caplog.set_level(logging.WARNING)
    notifications_before = Notification.objects.count()
    calls = kill_inside(transitions)
    client = Client(raise_request_exception=False)

    response = client.post(f"/r/{held.manage_token}/confirm/")

    assert calls == ["confirmed"]
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.content.decode()
    lost, errors = warnings_and_errors(caplog)
    assert lost and not errors
    held.refresh_from_db()
    assert held.status == Reservation.Status.PENDING
    assert Notification.objects.count() == notifications_before

    again = client.post(f"/r/{held.manage_token}/confirm/")
    assert again.status_code == 302
    held.refresh_from_db()
    assert held.status == Reservation.Status.CONFIRMED


def test_a_manage_api_confirm_whose_connection_dies_is_503_json(
    api_client, held, clock, kill_inside
):
    kill_inside(transitions)
    response = api_client.post(f"/api/reservations/manage/{held.manage_token}/confirm/")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    held.refresh_from_db()
    assert held.status == Reservation.Status.PENDING
