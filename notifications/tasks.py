"""Thin, idempotent tasks: ids in, one service call. Acknowledged late and handed back to the
queue if the worker dies (settings), so a crash never loses a delivery.

Publishing a delivery is here too (``delivery_enqueue``). The outbox's recording
(notifications.recording) imports this module to enqueue after commit; this module imports
only what lies below recording (delivery, the reminder scan, the selectors), so no import
between the two goes both ways.
"""

import logging
from datetime import datetime

from celery import shared_task

from core.clock import now as clock_now
from notifications.delivery import notification_deliver
from notifications.models import Notification
from notifications.reminders import reminders_record_due
from notifications.selectors import notifications_to_relay

logger = logging.getLogger(__name__)


def delivery_enqueue(notification_id: int, countdown: float | None = None) -> None:
    """Publish a delivery task. A broker that does not answer is logged, not raised: the row
    is committed, and the relay hands it to a worker once the broker is back."""
    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown, retry=False)
    except Exception as exc:  # any broker failure; the outbox row is the source of truth
        logger.warning(
            "Notification %s: enqueue failed (%s); the relay will retry", notification_id, exc
        )


@shared_task(name="notifications.deliver")
def deliver_notification(notification_id: int) -> str:
    outcome, delay = notification_deliver(notification_id=notification_id)
    if outcome == "retry" and delay:
        # The row holds the schedule; this only saves waiting for the relay.
        deliver_notification.apply_async((notification_id,), countdown=delay)
    return outcome


def notifications_relay_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue delivery of every due row whose task may have been lost
    (``notifications_to_relay``). Enqueuing twice is harmless: the claim decides."""
    ids = notifications_to_relay(now=now or clock_now(), limit=limit)
    for notification_id in ids:
        delivery_enqueue(notification_id)
    return len(ids)


@shared_task(name="notifications.relay_outbox")
def relay_outbox() -> int:
    return notifications_relay_due()


@shared_task(name="notifications.record_reminders")
def record_reminders() -> int:
    recorded = reminders_record_due()
    for reminder in recorded:
        # Committed by now (each in its own transaction); a phone-only guest's is failed.
        if reminder.status == Notification.Status.PENDING:
            delivery_enqueue(reminder.pk)
    return len(recorded)
