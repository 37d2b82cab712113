"""The reminder scan: which confirmed reservations are owed their reminder now, written as
outbox rows. The task that runs the scan (notifications.tasks) enqueues their delivery."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from core.clock import now as clock_now
from notifications.models import Notification
from notifications.outbox import notification_add
from reservations.models import Reservation
from restaurants.models import Restaurant


def reminders_record_due(*, now: datetime | None = None, limit: int = 1000) -> list[Notification]:
    """Write the reminder of every confirmed reservation whose reminder time has come:
    ``start_at - reminder_minutes_before <= now < start_at``, at most once (dedupe key), and
    never for one confirmed inside that window (its confirmation said it all). Each is written
    in its own transaction, committed on return; returns the rows written."""
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
    recorded = []
    for reservation_id in due_ids:
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=reservation_id, status=Reservation.Status.CONFIRMED, start_at__gt=now)
                .first()
            )
            reminder = reservation and notification_add(
                reservation=reservation, kind=Notification.Kind.REMINDER
            )
            if reminder:
                recorded.append(reminder)
    return recorded
