"""Recording: the outbox rows a change writes in its own transaction, each one's delivery
enqueued (notifications.tasks) only once that transaction commits, so a rolled-back change
sends nothing and a committed one always has its row."""

from datetime import datetime

from django.db import transaction

from core.clock import now as clock_now
from core.errors import InvalidTransition, NoEmailAddress
from notifications import tasks
from notifications.models import Notification
from notifications.outbox import notification_add


def notification_record(
    *, reservation, kind: str, scheduled_for: datetime | None = None, change_key: str = ""
) -> Notification | None:
    """Record ``kind`` for ``reservation`` inside the caller's transaction; delivery is
    enqueued only once that transaction commits. A kind already recorded for the reservation
    is not recorded again (``changed`` is keyed per change by ``change_key``). Returns the new
    row, or None when it existed."""
    notification = notification_add(
        reservation=reservation, kind=kind, scheduled_for=scheduled_for, change_key=change_key
    )
    if notification is not None and notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: tasks.delivery_enqueue(notification.pk), robust=True)
    return notification


@transaction.atomic
def notification_resend(*, notification: Notification) -> Notification:
    """Put a failed notification back in the outbox (the admin's "resend")."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.status != Notification.Status.FAILED:
        raise InvalidTransition("Only a failed notification can be resent.")
    if not locked.customer.email:
        raise NoEmailAddress()
    locked.status = Notification.Status.PENDING
    locked.attempts = 0
    locked.scheduled_for = clock_now()
    locked.claimed_until = None
    locked.save()
    transaction.on_commit(lambda: tasks.delivery_enqueue(locked.pk), robust=True)
    return locked
