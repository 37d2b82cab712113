"""Delivery of the outbox: a worker claims a due row, sends it, records the outcome; at most
once per claim, with retries for transient SMTP failures. The tasks (notifications.tasks) call
this; nothing here enqueues.

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
from django.db import InterfaceError, OperationalError, transaction

from core.clock import now as clock_now
from core.metrics import EMAILS
from core.reconnecting import retry_on_new_connection
from notifications.emails import build_email, message_id_for
from notifications.models import Notification

logger = logging.getLogger(__name__)

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
    if notification.invitation_id:
        invitation = notification.invitation
        if invitation.accepted_at or invitation.revoked_at:
            return "the invitation was accepted or withdrawn"
        if invitation.expires_at <= now:
            return "the invitation has expired"
        return None
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
            # Only the row: the related ones are joined from nullable keys (an invitation's
            # email has no reservation), which PostgreSQL does not lock.
            Notification.objects.select_for_update(of=("self",))
            .select_related("customer", "reservation__restaurant", "invitation__restaurant")
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
            EMAILS.labels(kind=notification.kind, result="stale").inc()
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
    outcome, delay = _send_claimed(notification)
    EMAILS.labels(kind=notification.kind, result=outcome).inc()
    return outcome, delay


def _send_claimed(notification: Notification) -> tuple[str, float | None]:
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
