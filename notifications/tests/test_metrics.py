"""What the outbox shows in /metrics: emails by kind and result, counted by the deliveries,
and the backlog (rows due and unsent, and how long the oldest has waited), read from the
table when scraped."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core.tests.scrape import TOKEN, scrape
from notifications import delivery
from notifications.models import Notification
from notifications.outbox import notification_add

pytestmark = pytest.mark.django_db
EMAILS = "reservaflow_emails_total"


@pytest.fixture
def metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    return Client()


def test_the_backlog_counts_due_unsent_rows_and_the_age_of_the_oldest(metrics, reservation_factory):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        confirmed = reservation_factory(status="confirmed")
        notification_add(
            reservation=confirmed, kind="confirmed", scheduled_for=now - timedelta(minutes=5)
        )
        notification_add(
            reservation=confirmed, kind="reminder", scheduled_for=now - timedelta(seconds=30)
        )
        # Not due yet, and already sent: neither is backlog.
        notification_add(reservation=confirmed, kind="changed", scheduled_for=now + timedelta(1))
        sent = notification_add(reservation=reservation_factory(), kind="hold_created")
        Notification.objects.filter(pk=sent.pk).update(status="sent")
        taken = scrape(metrics)
    assert taken.value("reservaflow_outbox_due") == 2
    assert taken.value("reservaflow_outbox_oldest_due_age_seconds") == 300


def test_an_empty_outbox_has_no_backlog(metrics):
    taken = scrape(metrics)
    assert taken.value("reservaflow_outbox_due") == 0
    assert taken.value("reservaflow_outbox_oldest_due_age_seconds") == 0


def test_deliveries_count_by_kind_and_result(metrics, reservation_factory, smtp_settings):
    confirmed = reservation_factory(status="confirmed")
    sent = notification_add(reservation=confirmed, kind="confirmed")
    refused = notification_add(reservation=confirmed, kind="reminder")
    # A confirmation for a reservation cancelled meanwhile is no longer true: not sent.
    stale = notification_add(reservation=reservation_factory(status="cancelled"), kind="confirmed")
    before = scrape(metrics)
    assert delivery.notification_deliver(notification_id=sent.pk)[0] == "sent"
    smtp_settings.reply = "550 no such mailbox"
    assert delivery.notification_deliver(notification_id=refused.pk)[0] == "failed"
    assert delivery.notification_deliver(notification_id=stale.pk)[0] == "skipped"
    after = scrape(metrics)

    def moved(**labels):
        return after.value(EMAILS, **labels) - before.value(EMAILS, **labels)

    assert moved(kind="confirmed", result="sent") == 1
    assert moved(kind="reminder", result="failed") == 1
    assert moved(kind="confirmed", result="stale") == 1
    assert moved(kind="reminder", result="sent") == 0
