"""A database connection that breaks inside the booking transaction (issue 11, item 6): the
request answers 503 ``service_unavailable`` with Retry-After, logged as a warning, nothing of it
is left in the database, and the next request works on a fresh connection.

The break is real: a second connection runs ``pg_terminate_backend`` on the request's own
backend from a hook inside the transaction, after the reservation row is inserted and before
its outbox row is."""

import logging
import socket

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from core.models import IdempotencyRecord
from core.tests.faults import terminate_own_backend
from notifications.models import Notification
from reservations.callers import signed_in
from reservations.models import Reservation
from reservations.services import booking, transitions

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("usable_connection_at_teardown"),
    pytest.mark.postgres_only(reason="kills the connection with pg_terminate_backend"),
]


@pytest.fixture
def kill_inside(monkeypatch):
    """``kill_inside(module)``: the next ``after_change`` that ``module`` calls (inside its
    transaction, right after the write) first terminates the connection's backend;
    ``kill_inside(module, after_commit=True)``: right after that transaction commits instead."""
    calls = []

    def arm(module, after_commit=False):
        original = module.after_change

        def after_change(reservation, kind, **kwargs):
            if not calls:
                calls.append(kind)
                if after_commit:
                    transaction.on_commit(terminate_own_backend)
                else:
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


# --- with an Idempotency-Key (issue 11, item 8) ----------------------------------------------
# The answer to a lost connection advises a retry in 5 s: the key must be free by then, not
# locked for IDEMPOTENCY_LEASE_SECONDS. Releasing it (or storing the answer of work that did
# commit) goes over a new connection.

URL = "/api/reservations/"
KEY = {"Idempotency-Key": "lost-connection-1"}


@pytest.fixture
def kill_before_booking(monkeypatch):
    """``kill_before_booking(then=None)``: the booking's first read (an autocommit query, after
    the key's claim, outside any transaction) first terminates the connection's backend, then
    runs ``then``. Unlike a break inside a transaction, whose failed rollback makes Django drop
    the connection, this leaves the broken connection in place for what runs next."""
    calls = []

    def arm(then=None):
        original = signed_in.actor_for_user

        def actor_for_user(*args, **kwargs):
            if not calls:
                calls.append("killed")
                terminate_own_backend()
                if then is not None:
                    then()
            return original(*args, **kwargs)

        # Where reservation_create looks it up.
        monkeypatch.setattr(signed_in, "actor_for_user", actor_for_user)
        return calls

    return arm


def next_request():
    """What Django does when the next request starts (``close_old_connections``), which the
    test client skips: a connection that had errors and is unusable is replaced."""
    connection.close_if_unusable_or_obsolete()


def logged(caplog, text):
    return [r for r in caplog.get_records("call") if text in r.getMessage()]


def test_a_keyed_booking_whose_connection_dies_frees_its_key_for_the_advised_retry(
    api_client, seed_body, staff_user, clock, kill_before_booking, caplog
):
    """The reported case: the release ran on the dead connection ("the connection is lost")
    and the advised retry was 409 idempotency_in_progress for a minute."""
    caplog.set_level(logging.WARNING)
    calls = kill_before_booking()
    api_client.force_authenticate(staff_user)

    response = api_client.post(URL, seed_body, format="json", headers=KEY)

    assert calls == ["killed"]
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"
    next_request()
    assert not Reservation.objects.exists()

    again = api_client.post(URL, seed_body, format="json", headers=KEY)
    assert again.status_code == 201, again.content  # not 409 idempotency_in_progress
    assert "Idempotent-Replayed" not in again
    replay = api_client.post(URL, seed_body, format="json", headers=KEY)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == again.json()["id"]
    assert Reservation.objects.count() == 1
    assert len(logged(caplog, "retrying on a new connection")) == 1
    assert not logged(caplog, "not released")


def test_a_keyed_booking_whose_connection_dies_in_its_transaction_frees_its_key(
    api_client, seed_body, staff_user, clock, kill_inside, caplog
):
    caplog.set_level(logging.WARNING)
    calls = kill_inside(booking)
    api_client.force_authenticate(staff_user)

    response = api_client.post(URL, seed_body, format="json", headers=KEY)

    assert calls == ["created"]
    assert response.status_code == 503, response.content
    assert not logged(caplog, "not released")
    assert not IdempotencyRecord.objects.exists()
    assert not Reservation.objects.exists()

    again = api_client.post(URL, seed_body, format="json", headers=KEY)
    assert again.status_code == 201, again.content
    assert "Idempotent-Replayed" not in again
    assert Reservation.objects.count() == 1


def test_a_keyed_booking_whose_connection_dies_after_commit_still_keeps_its_answer(
    api_client, seed_body, staff_user, clock, kill_inside, caplog
):
    """The booking committed, then the connection broke before its answer was stored: the
    answer is stored over a new connection, so the retry replays it instead of a 409."""
    caplog.set_level(logging.WARNING)
    calls = kill_inside(booking, after_commit=True)
    api_client.force_authenticate(staff_user)

    first = api_client.post(URL, seed_body, format="json", headers=KEY)

    assert calls == ["created"]
    assert first.status_code == 201, first.content
    next_request()

    again = api_client.post(URL, seed_body, format="json", headers=KEY)
    assert again.status_code == 201, again.content  # not 409 idempotency_in_progress
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Reservation.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.status == IdempotencyRecord.Status.COMPLETED
    assert record.response_status == 201
    assert len(logged(caplog, "retrying on a new connection")) == 1
    assert not logged(caplog, "not stored") and not logged(caplog, "outlived its lease")


def test_a_database_gone_past_the_retries_answers_503_and_leaves_the_key_to_its_lease(
    api_client, seed_body, staff_user, clock, kill_before_booking, settings, caplog
):
    """Bounded: when no new connection can be had, the release gives up after
    IDEMPOTENCY_RECORD_RETRIES (the request is still a 503, never a 500) and the lease frees
    the key later, as before."""
    settings.IDEMPOTENCY_RECORD_RETRIES = 2
    settings.IDEMPOTENCY_RECORD_BACKOFF_SECONDS = 0.01
    caplog.set_level(logging.WARNING)
    settings_dict = connections["default"].settings_dict
    real_port = settings_dict["PORT"]
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    kill_before_booking(then=lambda: settings_dict.update(PORT=dead_port))
    api_client.force_authenticate(staff_user)

    try:
        response = api_client.post(URL, seed_body, format="json", headers=KEY)
    finally:
        settings_dict["PORT"] = real_port
        connection.close()

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "service_unavailable"
    assert len(logged(caplog, "retrying on a new connection")) == 2
    assert len(logged(caplog, "not released")) == 1
    record = IdempotencyRecord.objects.get()
    assert record.status == IdempotencyRecord.Status.IN_PROGRESS
    assert not Reservation.objects.exists()
