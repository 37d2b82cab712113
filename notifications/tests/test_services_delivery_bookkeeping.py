"""After the SMTP server has accepted a message, recording it ``sent`` must survive a dropped
database connection: the worker reconnects and retries, guarded by its claim token, instead of
leaving the row ``sending`` for the relay to send again. Real PostgreSQL, real SMTP server,
real ``pg_terminate_backend``."""

import logging
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from core.tests.faults import terminate_backends
from notifications import delivery, recording, tasks
from notifications.models import Notification

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("usable_connection_at_teardown"),
]


@pytest.fixture
def enqueued(monkeypatch):
    """Deliveries run in-process here: record what would be published instead."""
    published = []
    monkeypatch.setattr(tasks, "delivery_wake", lambda: published.append("wake"))
    monkeypatch.setattr(
        tasks, "deliver_due_publish", lambda countdown=None: published.append("due")
    )
    return published


@pytest.fixture
def fast_retries(settings):
    settings.NOTIFICATION_FINISH_RETRIES = 4
    settings.NOTIFICATION_FINISH_BACKOFF_SECONDS = 0.05
    return settings


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def record(reservation):
    return recording.notification_record(reservation=reservation, kind="confirmed")


@pytest.mark.postgres_only(reason="kills the connection with pg_terminate_backend")
def test_mark_sent_is_retried_on_a_fresh_connection_after_the_connection_is_killed(
    reservation_factory, smtp_settings, fast_retries, enqueued
):
    notification = record(reservation_factory())
    worker_pid = backend_pid()
    killed = []
    # The server keeps the message, then the worker's database connection dies before the
    # worker reads the 250: its first "mark sent" fails.
    smtp_settings.after_accept = lambda: killed.append(terminate_backends(pid=worker_pid))

    assert delivery.notification_deliver(notification_id=notification.pk) == ("sent", None)

    assert killed == [1]
    assert backend_pid() != worker_pid, "the bookkeeping went over a new connection"
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.sent_at
    assert notification.attempts == 1 and notification.claimed_until is None
    assert smtp_settings.message_ids() == [notification.message_id]

    # Neither the relay after the claim would have lapsed nor a repeated task sends it again.
    later = timezone.now() + timedelta(seconds=fast_retries.NOTIFICATION_CLAIM_SECONDS + 1)
    assert tasks.notifications_relay_due(now=later) == 0
    assert delivery.notification_deliver(notification_id=notification.pk) == ("skipped", None)
    assert len(smtp_settings.messages) == 1


@pytest.mark.postgres_only(reason="kills the connection with pg_terminate_backend")
def test_database_down_past_the_retry_budget_leaves_the_claim_to_lapse_then_one_resend(
    reservation_factory, smtp_settings, fast_retries, enqueued, caplog
):
    """The documented remaining window: the database stays unreachable for longer than the
    retry budget. The row stays ``sending`` under its claim, an error names the Message-ID,
    and once the claim lapses the relay sends the same message (same Message-ID) again."""
    notification = record(reservation_factory())
    worker_pid = backend_pid()
    settings_dict = connections["default"].settings_dict
    real_port = settings_dict["PORT"]
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]

    def database_goes_down():
        terminate_backends(pid=worker_pid)
        settings_dict["PORT"] = dead_port

    smtp_settings.after_accept = database_goes_down
    started = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
            outcome = delivery.notification_deliver(notification_id=notification.pk)
    finally:
        settings_dict["PORT"] = real_port
        connection.close()
    elapsed = time.monotonic() - started

    assert outcome == ("unrecorded", None)
    retries = [r for r in caplog.records if "retrying on a new connection" in r.getMessage()]
    assert len(retries) == fast_retries.NOTIFICATION_FINISH_RETRIES
    backoff = fast_retries.NOTIFICATION_FINISH_BACKOFF_SECONDS
    assert elapsed >= backoff * (2**fast_retries.NOTIFICATION_FINISH_RETRIES - 1)
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    notification.refresh_from_db()
    assert notification.message_id in error.getMessage()
    assert notification.status == "sending" and notification.attempts == 1
    assert notification.claimed_until > timezone.now(), "the claim is left to lapse"
    assert smtp_settings.message_ids() == [notification.message_id]

    # While the claim lives nothing happens; once it lapses, the relay hands it out again and
    # the guest gets a second copy carrying the same Message-ID.
    smtp_settings.after_accept = None
    assert delivery.notification_deliver(notification_id=notification.pk) == ("skipped", None)
    later = notification.claimed_until + timedelta(seconds=1)
    assert tasks.notifications_relay_due(now=later) == 1
    with time_machine.travel(later, tick=False):
        assert delivery.notification_deliver(notification_id=notification.pk) == ("sent", None)
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2
    assert smtp_settings.message_ids() == [notification.message_id] * 2


def test_a_stale_worker_cannot_overwrite_a_newer_claim(
    reservation_factory, smtp_settings, fast_retries, enqueued
):
    """Worker A waits for the 250 while the row moves on: its claim lapsed, a later attempt
    failed, staff resent it and worker C claimed it (with the same attempt count, as a resend
    starts counting again). A's outcome must not land on C's claim."""
    notification = record(reservation_factory())
    newer = {}

    def row_moves_on():
        try:
            Notification.objects.filter(pk=notification.pk).update(status="failed")
            recording.notification_resend(notification=Notification.objects.get(pk=notification.pk))
            newer["claim"] = delivery.notification_claim(
                notification_id=notification.pk, now=timezone.now()
            )
        finally:
            connections.close_all()  # this thread's connection

    smtp_settings.after_accept = row_moves_on

    delivery.notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert newer["claim"].attempts == 1
    assert notification.status == "sending", "C's claim still stands"
    assert notification.claimed_until == newer["claim"].claimed_until
    assert notification.sent_at is None
