"""The outbox: notifications are recorded with the change that causes them and delivered by a
worker after commit, at most once per dedupe key, with retries for transient SMTP failures.

Delivery claims a row (status ``sending`` with a lease and a claim token) in a short
transaction, talks to the SMTP server outside any transaction, then marks the row ``sent``,
retrying that on a new database connection when the old one broke. A worker killed after the
claim leaves a lapsed lease that the periodic relay hands to another worker. The windows in
which a guest may get a message twice: the worker dies between the server's acceptance of the
message and the commit of ``sent``, or the database stays unreachable for longer than the
retry budget; the copy carries the same Message-ID, so the two are recognisably one.
"""

import logging
import random
import smtplib
import socket
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
)

from core.clock import now as clock_now
from core.errors import InvalidTransition, NoEmailAddress
from core.reconnecting import retry_on_new_connection
from notifications.emails import build_email, message_id_for
from notifications.models import Notification

logger = logging.getLogger(__name__)


# --- recording --------------------------------------------------------------------------------


def _enqueue(notification_id: int, countdown: float | None = None) -> None:
    """Publish a delivery task. A broker that does not answer is logged, not raised: the row
    is committed, and the relay hands it to a worker once the broker is back."""
    from notifications.tasks import deliver_notification

    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown, retry=False)
    except Exception as exc:  # any broker failure; the outbox row is the source of truth
        logger.warning(
            "Notification %s: enqueue failed (%s); the relay will retry", notification_id, exc
        )


def notification_record(
    *, reservation, kind: str, scheduled_for: datetime | None = None, change_key: str = ""
) -> Notification | None:
    """Record ``kind`` for ``reservation`` inside the caller's transaction; delivery is
    enqueued only once that transaction commits. A kind already recorded for the reservation
    is not recorded again (``changed`` is keyed per change by ``change_key``). Returns the new
    row, or None when it existed."""
    key = f"{reservation.pk}:{kind}" + (f":{change_key}" if change_key else "")
    customer = reservation.customer
    when = scheduled_for or clock_now()
    notification = Notification(
        reservation=reservation,
        customer=customer,
        kind=kind,
        dedupe_key=key,
        scheduled_for=when,
    )
    if not customer.email:
        # A phone-only guest: kept, visibly, so staff know the guest was not told.
        notification.status = Notification.Status.FAILED
        notification.last_error = "The guest has no email address."
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None
    if notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: _enqueue(notification.pk), robust=True)
    return notification


# --- delivery ---------------------------------------------------------------------------------

TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


def _is_transient(exc: Exception) -> bool:
    """4xx replies and failures to reach the server may pass; 5xx replies and anything else
    (a broken template, a refused login) will not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def retry_delay(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return random.uniform(ceiling / 2, ceiling)


def stale_reason(notification: Notification, now: datetime) -> str | None:
    """Why an email is no longer true at delivery time (a retry can come much later than the
    change that recorded it), or None when it still is."""
    reservation = notification.reservation
    status = reservation.status
    kind = notification.kind
    if kind == Notification.Kind.REMINDER and (
        status != "confirmed" or now >= reservation.start_at
    ):
        return f"the reservation is {status} and starts at {reservation.start_at:%Y-%m-%d %H:%M}Z"
    if kind == Notification.Kind.CONFIRMED and status not in ("confirmed", "seated"):
        return f"the reservation is {status}"
    if kind == Notification.Kind.HOLD_CREATED and (
        status != "pending" or (reservation.expires_at and reservation.expires_at <= now)
    ):
        return "the hold is no longer open"
    return None


def notification_claim(*, notification_id: int, now: datetime) -> Notification | None:
    """Claim a due row for delivery. None when it is sent, failed, not yet due, or being
    delivered by someone else under a live claim: a repeated task does nothing. A row whose
    message is no longer true (a reminder after a cancellation, a hold email after the hold
    lapsed) ends ``failed`` with the reason, unsent."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("customer", "reservation__restaurant")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status in (
            Notification.Status.SENT,
            Notification.Status.FAILED,
        ):
            return None
        if notification.scheduled_for > now:
            return None
        if (
            notification.status == Notification.Status.SENDING
            and notification.claimed_until
            and notification.claimed_until > now
        ):
            return None
        reason = stale_reason(notification, now)
        if reason:
            notification.status = Notification.Status.FAILED
            notification.last_error = f"Not sent, no longer true: {reason}."
            notification.claimed_until = None
            notification.save(update_fields=["status", "last_error", "claimed_until", "updated_at"])
            return None
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.claimed_until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
        notification.claim_token = uuid.uuid4()
        notification.message_id = message_id_for(notification)
        notification.save(
            update_fields=[
                "status",
                "attempts",
                "claimed_until",
                "claim_token",
                "message_id",
                "updated_at",
            ]
        )
        return notification


def _finish(notification: Notification, **fields) -> bool:
    """Write the outcome only if our claim is still the current one: the row is ``sending``
    under our token (a resend restarts ``attempts``, so the count cannot tell claims apart).

    A broken database connection does not give up the outcome at once: the connection is
    closed and the update retried on a new one, ``NOTIFICATION_FINISH_RETRIES`` times with a
    backoff doubling from ``NOTIFICATION_FINISH_BACKOFF_SECONDS``. Repeating it is harmless
    (if an earlier try did commit, the row is no longer ``sending`` and nothing changes).
    Inside a caller's transaction nothing is retried: a new connection would not be in it."""

    def write_outcome() -> bool:
        updated = Notification.objects.filter(
            pk=notification.pk,
            status=Notification.Status.SENDING,
            claim_token=notification.claim_token,
        ).update(claimed_until=None, updated_at=clock_now(), **fields)
        return bool(updated)

    return retry_on_new_connection(
        write_outcome,
        retries=settings.NOTIFICATION_FINISH_RETRIES,
        backoff_seconds=settings.NOTIFICATION_FINISH_BACKOFF_SECONDS,
        what=f"Notification {notification.pk}: recording {fields['status']}",
    )


def notification_deliver(*, notification_id: int) -> tuple[str, float | None]:
    """Deliver one notification. Returns ("sent" | "skipped" | "retry" | "failed" |
    "unrecorded", the delay before the retry). "unrecorded": the SMTP server accepted the
    message but the database could not be told within the retry budget; the row stays
    ``sending`` and is sent again (same Message-ID) once its claim lapses."""
    notification = notification_claim(notification_id=notification_id, now=clock_now())
    if notification is None:
        return "skipped", None
    try:
        build_email(notification).send(fail_silently=False)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if _is_transient(exc) and notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            delay = retry_delay(notification.attempts)
            _finish(
                notification,
                status=Notification.Status.PENDING,
                last_error=error,
                scheduled_for=clock_now() + timedelta(seconds=delay),
            )
            logger.warning("Notification %s: transient failure (%s)", notification.pk, error)
            return "retry", delay
        _finish(notification, status=Notification.Status.FAILED, last_error=error)
        logger.error("Notification %s failed: %s", notification.pk, error)
        return "failed", None
    try:
        current = _finish(
            notification, status=Notification.Status.SENT, sent_at=clock_now(), last_error=""
        )
    except (OperationalError, InterfaceError) as exc:
        logger.error(
            "Notification %s (Message-ID %s) was accepted by the SMTP server but could not be "
            "recorded as sent (%s); it stays sending and goes out again, with the same "
            "Message-ID, once its claim lapses at %s",
            notification.pk,
            notification.message_id,
            exc.__class__.__name__,
            notification.claimed_until.isoformat(),
        )
        return "unrecorded", None
    if not current:
        # Either an earlier try committed before its connection broke, or a newer claim took
        # the row over (ours had lapsed); in both cases the row already says what it should.
        logger.warning(
            "Notification %s was sent, but the row no longer carried this claim; left as it is",
            notification.pk,
        )
    return "sent", None


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
    transaction.on_commit(lambda: _enqueue(locked.pk), robust=True)
    return locked


def notifications_relay_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue delivery of every due row whose task may have been lost: pending rows past
    their time (a crash between commit and publish, a lost retry) and claims that lapsed (a
    worker died while sending). Enqueuing twice is harmless: the claim decides."""
    now = now or clock_now()
    due = Notification.objects.filter(
        Q(status=Notification.Status.PENDING, scheduled_for__lte=now)
        | Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    ).order_by("scheduled_for")
    ids = list(due.values_list("pk", flat=True)[:limit])
    for notification_id in ids:
        _enqueue(notification_id)
    return len(ids)


# --- reminders --------------------------------------------------------------------------------


def reminders_record_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Record the reminder of every confirmed reservation whose reminder time has come:
    ``start_at - reminder_minutes_before <= now < start_at``, at most once (dedupe key), and
    never for one confirmed inside that window (its confirmation said it all)."""
    from reservations.models import Reservation
    from restaurants.models import Restaurant

    now = now or clock_now()
    # One condition per distinct lead time (restaurants share a handful of them): an integer
    # field times an interval has no portable SQL (SQLite refuses it), a constant interval
    # subtracted from a datetime column works on every backend.
    lead_times = (
        Restaurant.objects.filter(reservations__status=Reservation.Status.CONFIRMED)
        .values_list("reminder_minutes_before", flat=True)
        .distinct()
        .order_by()
    )
    due = Q(pk__in=[])
    for minutes in lead_times:
        lead = timedelta(minutes=minutes)
        due |= Q(
            restaurant__reminder_minutes_before=minutes,
            start_at__lte=now + lead,
            confirmed_at__lt=F("start_at") - lead,
        )
    already = Notification.objects.filter(
        reservation=OuterRef("pk"), kind=Notification.Kind.REMINDER
    )
    due_ids = list(
        Reservation.objects.filter(due, status=Reservation.Status.CONFIRMED, start_at__gt=now)
        .exclude(Exists(already))
        .order_by("start_at")
        .values_list("pk", flat=True)[:limit]
    )
    recorded = 0
    for reservation_id in due_ids:
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=reservation_id, status=Reservation.Status.CONFIRMED, start_at__gt=now)
                .first()
            )
            if reservation and notification_record(
                reservation=reservation, kind=Notification.Kind.REMINDER
            ):
                recorded += 1
    return recorded
