"""Who a booking is for, and from where it was made."""

from collections.abc import Callable

from core.errors import PermissionDenied, ValidationFailed
from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.services import customer_create, customer_find_or_create
from reservations.actors import Actor
from reservations.models import Reservation
from restaurants.models import Restaurant


def _own_profile_or_new(user) -> Callable[[], Customer]:
    """A guest books for their own profile. An account without one (an account made in the
    admin, say) gets one from the account when it first books."""

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


def guest_of_booking(
    *,
    user,
    actor: Actor,
    restaurant: Restaurant,
    customer_id: int | None,
    customer: dict[str, str] | None,
) -> Callable[[], Customer]:
    """Check who the booking is for and return how to get that profile inside the booking's
    transaction (so a profile made for a booking that then fails is not left behind)."""
    if actor == Actor.STAFF:
        if customer_id is not None and customer is not None:
            raise ValidationFailed.field("customer", "Give customer_id or customer, not both.")
        if customer is not None:
            return lambda: customer_find_or_create(restaurant=restaurant, **customer)
        if customer_id is None:
            raise ValidationFailed.field(
                "customer_id", "Name the guest: give customer_id or a customer object."
            )
        # Only guests already in the caller's scope (a reservation at or a profile made by one
        # of their restaurants): booking an arbitrary id would pull any profile into view.
        # Others are found by e-mail or phone through ``customer``.
        found = customers_visible_to(user).filter(pk=customer_id).first()
        if found is None:
            raise ValidationFailed.field("customer_id", "No customer with this id.")
        return lambda: found

    if customer is not None:
        raise PermissionDenied(
            "Only the restaurant's staff can book for another guest.",
            details={"customer": ["Only the restaurant's staff can book for another guest."]},
        )
    own = Customer.objects.filter(user=user).first()
    if customer_id is None or (own is not None and own.pk == customer_id):
        return (lambda: own) if own is not None else _own_profile_or_new(user)
    if Customer.objects.filter(pk=customer_id).exists():
        raise PermissionDenied(
            "You can only book for yourself.",
            details={"customer_id": ["You can only book for yourself."]},
        )
    raise ValidationFailed.field("customer_id", "No customer with this id.")


def booking_source(actor: Actor, source: str | None) -> str:
    if actor == Actor.STAFF:
        return source or Reservation.Source.STAFF
    if source not in (None, Reservation.Source.ONLINE):
        raise PermissionDenied(
            "Guests book online.", details={"source": ["Only staff can set the source."]}
        )
    return Reservation.Source.ONLINE
