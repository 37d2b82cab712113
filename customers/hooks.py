"""What customers asks an app above it (core.hooks): the facts about guests that only their
reservations hold. The reservations app answers at start-up (ReservationsConfig.ready);
customers never imports it. Who may see a guest stays decided here, in customers.selectors."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Expression, QuerySet

from core.hooks import Hook

RestaurantIds = set[int]


@dataclass(frozen=True)
class GuestHistory:
    guests_with_reservations_at: Callable[[RestaurantIds], QuerySet]
    """Ids (``customer_id`` values, for ``pk__in``) of the guest profiles with a reservation
    of any status at one of the restaurants."""

    guests_who_booked_at: Callable[[RestaurantIds], QuerySet]
    """Ids of the account profiles whose own account made a reservation at one of the
    restaurants (not staff on the guest's behalf)."""

    visit_count: Callable[[RestaurantIds | None], Expression]
    """An annotation of Customer: their completed reservations at the restaurants (None:
    at every restaurant)."""

    no_show_count: Callable[[RestaurantIds | None], Expression]
    """An annotation of Customer: their reservations marked no-show there."""


guest_history: Hook[GuestHistory] = Hook("customers.guest_history")
