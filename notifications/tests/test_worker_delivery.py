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
    """One row per claim (batch size 1), as a worker delivered before batching: the kill
    interrupts one message; test_kill_9_mid_batch... covers a batch of many."""
    claim_seconds = 3
    one_per_claim = {
        "NOTIFICATION_CLAIM_SECONDS": str(claim_seconds),
        "NOTIFICATION_BATCH_SIZE": "1",
    }
    worker = celery_worker_process(**one_per_claim)
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
    celery_worker_process(**one_per_claim)
    # The interrupted one waits for its claim to lapse and for the relay (beat's job, run here
    # by hand) to hand it out again, with the rows the killed task had not reached yet.
    time.sleep(claim_seconds + 0.5)
    tasks.notifications_relay_due(now=timezone.now() + timedelta(seconds=0))
    wait_for(lambda: all_sent(ids), timeout=60)

    time.sleep(0.5)
    seen = smtp_server.message_ids()
    expected = sorted(Notification.objects.filter(pk__in=ids).values_list("message_id", flat=True))
    assert sorted(seen) == expected, "each Message-ID exactly once"
    interrupted = Notification.objects.filter(pk__in=ids, attempts=2)
    assert interrupted.count() == 1


def test_kill_9_mid_batch_resends_nothing_already_recorded(
    reservation_factory, smtp_server, celery_worker_process
):
    """One batch of six: the server keeps two, then holds the third's RCPT; the worker, which
    has recorded the two as sent, is killed. A new worker (after the claims lapse and the
    relay) sends the four others, and each Message-ID reached the server exactly once."""
    claim_seconds = 3
    settings = {"NOTIFICATION_CLAIM_SECONDS": str(claim_seconds)}
    worker = celery_worker_process(**settings)
    smtp_server.rcpt_delay_after = 2
    smtp_server.rcpt_delay = 30
    with transaction.atomic():
        ids = [
            recording.notification_record(reservation=reservation_factory(), kind="confirmed").pk
            for _ in range(6)
        ]
    assert smtp_server.rcpt_started.wait(30), "the worker never reached the third message"
    wait_for(lambda: Notification.objects.filter(pk__in=ids, status="sent").count() == 2)
    assert Notification.objects.filter(pk__in=ids, status="sending").count() == 4, "one batch"
    worker.kill9()
    recorded = set(
        Notification.objects.filter(pk__in=ids, status="sent").values_list("pk", flat=True)
    )

    smtp_server.rcpt_delay = 0
    celery_worker_process(**settings)
    time.sleep(claim_seconds + 0.5)
    assert tasks.notifications_relay_due() == 4
    wait_for(lambda: all_sent(ids), timeout=60)

    time.sleep(0.5)
    seen = smtp_server.message_ids()
    expected = sorted(Notification.objects.filter(pk__in=ids).values_list("message_id", flat=True))
    assert sorted(seen) == expected, "each Message-ID exactly once"
    assert smtp_server.connections() == 2, "one connection per batch"
    again = Notification.objects.filter(pk__in=ids, attempts=2)
    assert recorded.isdisjoint(again.values_list("pk", flat=True)), "recorded ones not resent"


def test_a_failed_publish_is_picked_up_by_the_relay_and_delivered_once(
    reservation_factory, smtp_server, celery_worker_process, monkeypatch
):
    celery_worker_process()

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker is down")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.deliver_due, "apply_async", broker_down)
        with transaction.atomic():
            ids = [
                recording.notification_record(
                    reservation=reservation_factory(), kind="confirmed"
                ).pk
                for _ in range(3)
            ]
    time.sleep(2)  # longer than the wake delay: nothing was published, nothing goes out
    assert smtp_server.messages == []
    assert Notification.objects.filter(pk__in=ids, status="pending").count() == 3

    assert tasks.notifications_relay_due() == 3  # beat's relay, the broker back
    wait_for(lambda: all_sent(ids))
    time.sleep(0.5)
    assert sorted(smtp_server.message_ids()) == sorted(
        Notification.objects.filter(pk__in=ids).values_list("message_id", flat=True)
    )


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
    assert {
        "notifications.deliver",
        "notifications.deliver_due",
        "notifications.relay_outbox",
    } <= set(ours)
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
