"""The outbox's rows: one per message a guest is owed, written inside the caller's transaction
so it commits or rolls back with the change that owes it.

Nothing here publishes a delivery: after a reservation change, ``notifications.recording``
enqueues one once the transaction commits; the reminder scan's task enqueues the reminders it
wrote; the relay picks up any row whose task was lost.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from core.clock import now as clock_now
from core.request_id import current_request_id
from notifications.models import Notification


def notification_add(
    *, reservation, kind: str, scheduled_for: datetime | None = None, change_key: str = ""
) -> Notification | None:
    """Write ``kind`` for ``reservation``, due at ``scheduled_for`` (now by default), unless
    that kind is already written for the reservation (``changed`` is keyed per change by
    ``change_key``): the new row, or None when it existed. A guest without an e-mail address
    gets a row that is ``failed`` at once, so staff can see the guest was not told."""
    key = f"{reservation.pk}:{kind}" + (f":{change_key}" if change_key else "")
    customer = reservation.customer
    notification = Notification(
        reservation=reservation,
        customer=customer,
        kind=kind,
        dedupe_key=key,
        scheduled_for=scheduled_for or clock_now(),
        request_id=current_request_id(),
    )
    if not customer.email:
        notification.status = Notification.Status.FAILED
        notification.last_error = "The guest has no email address."
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None
    return notification


def invitation_notification_add(*, invitation) -> Notification | None:
    """Write the invitation's email (once per invitation), due now; None when it existed."""
    notification = Notification(
        invitation=invitation,
        kind=Notification.Kind.INVITATION,
        dedupe_key=f"invitation:{invitation.pk}",
        scheduled_for=clock_now(),
        request_id=current_request_id(),
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None
    return notification
