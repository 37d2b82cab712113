"""Who may ask (docs/booking.md, "Callers"): one thin wrapper per caller over the booking core
and the transitions. Every check of who may ask lives here (what each kind of actor may do
once asking, such as overriding the notice, is the services' rule): a wrapper learns who
is asking from what its caller knows (the signed-in user, the admin's user, a manage token,
the guest page's form, a scheduled task), decides what they may name (which guest, which
reservation), builds the ``Actor`` and calls the services, which trust it. A module per
caller; every name is importable from here.

    signed-in user (API)   signed_in: reservation_create, user_reservation, actor_for_user
    the host stand, API    walk_in: reservation_walk_in (staff seat a party at the door)
    the admin              admin: admin_actor, admin_reservation_book, admin_reservation_change
    the manage link        manage_link: manage_link_reservation, manage_link_actor
    the guest page         guest_page: reservation_book_anonymous (a guest without an account)
    scheduled work         reservations.actors.SYSTEM (the expiry sweep)

What a guest without an account types (the guest page, a walk-in) is checked by one rule:
details.checked_details.
"""

from reservations.callers.admin import admin_actor, admin_reservation_book, admin_reservation_change
from reservations.callers.guest_page import AnonymousBooking, reservation_book_anonymous
from reservations.callers.manage_link import manage_link_actor, manage_link_reservation
from reservations.callers.signed_in import actor_for_user, reservation_create, user_reservation
from reservations.callers.walk_in import reservation_walk_in

__all__ = [
    "AnonymousBooking",
    "actor_for_user",
    "admin_actor",
    "admin_reservation_book",
    "admin_reservation_change",
    "manage_link_actor",
    "manage_link_reservation",
    "reservation_book_anonymous",
    "reservation_create",
    "reservation_walk_in",
    "user_reservation",
]
