"""The outbox's rows: one per message a guest is owed, written inside the caller's transaction
so it commits or rolls back with the change that owes it.

Nothing here publishes a delivery: after a reservation change, ``notifications.recording``
enqueues one once the transaction commits; the reminder scan's task enqueues the reminders it
wrote; the relay picks up any row whose task was lost.
"""

from datetime import datetime

from django.db import IntegrityError, connection, transaction

from core.clock import now as clock_now
from core.request_id import current_request_id
from notifications.models import Notification


def notification_add(
    *,
    reservation,
    kind: str,
    scheduled_for: datetime | None = None,
    change_key: str = "",
) -> Notification | None:
    """Write ``kind`` for ``reservation``, due at ``scheduled_for`` (now by default), unless
    that kind is already written for the reservation (``changed`` is keyed per change by
    ``change_key``): the new row, or None when it existed. A guest without an e-mail address
    gets a row that is ``failed`` at once, so staff can see the guest was not told.

    One statement, ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``: a row
    already there is no error, so the caller's transaction needs no savepoint around it."""
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
    return notification if _insert_unless_recorded(notification) else None


def _insert_unless_recorded(notification: Notification) -> bool:
    """Insert the row unless its ``dedupe_key`` is taken; True when it was inserted (its id
    then set). PostgreSQL and SQLite (3.35+) both take ``ON CONFLICT ... RETURNING``."""
    meta = Notification._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(notification, True), connection) for field in fields
    ]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" ON CONFLICT ({quote(meta.get_field('dedupe_key').column)}) DO NOTHING"
        f" RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    notification.pk = row[0]
    notification._state.adding = False
    notification._state.db = connection.alias
    return True


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
