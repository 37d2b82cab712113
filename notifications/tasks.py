"""Thin, idempotent tasks: ids in, one service call. Acknowledged late and handed back to the
queue if the worker dies (settings), so a crash never loses a delivery.

Waking the deliverer is here too (``delivery_wake``). The outbox's recording
(notifications.recording) imports this module to wake it after commit; this module imports
only what lies below recording (delivery, the reminder scan, the selectors), so no import
between the two goes both ways.

A commit does not publish one task per row: it sets a flag in the cache Redis (``SET NX``) and
publishes ``notifications.deliver_due`` only when the flag was not set already, i.e. when no
woken task is still waiting to start. The task starts ``NOTIFICATION_WAKE_DELAY_SECONDS`` after
its wake, so the rows committed meanwhile share its batch. It clears the flag before its first
claim, so a row committed after that claim finds the flag clear and publishes again: no row
waits for the relay because its wake was absorbed by a task that had already looked.
"""

import logging
import time
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from core.clock import now as clock_now
from notifications.delivery import notification_deliver, notifications_deliver_batch
from notifications.models import Notification
from notifications.reminders import reminders_record_due
from notifications.selectors import notifications_to_relay

logger = logging.getLogger(__name__)

WAKE_KEY = "notifications:wake"


def _wake_is_shared() -> bool:
    """The flag means something only where web and worker share the cache (Redis); the
    embedded mode's in-process cache is each process's own, so every commit publishes."""
    return bool(settings.REDIS_CACHE_URL)


def delivery_wake() -> None:
    """After a commit that wrote outbox rows: make sure a ``deliver_due`` task will look at
    them. One round trip to Redis when a wake is pending already; a Redis that does not
    answer means publishing anyway. A broker that does not answer is logged, not raised: the
    rows are committed, and the relay hands them to a worker once the broker is back."""
    if _wake_is_shared():
        try:
            if not cache.add(WAKE_KEY, 1, timeout=settings.NOTIFICATION_WAKE_SECONDS):
                return  # a woken task has not started yet: it will claim these rows
        except Exception as exc:  # Redis down: the publish decides alone
            logger.warning("Delivery wake flag unavailable (%s); publishing anyway", exc)
    if not deliver_due_publish(countdown=settings.NOTIFICATION_WAKE_DELAY_SECONDS or None):
        _wake_clear()  # so that the next commit tries the broker again


def _wake_clear() -> None:
    if _wake_is_shared():
        try:
            cache.delete(WAKE_KEY)
        except Exception as exc:  # it lapses by itself (NOTIFICATION_WAKE_SECONDS)
            logger.warning("Delivery wake flag not cleared (%s)", exc)


def deliver_due_publish(countdown: float | None = None) -> bool:
    try:
        deliver_due.apply_async(countdown=countdown, retry=False)
    except Exception as exc:  # any broker failure; the outbox row is the source of truth
        logger.warning("Delivery: publish failed (%s); the relay will retry", exc)
        return False
    return True


def delivery_enqueue(notification_id: int, countdown: float | None = None) -> None:
    """Publish the delivery of one row (a retry after its backoff). Failures are logged, as
    for a wake."""
    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown, retry=False)
    except Exception as exc:
        logger.warning(
            "Notification %s: enqueue failed (%s); the relay will retry", notification_id, exc
        )


def _schedule_retries(delivered) -> None:
    # The rows hold their schedule; these only save waiting for the relay.
    for item in delivered:
        if item.outcome == "retry" and item.delay:
            delivery_enqueue(item.notification.pk, countdown=item.delay)


@shared_task(name="notifications.deliver_due")
def deliver_due() -> int:
    """Clear the wake flag, then claim and send batches until no row is due (a batch shorter
    than ``NOTIFICATION_BATCH_SIZE`` took every due row: one committed after it found the
    flag clear and published again). Stops after half the soft time limit (or of the claim)
    and publishes itself again (also when that cut a short batch, whose untried rest it gave
    back), so a long backlog never meets the limit mid-message. Returns
    the number of messages sent."""
    _wake_clear()
    started = time.monotonic()
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    deadline = started + min(budget, settings.NOTIFICATION_CLAIM_SECONDS / 2)
    sent = 0
    while True:
        delivered, claimed = notifications_deliver_batch(deadline=deadline)
        _schedule_retries(delivered)
        sent += sum(1 for item in delivered if item.outcome == "sent")
        if any(item.outcome == "released" for item in delivered):
            # The deadline cut this batch, short or full: its untried rest is due again now.
            deliver_due_publish()
            return sent
        if claimed < settings.NOTIFICATION_BATCH_SIZE:
            return sent
        if time.monotonic() >= deadline:
            deliver_due_publish()
            return sent


@shared_task(name="notifications.deliver")
def deliver_notification(notification_id: int) -> str:
    """One row (retries after their backoff, and tasks queued before delivery was batched)."""
    outcome, delay = notification_deliver(notification_id=notification_id)
    if outcome == "retry" and delay:
        delivery_enqueue(notification_id, countdown=delay)
    return outcome


def notifications_relay_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """When any due row's delivery may have been lost (``notifications_to_relay``: a crash
    between commit and publish, a broker that was down, a worker that died mid-batch),
    publish one ``deliver_due``, which claims them all. It bypasses the wake flag: this is
    the safety net for a wake that was lost. Returns how many rows were due (at most
    ``limit``). Publishing twice is harmless: the claim decides."""
    due = len(notifications_to_relay(now=now or clock_now(), limit=limit))
    if due:
        deliver_due_publish()
    return due


@shared_task(name="notifications.relay_outbox")
def relay_outbox() -> int:
    return notifications_relay_due()


@shared_task(name="notifications.record_reminders")
def record_reminders() -> int:
    recorded = reminders_record_due()
    # Committed by now (each in its own transaction); a phone-only guest's is failed.
    if any(reminder.status == Notification.Status.PENDING for reminder in recorded):
        delivery_wake()
    return len(recorded)
