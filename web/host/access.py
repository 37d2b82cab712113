"""Who may open a restaurant's host stand: its hosts and managers, and superusers everywhere.

Everyone else gets a 404 for every slug, existing or not, so the host stand reveals no
restaurant. Someone not signed in is sent to the sign-in page first (for every slug alike,
so that too reveals nothing).
"""

from dataclasses import dataclass

from django.http import Http404

from reservations.actors import Actor
from reservations.callers import actor_for_user
from restaurants.models import Restaurant, StaffMembership


@dataclass(frozen=True)
class HostStand:
    """A signed-in member of staff at one restaurant: what every host-stand view works with."""

    restaurant: Restaurant
    actor: Actor

    @property
    def can_manage(self) -> bool:
        """Managers (and superusers) also see the links to edit the restaurant."""
        return self.actor.is_manager


def host_restaurants(user):
    """The restaurants ``user`` may open the host stand of, by name (superusers: all)."""
    if not user.is_authenticated:
        return Restaurant.objects.none()
    if user.is_superuser:
        return Restaurant.objects.order_by("name")
    return (
        Restaurant.objects.filter(
            memberships__user=user,
            memberships__role__in=(StaffMembership.Role.HOST, StaffMembership.Role.MANAGER),
        )
        .distinct()
        .order_by("name")
    )


def host_stand(user, slug: str) -> HostStand:
    """The host stand of the restaurant ``slug`` for a signed-in ``user``; 404 when it does not
    exist or the user is not its staff (nor a superuser)."""
    restaurant = host_restaurants(user).filter(slug=slug).first()
    if restaurant is None:
        raise Http404("No such restaurant.")
    actor = actor_for_user(user, restaurant.pk)
    if not actor.is_staff:  # pragma: no cover - host_restaurants holds staff only
        raise Http404("No such restaurant.")
    return HostStand(restaurant=restaurant, actor=actor)
