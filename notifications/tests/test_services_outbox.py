"""The outbox against a real SMTP server: record once, deliver once, retry what may pass,
fail what will not, recover what a crash left behind."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import delivery, recording, reminders, tasks
from notifications.models import Notification
from reservations.models import Reservation

pytestmark = pytest.mark.django_db


def record(reservation, kind="confirmed", **kw):
    return recording.notification_record(reservation=reservation, kind=kind, **kw)


def test_record_is_once_per_kind_and_per_change(reservation_factory):
    reservation = reservation_factory()
    assert record(reservation) is not None
    assert record(reservation) is None
    assert record(reservation, "changed", change_key="a") is not None
    assert record(reservation, "changed", change_key="b") is not None
    assert record(reservation, "changed", change_key="b") is None
    assert Notification.objects.count() == 3


def test_delivery_is_enqueued_only_after_commit(
    reservation_factory, django_capture_on_commit_callbacks
):
    reservation = reservation_factory()
    with django_capture_on_commit_callbacks() as callbacks:
        record(reservation)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        record(reservation)
    assert callbacks == []


def test_guest_without_email_is_recorded_as_failed_and_not_enqueued(
    reservation_factory, django_capture_on_commit_callbacks
):
    from customers.tests.factories import CustomerFactory

    reservation = reservation_factory(customer=CustomerFactory(email=""))
    with django_capture_on_commit_callbacks() as callbacks:
        notification = record(reservation)
    assert notification.status == "failed"
    assert "no email" in notification.last_error
    assert callbacks == []


def test_deliver_sends_once_with_the_deterministic_message_id(reservation_factory, smtp_settings):
    notification = record(reservation_factory())
    assert delivery.notification_deliver(notification_id=notification.pk) == ("sent", None)
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.sent_at and notification.attempts == 1
    assert smtp_settings.message_ids() == [notification.message_id]

    # A repeated delivery (a task delivered twice) does nothing.
    assert delivery.notification_deliver(notification_id=notification.pk) == ("skipped", None)
    assert len(smtp_settings.messages) == 1


def test_connection_refused_is_retried_later_with_backoff(reservation_factory, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    notification = record(reservation_factory())
    before = timezone.now()
    outcome, delay = delivery.notification_deliver(notification_id=notification.pk)
    assert outcome == "retry"
    notification.refresh_from_db()
    assert notification.status == "pending"
    assert notification.attempts == 1
    assert "Connection" in notification.last_error or "refused" in notification.last_error
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    assert base / 2 <= delay <= base
    assert notification.scheduled_for >= before + timedelta(seconds=base / 2)
    # Not due yet: a second task does nothing.
    assert delivery.notification_deliver(notification_id=notification.pk)[0] == "skipped"


def test_backoff_grows_and_is_capped(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 60
    assert 5 <= delivery.retry_delay(1) <= 10
    assert 20 <= delivery.retry_delay(3) <= 40
    assert 30 <= delivery.retry_delay(9) <= 60


def test_4xx_reply_retries_until_the_limit_then_fails(reservation_factory, smtp_settings, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    smtp_settings.reply = "451 4.3.0 Try again later"
    notification = record(reservation_factory())
    for attempt in (1, 2):
        with time_machine.travel(timezone.now() + timedelta(hours=attempt), tick=False):
            assert delivery.notification_deliver(notification_id=notification.pk)[0] == "retry"
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        assert delivery.notification_deliver(notification_id=notification.pk)[0] == "failed"
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 3
    assert "451" in notification.last_error


def test_5xx_reply_fails_at_once(reservation_factory, smtp_settings):
    smtp_settings.reply = "550 5.1.1 No such user"
    notification = record(reservation_factory())
    assert delivery.notification_deliver(notification_id=notification.pk)[0] == "failed"
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 1
    assert "550" in notification.last_error


def test_resend_puts_a_failed_notification_back_and_it_goes_out(
    reservation_factory, smtp_settings, django_capture_on_commit_callbacks
):
    smtp_settings.reply = "550 5.1.1 No such user"
    notification = record(reservation_factory())
    delivery.notification_deliver(notification_id=notification.pk)
    smtp_settings.reply = None
    with django_capture_on_commit_callbacks() as callbacks:
        recording.notification_resend(notification=notification)
    assert len(callbacks) == 1
    assert delivery.notification_deliver(notification_id=notification.pk)[0] == "sent"
    assert len(smtp_settings.messages) == 1


def test_resend_refuses_what_is_not_failed(reservation_factory):
    from core.errors import Conflict

    notification = record(reservation_factory())
    with pytest.raises(Conflict):
        recording.notification_resend(notification=notification)


def test_a_live_claim_blocks_a_second_worker_and_a_lapsed_one_does_not(
    reservation_factory, smtp_settings, settings
):
    notification = record(reservation_factory())
    claimed = delivery.notification_claim(notification_id=notification.pk, now=timezone.now())
    assert claimed.status == "sending"
    # Another worker while the claim lives: nothing to do.
    assert delivery.notification_deliver(notification_id=notification.pk)[0] == "skipped"
    # The first worker died; once its claim lapses, delivery goes ahead.
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert delivery.notification_deliver(notification_id=notification.pk)[0] == "sent"
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert len(smtp_settings.messages) == 1


def test_relay_wakes_one_deliverer_for_due_pending_and_lapsed_claims_only(
    reservation_factory, settings, monkeypatch
):
    published = []
    monkeypatch.setattr(tasks, "deliver_due_publish", lambda countdown=None: published.append(1))
    now = timezone.now()
    assert tasks.notifications_relay_due(now=now) == 0
    assert published == [], "nothing due, nothing published"
    due = record(reservation_factory())
    later = record(reservation_factory(), scheduled_for=now + timedelta(minutes=5))
    lapsed = record(reservation_factory())
    Notification.objects.filter(pk=lapsed.pk).update(
        status="sending", claimed_until=now - timedelta(seconds=1)
    )
    live = record(reservation_factory())
    Notification.objects.filter(pk=live.pk).update(
        status="sending", claimed_until=now + timedelta(minutes=1)
    )
    sent = record(reservation_factory())
    Notification.objects.filter(pk=sent.pk).update(status="sent")

    assert tasks.notifications_relay_due(now=now + timedelta(seconds=1)) == 2
    assert published == [1], "one deliver_due for every due row"
    # What that task claims: the due row and the lapsed claim, not the later or the live one.
    with time_machine.travel(now + timedelta(seconds=1), tick=False):
        claimed = delivery.notifications_claim(now=timezone.now(), limit=50)
    assert sorted(n.pk for n in claimed) == sorted([due.pk, lapsed.pk])
    assert later.pk not in [n.pk for n in claimed]


class TestReminders:
    """The lead-time arithmetic holds on SQLite as on PostgreSQL (both passes run these)."""

    def test_due_reminder_is_recorded_once(self, reservation_factory):
        now = timezone.now()
        reservation = reservation_factory(
            start_at=now + timedelta(hours=20), confirmed_at=now - timedelta(days=3)
        )
        assert len(reminders.reminders_record_due(now=now)) == 1
        assert len(reminders.reminders_record_due(now=now)) == 0
        reminder = Notification.objects.get()
        assert (reminder.reservation, reminder.kind) == (reservation, "reminder")

    def test_not_before_the_restaurants_reminder_time(self, reservation_factory):
        now = timezone.now()
        reservation_factory(
            start_at=now + timedelta(hours=25), confirmed_at=now - timedelta(days=3)
        )
        assert len(reminders.reminders_record_due(now=now)) == 0
        # The restaurant's own lead time decides.
        from restaurants.models import Restaurant

        Restaurant.objects.update(reminder_minutes_before=26 * 60)
        assert len(reminders.reminders_record_due(now=now)) == 1

    def test_not_for_one_confirmed_inside_the_window(self, reservation_factory):
        now = timezone.now()
        reservation_factory(
            start_at=now + timedelta(hours=5), confirmed_at=now - timedelta(hours=1)
        )
        assert len(reminders.reminders_record_due(now=now)) == 0

    def test_never_after_the_start(self, reservation_factory):
        now = timezone.now()
        reservation_factory(
            start_at=now - timedelta(minutes=1),
            confirmed_at=now - timedelta(days=3),
            status="seated",
        )
        reservation_factory(
            start_at=now - timedelta(minutes=1), confirmed_at=now - timedelta(days=3)
        )
        assert len(reminders.reminders_record_due(now=now)) == 0

    def test_only_confirmed_reservations(self, reservation_factory):
        now = timezone.now()
        reservation_factory(
            start_at=now + timedelta(hours=2),
            status="cancelled",
            confirmed_at=now - timedelta(days=3),
        )
        reservation_factory(start_at=now + timedelta(hours=2), status="pending", confirmed_at=None)
        assert len(reminders.reminders_record_due(now=now)) == 0

    def test_the_scan_task_enqueues_the_reminders_it_wrote(self, reservation_factory, monkeypatch):
        from customers.tests.factories import CustomerFactory

        enqueued = []
        monkeypatch.setattr(tasks, "delivery_wake", lambda: enqueued.append("wake"))
        now = timezone.now()
        due = {"start_at": now + timedelta(hours=2), "confirmed_at": now - timedelta(days=3)}
        reservation_factory(**due)
        reservation_factory(customer=CustomerFactory(email=""), **due)
        assert tasks.record_reminders() == 2
        assert Notification.objects.filter(kind="reminder", status="pending").count() == 1
        assert Notification.objects.filter(kind="reminder", status="failed").count() == 1
        assert enqueued == ["wake"], "one wake for the reminders it wrote"
        assert tasks.record_reminders() == 0
        assert enqueued == ["wake"]


class TestNoLongerTrue:
    """A message is checked against the reservation when it is claimed: a retry can come long
    after the change that recorded it."""

    def test_reminder_after_a_cancellation_is_not_sent(self, reservation_factory, smtp_settings):
        reservation = reservation_factory()
        reminder = record(reservation, "reminder")
        Reservation.objects.filter(pk=reservation.pk).update(status="cancelled")
        assert delivery.notification_deliver(notification_id=reminder.pk)[0] == "skipped"
        reminder.refresh_from_db()
        assert reminder.status == "failed" and "no longer true" in reminder.last_error
        assert smtp_settings.messages == []

    def test_reminder_after_the_start_is_not_sent(self, reservation_factory, smtp_settings):
        reservation = reservation_factory()
        reminder = record(reservation, "reminder")
        with time_machine.travel(reservation.start_at + timedelta(minutes=1), tick=False):
            delivery.notification_deliver(notification_id=reminder.pk)
        reminder.refresh_from_db()
        assert reminder.status == "failed"
        assert smtp_settings.messages == []

    def test_confirmation_after_a_cancellation_is_not_sent(
        self, reservation_factory, smtp_settings
    ):
        reservation = reservation_factory()
        confirmation = record(reservation, "confirmed")
        Reservation.objects.filter(pk=reservation.pk).update(status="cancelled")
        delivery.notification_deliver(notification_id=confirmation.pk)
        assert smtp_settings.messages == []

    def test_hold_email_after_the_guest_confirmed_is_not_sent(
        self, reservation_factory, smtp_settings
    ):
        reservation = reservation_factory(status="pending")
        hold = record(reservation, "hold_created")
        Reservation.objects.filter(pk=reservation.pk).update(status="confirmed", expires_at=None)
        delivery.notification_deliver(notification_id=hold.pk)
        assert smtp_settings.messages == []

    def test_a_cancellation_email_still_goes_out(self, reservation_factory, smtp_settings):
        reservation = reservation_factory(status="cancelled")
        cancelled = record(reservation, "cancelled")
        assert delivery.notification_deliver(notification_id=cancelled.pk)[0] == "sent"
