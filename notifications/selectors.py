from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet

from notifications.models import Notification
from restaurants.selectors import staff_restaurant_ids


def notifications_visible_to(user) -> QuerySet[Notification]:
    """The emails about reservations (not staff invitations). Superusers: all; staff: their
    restaurants' reservations; a guest: their own."""
    qs = (
        Notification.objects.filter(reservation__isnull=False)
        .select_related("reservation")
        .order_by("-created_at", "-pk")
    )
    if user.is_superuser:
        return qs
    staff_ids = staff_restaurant_ids(user)
    customer = getattr(user, "customer", None)
    scope = Q(reservation__restaurant_id__in=staff_ids)
    if customer is not None:
        scope |= Q(customer=customer)
    return qs.filter(scope)


def notifications_to_relay(*, now: datetime, limit: int) -> list[int]:
    """Ids of the due rows whose delivery task may have been lost, oldest first: pending rows
    past their time (a crash between commit and publish, a lost retry) and claims that lapsed
    (a worker died while sending)."""
    due = Notification.objects.filter(
        Q(status=Notification.Status.PENDING, scheduled_for__lte=now)
        | Q(status=Notification.Status.SENDING, claimed_until__lt=now)
    ).order_by("scheduled_for")
    return list(due.values_list("pk", flat=True)[:limit])


def outbox_backlog(*, now: datetime) -> tuple[int, datetime | None]:
    """How many rows are due and not yet sent (pending past their time, or being sent), and
    the time the oldest of them came due (None when there is none)."""
    due = Notification.objects.filter(
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
        scheduled_for__lte=now,
    ).aggregate(count=Count("pk"), oldest=Min("scheduled_for"))
    return due["count"], due["oldest"]
