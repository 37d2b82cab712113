"""Delivery through a real Celery worker process on the local Redis broker and a real SMTP
server: what the product promises when the worker is really separate, and when it dies."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.tests.faults import terminate_backends
from notifications import recording, tasks
from notifications.models import Notification
from notifications.tests.conftest import WORKER_DB_APPLICATION_NAME, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def all_sent(ids):
    return Notification.objects.filter(pk__in=ids, status="sent").count() == len(ids)


def test_worker_delivers_a_recorded_notification_exactly_once(
    reservation_factory, smtp_server, celery_worker_process
):
    celery_worker_process()
    with transaction.atomic():
        notification = recording.notification_record(
            reservation=reservation_factory(), kind="confirmed"
        )
    wait_for(lambda: all_sent([notification.pk]))
    notification.refresh_from_db()
    time.sleep(0.5)  # a duplicate would arrive now
    assert smtp_server.message_ids() == [notification.message_id]
    [message] = smtp_server.messages
    assert any(part.get_content_type() == "text/calendar" for part in message.walk())


def test_kill_9_during_delivery_then_a_new_worker_sends_everything_once(
    reservation_factory, smtp_server, celery_worker_process
):
    claim_seconds = 3
    worker = celery_worker_process(NOTIFICATION_CLAIM_SECONDS=str(claim_seconds))
    smtp_server.rcpt_delay = 30  # the first delivery hangs mid-conversation
    with transaction.atomic():
        ids = [
            recording.notification_record(reservation=reservation_factory(), kind="confirmed").pk
            for _ in range(4)
        ]
    assert smtp_server.rcpt_started.wait(30), "the worker never reached the SMTP server"
    worker.kill9()
    assert Notification.objects.filter(status="sending").count() == 1

    smtp_server.rcpt_delay = 0
    celery_worker_process(NOTIFICATION_CLAIM_SECONDS=str(claim_seconds))
    # The new worker takes the queued ones; the interrupted one waits for its claim to lapse
    # and for the relay (beat's job, run here by hand) to hand it out again.
    time.sleep(claim_seconds + 0.5)
    tasks.notifications_relay_due(now=timezone.now() + timedelta(seconds=0))
    wait_for(lambda: all_sent(ids), timeout=60)

    time.sleep(0.5)
    seen = smtp_server.message_ids()
    expected = sorted(Notification.objects.filter(pk__in=ids).values_list("message_id", flat=True))
    assert sorted(seen) == expected, "each Message-ID exactly once"
    interrupted = Notification.objects.filter(pk__in=ids, attempts=2)
    assert interrupted.count() == 1


def test_worker_whose_database_connection_is_killed_after_the_250_records_sent_once(
    reservation_factory, smtp_server, celery_worker_process
):
    claim_seconds = 3
    celery_worker_process(
        NOTIFICATION_CLAIM_SECONDS=str(claim_seconds), NOTIFICATION_FINISH_BACKOFF_SECONDS="0.1"
    )
    killed = []
    smtp_server.after_accept = lambda: killed.append(
        terminate_backends(application_name=WORKER_DB_APPLICATION_NAME)
    )
    with transaction.atomic():
        notification = recording.notification_record(
            reservation=reservation_factory(), kind="confirmed"
        )
    wait_for(lambda: all_sent([notification.pk]))
    assert killed and killed[0] >= 1, "the worker's connection was killed"

    # Past the claim, the relay finds nothing to hand out again.
    time.sleep(claim_seconds + 0.5)
    assert tasks.notifications_relay_due() == 0
    time.sleep(0.5)
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert smtp_server.message_ids() == [notification.message_id]


def test_every_task_route_is_a_queue_the_documented_workers_consume():
    from pathlib import Path

    from config.celery import app

    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert {"notifications.deliver", "notifications.relay_outbox"} <= set(ours)
    consumed = {q.name for q in app.amqp.queues.values()} or {app.conf.task_default_queue}
    for name in ours:
        route = app.amqp.router.route({}, name)
        assert route["queue"].name in consumed, name
    # The workers are started without -Q, so they consume the default queue.
    root = Path(__file__).resolve().parents[2]
    for path in ("config/cli.py", "compose.yaml"):
        assert (
            " -Q" not in (root / path).read_text() and "--queues" not in (root / path).read_text()
        )
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]
