from django.db.models import QuerySet

from notifications.models import Notification
from restaurants.selectors import staff_restaurant_ids


def notifications_visible_to(user) -> QuerySet[Notification]:
    """Superusers: all; staff: their restaurants' reservations; a guest: their own."""
    qs = Notification.objects.select_related("reservation").order_by("-created_at", "-pk")
    if user.is_superuser:
        return qs
    staff_ids = staff_restaurant_ids(user)
    customer = getattr(user, "customer", None)
    from django.db.models import Q

    scope = Q(reservation__restaurant_id__in=staff_ids)
    if customer is not None:
        scope |= Q(customer=customer)
    return qs.filter(scope)
