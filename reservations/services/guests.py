"""How the booking core gets the guest's profile: a profile, or how to find or make it inside
the booking's transaction (so a profile made for a booking that then fails is not left
behind). Who may book for whom is not decided here but by the callers (reservations.callers).
"""

from collections.abc import Callable

from core.errors import ValidationFailed
from customers.models import Customer
from customers.services import (
    WALK_IN_NAME,
    customer_create,
    customer_create_walk_in,
    customer_find_or_create,
)
from restaurants.models import Restaurant

# A guest profile, or how to get it inside the booking's transaction.
GuestProfile = Customer | Callable[[], Customer]


def account_profile(user) -> GuestProfile:
    """The account's own profile. An account without one (an account made in the admin, say)
    gets one from the account when it first books."""
    own = Customer.objects.filter(user=user).first()
    if own is not None:
        return own

    def create() -> Customer:
        try:
            return customer_create(
                user=user,
                first_name=user.first_name or user.email.split("@")[0],
                last_name=user.last_name,
                email=user.email,
            )
        except ValidationFailed as exc:
            # Another account profile has the address (a login changed under it); restaurants'
            # local profiles with it never block this and are never taken over.
            raise ValidationFailed.field(
                "customer_id",
                "Your account has no guest profile and one cannot be made for its e-mail "
                "address; contact the restaurant.",
            ) from exc

    return create


def local_profile(
    restaurant: Restaurant,
    *,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Callable[[], Customer]:
    """The restaurant's own local profile of a guest named by e-mail and/or phone, found or
    created (``customer_find_or_create``: never an account's profile, never edited when found)."""
    return lambda: customer_find_or_create(
        restaurant=restaurant, first_name=first_name, last_name=last_name, email=email, phone=phone
    )


def walk_in_profile(
    restaurant: Restaurant, *, guest_name: str = "", email: str = "", phone: str = ""
) -> Callable[[], Customer]:
    """The guest of a walk-in: with an e-mail or a phone, the restaurant's local profile found
    or created by them (``local_profile``, as for a staff booking); with neither, a new
    profile of their own named ``guest_name`` (``customer_create_walk_in``). The name is
    split at its first space into first and last name."""
    first_name, _, last_name = (guest_name or "").strip().partition(" ")
    if email or phone:
        return local_profile(
            restaurant,
            first_name=first_name or WALK_IN_NAME,
            last_name=last_name.strip(),
            email=email,
            phone=phone,
        )
    return lambda: customer_create_walk_in(
        restaurant=restaurant, first_name=first_name, last_name=last_name.strip()
    )


def profile_of(guest: GuestProfile) -> Customer:
    return guest() if callable(guest) else guest
