"""Thin, idempotent tasks: ids in, one service call. Acknowledged late and handed back to the
queue if the worker dies (settings), so a crash never loses a delivery."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver")
def deliver_notification(notification_id: int) -> str:
    outcome, delay = services.notification_deliver(notification_id=notification_id)
    if outcome == "retry" and delay:
        # The row holds the schedule; this only saves waiting for the relay.
        deliver_notification.apply_async((notification_id,), countdown=delay)
    return outcome


@shared_task(name="notifications.relay_outbox")
def relay_outbox() -> int:
    return services.notifications_relay_due()


@shared_task(name="notifications.record_reminders")
def record_reminders() -> int:
    return services.reminders_record_due()
