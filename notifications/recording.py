"""Recording: the outbox rows a change writes in its own transaction, the deliverer woken
(notifications.tasks) only once that transaction commits, so a rolled-back change sends
nothing and a committed one always has its row.

A reservation's change reaches this module as an event (reservations.events): the handlers
below are subscribed at start-up (NotificationsConfig.ready) and run inside the writing
transaction; reservations never imports notifications.
"""

from datetime import datetime

from django.db import transaction

from core.clock import now as clock_now
from core.errors import InvalidTransition, NoEmailAddress
from notifications import tasks
from notifications.models import Notification
from notifications.outbox import invitation_notification_add, notification_add
from reservations.events import ReservationChanged, ReservationCreated, ReservationStatusChanged
from reservations.models import Reservation
from restaurants.events import StaffInvited
from restaurants.models import StaffInvitation


def notification_record(
    *,
    reservation,
    kind: str,
    scheduled_for: datetime | None = None,
    change_key: str = "",
) -> Notification | None:
    """Record ``kind`` for ``reservation`` inside the caller's transaction; delivery is
    enqueued only once that transaction commits. A kind already recorded for the reservation
    is not recorded again (``changed`` is keyed per change by ``change_key``). Returns the new
    row, or None when it existed."""
    notification = notification_add(
        reservation=reservation,
        kind=kind,
        scheduled_for=scheduled_for,
        change_key=change_key,
    )
    if notification is not None and notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: tasks.delivery_wake(), robust=True)
    return notification


@transaction.atomic
def notification_resend(*, notification: Notification) -> Notification:
    """Put a failed notification back in the outbox (the admin's "resend")."""
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.status != Notification.Status.FAILED:
        raise InvalidTransition("Only a failed notification can be resent.")
    if not locked.recipient_email:
        raise NoEmailAddress()
    locked.status = Notification.Status.PENDING
    locked.attempts = 0
    locked.scheduled_for = clock_now()
    locked.claimed_until = None
    locked.save()
    transaction.on_commit(lambda: tasks.delivery_wake(), robust=True)
    return locked


# --- reservation events -----------------------------------------------------------------------

# Which guest email a transition records (issue 7); statuses not listed tell the guest nothing.
_EMAIL_FOR_STATUS = {
    Reservation.Status.CONFIRMED: Notification.Kind.CONFIRMED,
    Reservation.Status.CANCELLED: Notification.Kind.CANCELLED,
    Reservation.Status.EXPIRED: Notification.Kind.EXPIRED,
}


def record_reservation_created(event: ReservationCreated) -> None:
    """A hold asks the guest to confirm; a booking confirmed at once says so; a walk-in,
    seated as it is made, is told nothing: the guest is at the table (and often has given
    no address), so no row is written at all."""
    reservation = event.reservation
    if reservation.status == Reservation.Status.SEATED:
        return
    pending = reservation.status == Reservation.Status.PENDING
    kind = Notification.Kind.HOLD_CREATED if pending else Notification.Kind.CONFIRMED
    notification_record(reservation=reservation, kind=kind)


def record_reservation_changed(event: ReservationChanged) -> None:
    """One "changed" email per change (keyed by the row's new ``updated_at``)."""
    reservation = event.reservation
    notification_record(
        reservation=reservation,
        kind=Notification.Kind.CHANGED,
        change_key=reservation.updated_at.isoformat(),
    )


def record_reservation_status_changed(event: ReservationStatusChanged) -> None:
    kind = _EMAIL_FOR_STATUS.get(event.status)
    if kind is not None:
        notification_record(reservation=event.reservation, kind=kind)


# --- staff invitations ------------------------------------------------------------------------


def record_staff_invited(event: StaffInvited) -> None:
    """The invitation's email, with its set-password link, in the inviting transaction."""
    invitation = StaffInvitation.objects.get(pk=event.invitation_id)
    notification = invitation_notification_add(invitation=invitation)
    if notification is not None:
        transaction.on_commit(lambda: tasks.delivery_wake(), robust=True)
