"""Delivery of the outbox in batches: a worker claims many due rows in one statement, sends
them over one SMTP connection, and records each message's outcome as soon as the server has
answered for it; at most once per claim, with retries for transient SMTP failures. The tasks
(notifications.tasks) call this; nothing here enqueues.

A claim (status ``sending`` with a lease and a claim token) is taken in a short transaction,
the SMTP conversation runs outside any transaction, and each outcome is one single-row update
guarded by the claim token, retried on a new database connection when the old one broke. A
worker killed mid-batch leaves the row in flight and the rows not yet sent under a lease that
lapses; the periodic relay then hands them to another worker. The windows in which a guest may
get a message twice: the worker dies between the server's acceptance of a message and the
commit of its ``sent``, or the database stays unreachable for longer than the retry budget;
the copy carries the same Message-ID, so the two are recognisably one.
"""

import logging
import random
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F

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


# What stale_reason reads, read again for a row whose turn comes later in its batch.
_FRESH_FIELDS = {
    "reservation": ("status", "start_at", "expires_at"),
    "invitation": ("accepted_at", "revoked_at", "expires_at"),
}


def _gone_stale(notification: Notification) -> bool:
    """Whether a claimed row's message stopped being true since its claim (the rows before it
    in the batch took their time): read again in one query; a stale row ends ``failed`` as
    at the claim, unsent, its attempt not counted."""
    relation = "invitation" if notification.invitation_id else "reservation"
    names = _FRESH_FIELDS[relation]
    fresh = (
        Notification.objects.filter(pk=notification.pk)
        .values_list(*(f"{relation}__{name}" for name in names))
        .first()
    )
    if fresh is None:
        return False  # the row is gone: its outcome's guarded update finds nothing
    related = getattr(notification, relation)
    for name, value in zip(names, fresh, strict=True):
        setattr(related, name, value)
    reason = stale_reason(notification, clock_now())
    if reason is None:
        return False
    _finish(
        notification,
        status=Notification.Status.FAILED,
        last_error=f"Not sent, no longer true: {reason}.",
        attempts=F("attempts") - 1,
    )
    EMAILS.labels(kind=notification.kind, result="stale").inc()
    return True


def _connection_lost(exc: Exception) -> bool:
    """The SMTP connection cannot carry the next message: it dropped, timed out, or the server
    said it is closing it (421). A refused recipient or a 4xx/5xx reply to one message leaves
    the conversation usable (smtplib resets it)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


@dataclass
class Delivered:
    """One claimed row's outcome: "sent" | "retry" | "failed" | "unrecorded" | "released"
    (given back unsent, its attempt not counted) | "stale" (no longer true when its turn in
    the batch came: failed unsent), with the delay before its retry."""

    notification: Notification
    outcome: str
    delay: float | None = None


def _claim_sql(*, one: bool) -> str:
    """``UPDATE ... WHERE id IN (SELECT ... due ... LIMIT n [FOR UPDATE SKIP LOCKED])
    RETURNING id``: due rows are pending rows past their time and sending rows whose claim
    lapsed. On PostgreSQL concurrent claimers skip each other's locked rows, so no row is in
    two claims; SQLite serializes write transactions, so the plain subquery is enough there.
    SQLite (3.35+) and PostgreSQL both take ``RETURNING``."""
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    locking = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    return (
        f"UPDATE {table} SET {quote('status')} = %s, {quote('attempts')} ="
        f" {quote('attempts')} + 1, {quote('claimed_until')} = %s, {quote('claim_token')} = %s,"
        f" {quote('updated_at')} = %s"
        f" WHERE {quote('id')} IN (SELECT {quote('id')} FROM {table}"
        f" WHERE {quote('scheduled_for')} <= %s AND ("
        f"{quote('status')} = %s OR ({quote('status')} = %s AND ({quote('claimed_until')} IS NULL"
        f" OR {quote('claimed_until')} <= %s)))"
        + (f" AND {quote('id')} = %s" if one else "")
        + f" ORDER BY {quote('scheduled_for')}, {quote('id')} LIMIT %s{locking})"
        f" RETURNING {quote('id')}"
    )


def notifications_claim(
    *, now: datetime, limit: int, notification_id: int | None = None
) -> list[Notification]:
    """The deliverable rows of one claim (``_claim``)."""
    return _claim(now=now, limit=limit, notification_id=notification_id)[0]


def _claim(
    *, now: datetime, limit: int, notification_id: int | None = None
) -> tuple[list[Notification], int]:
    """Claim up to ``limit`` due rows (only ``notification_id`` when given) in one statement,
    oldest first, and load them with what their messages need in one query. A row that is
    sent, failed, not yet due or under someone else's live claim is not taken: a repeated task
    does nothing. A row whose message is no longer true (a reminder after a cancellation, a
    hold email after the hold lapsed) ends ``failed`` with the reason, unsent, its attempt not
    counted. All claimed rows share one claim token, new for this claim. Returns the rows to
    send and how many rows were claimed (the stale ones included)."""
    token = uuid.uuid4()
    claimed_until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    field = Notification._meta.get_field
    params = [
        Notification.Status.SENDING,
        field("claimed_until").get_db_prep_value(claimed_until, connection),
        field("claim_token").get_db_prep_value(token, connection),
        field("updated_at").get_db_prep_value(clock_now(), connection),
        field("scheduled_for").get_db_prep_value(now, connection),
        Notification.Status.PENDING,
        Notification.Status.SENDING,
        field("claimed_until").get_db_prep_value(now, connection),
        *([notification_id] if notification_id is not None else []),
        limit,
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(one=notification_id is not None), params)
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return [], 0
        rows = list(
            Notification.objects.select_related(
                "customer", "reservation__restaurant", "invitation__restaurant"
            )
            .filter(pk__in=ids)
            .order_by("scheduled_for", "pk")
        )
        unnamed = []
        for row in rows:
            message_id = message_id_for(row)
            if row.message_id != message_id:
                row.message_id = message_id
                unnamed.append(row)
        if unnamed:  # a row's first claim: one statement for all of them
            Notification.objects.bulk_update(unnamed, ["message_id"])
        deliverable = []
        for row in rows:
            reason = stale_reason(row, now)
            if reason is None:
                deliverable.append(row)
                continue
            Notification.objects.filter(pk=row.pk, claim_token=token).update(
                status=Notification.Status.FAILED,
                last_error=f"Not sent, no longer true: {reason}.",
                claimed_until=None,
                attempts=F("attempts") - 1,
                updated_at=clock_now(),
            )
            EMAILS.labels(kind=row.kind, result="stale").inc()
    return deliverable, len(ids)


def notification_claim(*, notification_id: int, now: datetime) -> Notification | None:
    """Claim one row if it is due (``notifications_claim`` for one id): None otherwise."""
    claimed = notifications_claim(now=now, limit=1, notification_id=notification_id)
    return claimed[0] if claimed else None


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


def _release(notifications: list[Notification]) -> None:
    """Give claimed rows that were never tried back to the outbox, due at once and their
    attempt not counted (one statement, guarded by the claim token). Best effort: a row
    left behind stays under its claim, and the relay hands it out when the claim lapses."""
    if not notifications:
        return
    token = notifications[0].claim_token

    def write() -> int:
        return Notification.objects.filter(
            pk__in=[n.pk for n in notifications],
            status=Notification.Status.SENDING,
            claim_token=token,
        ).update(
            status=Notification.Status.PENDING,
            attempts=F("attempts") - 1,
            claimed_until=None,
            updated_at=clock_now(),
        )

    try:
        retry_on_new_connection(
            write,
            retries=settings.NOTIFICATION_FINISH_RETRIES,
            backoff_seconds=settings.NOTIFICATION_FINISH_BACKOFF_SECONDS,
            what=f"{len(notifications)} notifications: giving back unsent",
        )
    except (OperationalError, InterfaceError) as exc:
        logger.warning(
            "%s claimed notifications could not be given back (%s); they go out once their "
            "claim lapses",
            len(notifications),
            exc.__class__.__name__,
        )


def _postpone_untried(notifications: list[Notification], error: str) -> list[Delivered]:
    """The connection broke before these were tried: back to ``pending`` with backoff, their
    attempt not counted (they are never failed for another message's broken connection)."""
    delivered = []
    for notification in notifications:
        delay = retry_delay(max(notification.attempts - 1, 1))
        _finish(
            notification,
            status=Notification.Status.PENDING,
            attempts=F("attempts") - 1,
            last_error=error,
            scheduled_for=clock_now() + timedelta(seconds=delay),
        )
        delivered.append(Delivered(notification, "retry", delay))
    return delivered


def _record_failure(notification: Notification, exc: Exception) -> Delivered:
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
        return Delivered(notification, "retry", delay)
    _finish(notification, status=Notification.Status.FAILED, last_error=error)
    logger.error("Notification %s failed: %s", notification.pk, error)
    return Delivered(notification, "failed")


def _record_sent(notification: Notification) -> Delivered:
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
        return Delivered(notification, "unrecorded")
    if not current:
        # Either an earlier try committed before its connection broke, or a newer claim took
        # the row over (ours had lapsed); in both cases the row already says what it should.
        logger.warning(
            "Notification %s was sent, but the row no longer carried this claim; left as it is",
            notification.pk,
        )
    return Delivered(notification, "sent")


def notifications_send(
    claimed: list[Notification], *, deadline: float | None = None
) -> list[Delivered]:
    """Send claimed rows over one SMTP connection, one message at a time, each outcome
    recorded (``_finish``) as soon as the server answered for that message, so a crash
    mid-batch leaves at most the message in flight unrecorded. A refused message fails or
    retries alone; a connection that breaks sends the rest back to ``pending`` with backoff.
    Past ``deadline`` (``time.monotonic()``; by default half the claim's life from now, so
    no claim lapses while its worker still works) the untried rest is given back."""
    if not claimed:
        return []
    if deadline is None:
        deadline = time.monotonic() + settings.NOTIFICATION_CLAIM_SECONDS / 2
    smtp = get_connection(fail_silently=False)
    try:
        smtp.open()
    except Exception as exc:
        if isinstance(exc, SoftTimeLimitExceeded):
            _release(claimed)
            raise
        # Nothing could be tried, as for one message: each row's attempt counts.
        return [_record_failure(notification, exc) for notification in claimed]
    delivered: list[Delivered] = []
    untried = list(claimed)
    try:
        while untried:
            if time.monotonic() > deadline:
                _release(untried)
                delivered += [Delivered(n, "released") for n in untried]
                untried = []
                break
            notification = untried.pop(0)
            if delivered and _gone_stale(notification):
                # Changed since the claim while the batch was out (a cancellation, say).
                delivered.append(Delivered(notification, "stale"))
                continue
            try:
                message = build_email(notification)
                message.connection = smtp
                message.send(fail_silently=False)
            except SoftTimeLimitExceeded:
                # The message in flight stays under its claim (it may have gone out).
                raise
            except Exception as exc:
                delivered.append(_record_failure(notification, exc))
                if _connection_lost(exc):
                    error = f"Not tried, the SMTP connection broke: {exc.__class__.__name__}"
                    delivered += _postpone_untried(untried, error)
                    untried = []
                continue
            delivered.append(_record_sent(notification))
    finally:
        # A crash or a time limit here: what was never tried goes back at once.
        _release(untried)
        try:
            smtp.close()
        except Exception as exc:  # the conversation is over; its outcomes are recorded
            logger.info("Closing the SMTP connection failed (%s)", exc.__class__.__name__)
    for item in delivered:
        if item.outcome not in ("released", "stale"):  # stale: counted by _gone_stale
            EMAILS.labels(kind=item.notification.kind, result=item.outcome).inc()
    return delivered


def notifications_deliver_batch(
    *, limit: int | None = None, deadline: float | None = None
) -> tuple[list[Delivered], int]:
    """Claim one batch of due rows (``NOTIFICATION_BATCH_SIZE``) and send it: the outcomes and
    how many rows the claim took (stale ones included; 0 when none was due)."""
    claimed, count = _claim(now=clock_now(), limit=limit or settings.NOTIFICATION_BATCH_SIZE)
    return notifications_send(claimed, deadline=deadline), count


def notification_deliver(*, notification_id: int) -> tuple[str, float | None]:
    """Deliver one notification through the batch path (a task queued per row before batching,
    and retries scheduled for one row). Returns ("sent" | "skipped" | "retry" | "failed" |
    "unrecorded", the delay before the retry). "unrecorded": the SMTP server accepted the
    message but the database could not be told within the retry budget; the row stays
    ``sending`` and is sent again (same Message-ID) once its claim lapses."""
    notification = notification_claim(notification_id=notification_id, now=clock_now())
    if notification is None:
        return "skipped", None
    [result] = notifications_send([notification])
    if result.outcome == "released":
        return "skipped", None
    return result.outcome, result.delay
