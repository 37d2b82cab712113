"""Who may open a restaurant's host stand: its hosts and managers, and superusers everywhere.

Everyone else gets a 404 for every slug, existing or not, so the host stand reveals no
restaurant. Someone not signed in is sent to the sign-in page first (for every slug alike,
so that too reveals nothing).
"""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from reservations.actors import Actor
from reservations.callers import actor_for_user
from restaurants.models import Restaurant
from restaurants.selectors import restaurants_staffed_by


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
    """The restaurants ``user`` may open the host stand of, by name: those they work at
    (restaurants.selectors.restaurants_staffed_by; every one for a superuser)."""
    return restaurants_staffed_by(user).order_by("name")


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


def staff_page(view):
    """Someone not signed in goes to the sign-in page first (for every slug alike); anyone
    signed in who is not the restaurant's staff gets a 404 (``host_stand``)."""

    @wraps(view)
    def wrapper(request, slug: str, **kwargs):
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('host:home')}?{query}")
        stand = host_stand(request.user, slug)
        # Every time the page shows is the restaurant's.
        with timezone.override(stand.restaurant.tz):
            return view(request, stand, **kwargs)

    return wrapper
