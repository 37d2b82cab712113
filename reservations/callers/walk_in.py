"""A walk-in (the host stand, the API): the restaurant's staff seat a party at the door, now."""

from core.errors import NotFound, PermissionDenied
from core.metrics import count_booking
from reservations.callers.details import checked_details
from reservations.callers.signed_in import actor_for_user
from reservations.models import Reservation
from reservations.services.booking import (
    bookable_restaurant,
    refuse_actor_options,
    reservation_book,
)
from reservations.services.guests import walk_in_profile
from restaurants.models import Restaurant

Source = Reservation.Source


@count_booking(channel="api")
def reservation_walk_in(
    *,
    user,
    restaurant_id: int,
    party_size: int,
    guest_name: str = "",
    phone: str = "",
    email: str = "",
    notes: str = "",
    table_ids: list[int] | None = None,
) -> Reservation:
    """Seat a party that walked in, now (the host stand's "walk-in", the API's walk-ins).

    Who: the restaurant's host or manager, or a superuser (401 when not signed in, 403 for
    anyone else, a guest account or another restaurant's staff; 404 for a superuser naming no
    restaurant, 400 for one that takes no reservations). The guest: with an e-mail or
    a phone, the restaurant's local profile found or made by them; with neither, a profile of
    their own named ``guest_name`` (or "Walk-in") that nothing else matches
    (reservations.services.guests.walk_in_profile). ``table_ids``: the seating the host
    chose (a table or combination of the restaurant; a manager or superuser may name any of
    its tables, as ``override_tables``); without it the first free seating, in the booking
    core's order. Everything else is the core's (``reservation_book`` with ``walk_in``):
    seated now, source ``walk_in``, the same lock, occupancy and constraint as a booking;
    no e-mail is sent (the guest is at the door; notifications.recording)."""
    actor = actor_for_user(user, restaurant_id)
    if not actor.is_staff:
        raise PermissionDenied("Only the restaurant's staff can seat a walk-in.")
    if not Restaurant.objects.filter(pk=restaurant_id).exists():
        # Only a superuser gets here for an unknown id (staff work at a restaurant that is).
        raise NotFound("No restaurant with this id.")
    restaurant = bookable_restaurant(restaurant_id)
    override_tables = table_ids is not None and len(table_ids) > 1 and actor.is_manager
    refuse_actor_options(
        actor,
        restaurant_id=restaurant.pk,
        override_notice=False,
        source=Source.WALK_IN,
        table_ids=table_ids,
        override_tables=override_tables,
        walk_in=True,
    )
    # The details, each bad one a 400 naming its field; none is required.
    details = checked_details(
        texts={"guest_name": guest_name, "notes": notes}, email=email, phone=phone
    )
    guest_name, email, phone = details["guest_name"], details["email"], details["phone"]
    return reservation_book(
        restaurant=restaurant,
        guest=walk_in_profile(restaurant, guest_name=guest_name, email=email, phone=phone),
        reservation_date=None,
        reservation_time=None,
        party_size=party_size,
        table_id=None,
        table_ids=table_ids,
        override_tables=override_tables,
        actor=actor,
        source=Source.WALK_IN,
        notes=details["notes"],
        contact_phone=phone,
        walk_in=True,
    )
