"""The manage link: its holder acts as the reservation's guest, without an account."""

from reservations.actors import Actor
from reservations.manage_link import reservation_for_manage_link
from reservations.models import Reservation


def manage_link_actor(reservation: Reservation) -> Actor:
    """The holder of a reservation's manage link acts as its guest, without an account (the
    link was sent to the guest's e-mail): an anonymous guest of the reservation's restaurant,
    known by the guest profile's e-mail and phone."""
    guest = reservation.customer
    return Actor.anonymous_guest(
        restaurant_id=reservation.restaurant_id, email=guest.email, phone=guest.phone
    )


def manage_link_reservation(*, token: str, address: str) -> tuple[Reservation, Actor]:
    """The reservation a manage token names and the actor its holder is; an unknown token is a
    miss counted against ``address`` (reservations.manage_link: 404, or 429 over the budget)."""
    reservation = reservation_for_manage_link(token=token, address=address)
    return reservation, manage_link_actor(reservation)
