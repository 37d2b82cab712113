"""A signed-in user (the API): the actor they are at a restaurant, the reservations in their
scope, and booking for themselves or, as staff, for a guest they name."""

from datetime import date, time
from uuid import UUID

from core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from core.metrics import count_booking
from customers.models import Customer
from customers.selectors import customers_bookable_at
from reservations import selectors
from reservations.actors import Actor
from reservations.models import Reservation
from reservations.services.booking import (
    bookable_restaurant,
    refuse_actor_options,
    reservation_book,
)
from reservations.services.guests import GuestProfile, account_profile, local_profile
from reservations.services.limits import booking_attempt_count
from restaurants.models import Restaurant, StaffMembership

Source = Reservation.Source


def actor_for_user(user, restaurant_id: int) -> Actor:
    """The actor a signed-in user is at a restaurant: a superuser, its manager or host, or else
    a guest (the staff of another restaurant book elsewhere as guests). Staff wins over guest
    for someone who is also a guest of their own restaurant."""
    if not user or not user.is_authenticated:
        raise NotAuthenticated()
    if user.is_superuser:
        return Actor.superuser(user)
    role = selectors.staff_role_at(user, restaurant_id)
    if role == StaffMembership.Role.MANAGER:
        return Actor.manager(user, restaurant_id)
    if role == StaffMembership.Role.HOST:
        return Actor.host(user, restaurant_id)
    return Actor.guest(user)


def user_reservation(user, reservation_id: UUID) -> tuple[Reservation, Actor]:
    """A reservation in ``user``'s scope (404 otherwise: reservations.selectors) and the actor
    they act as on it."""
    reservation = selectors.reservation_for_user(user, reservation_id)
    return reservation, actor_for_user(user, reservation.restaurant_id)


def _guest_named_by(
    user,
    actor: Actor,
    restaurant: Restaurant,
    customer_id: int | None,
    customer: dict[str, str] | None,
) -> GuestProfile:
    """Who a signed-in user's booking is for. Staff name the guest: ``customer_id`` (a guest
    already in their scope) or ``customer`` (the restaurant's local profile found or made by
    e-mail or phone). Anyone else books for themselves: naming another guest is 403."""
    if actor.is_staff:
        if customer_id is not None and customer is not None:
            raise ValidationFailed.field("customer", "Give customer_id or customer, not both.")
        if customer is not None:
            return local_profile(restaurant, **customer)
        if customer_id is None:
            raise ValidationFailed.field(
                "customer_id", "Name the guest: give customer_id or a customer object."
            )
        # Only guests already of this restaurant (a reservation at or a profile made by it):
        # booking an arbitrary id, or a guest of another of the caller's restaurants, would
        # pull that profile into this restaurant's view. Others are found by e-mail or phone
        # through ``customer``.
        found = customers_bookable_at(user, restaurant.pk).filter(pk=customer_id).first()
        if found is None:
            raise ValidationFailed.field("customer_id", "No customer with this id.")
        return found

    if customer is not None:
        raise PermissionDenied(
            "Only the restaurant's staff can book for another guest.",
            details={"customer": ["Only the restaurant's staff can book for another guest."]},
        )
    own = account_profile(user)
    if customer_id is None or (isinstance(own, Customer) and own.pk == customer_id):
        return own
    if Customer.objects.filter(pk=customer_id).exists():
        raise PermissionDenied(
            "You can only book for yourself.",
            details={"customer_id": ["You can only book for yourself."]},
        )
    raise ValidationFailed.field("customer_id", "No customer with this id.")


@count_booking(channel="api")
def reservation_create(
    *,
    user,
    restaurant_id: int,
    reservation_date: date,
    reservation_time: time,
    party_size: int,
    customer_id: int | None = None,
    customer: dict[str, str] | None = None,
    table_id: int | None = None,
    table_ids: list[int] | None = None,
    override_tables: bool = False,
    notes: str = "",
    allergies: str = "",
    source: str | None = None,
    override_notice: bool = False,
    client_address: str | None = None,
    language: str = "",
    request_language: str = "",
) -> Reservation:
    """Book as a signed-in user (the API).

    Who: staff of the restaurant (or a superuser) book for a guest named by ``customer_id`` (a
    guest already in their scope) or found/created from ``customer``, from ``source`` (by
    default ``staff``); anyone else books for themselves, online (403 for another guest or
    another source). Only staff may ``override_notice`` or name the tables (``table_ids``:
    a combination of the restaurant), and only a manager (or a superuser) may
    ``override_tables`` to seat the party at any set of its tables. The guest's
    ``language`` (their e-mails'): as given, else, for a guest's own booking, the language
    they asked in (``request_language``); staff booking for a guest leave their own
    browser's out of it.
    Limits (anyone but staff): every attempt counts against ``client_address`` (the caller's
    address; None from inside: no count) before anything else, 429 ``throttled`` over the
    limit; the core refuses a new booking beyond the guest's hold limits (429 ``hold_limit``).
    Everything else is the core's (``reservation_book``): the rules, the table, the result.
    """
    actor = actor_for_user(user, restaurant_id)
    if actor.is_limited:
        booking_attempt_count(client_address=client_address)
    restaurant = bookable_restaurant(restaurant_id)
    source = source or (Source.STAFF if actor.is_staff else Source.ONLINE)
    # The actor's refusals first, before looking up whom the booking is for.
    refuse_actor_options(
        actor,
        restaurant_id=restaurant.pk,
        override_notice=override_notice,
        source=source,
        table_ids=table_ids,
        override_tables=override_tables,
    )
    guest = _guest_named_by(user, actor, restaurant, customer_id, customer)
    return reservation_book(
        restaurant=restaurant,
        guest=guest,
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
        table_id=table_id,
        table_ids=table_ids,
        override_tables=override_tables,
        actor=actor,
        source=source,
        notes=notes,
        allergies=allergies,
        override_notice=override_notice,
        language=language or ("" if actor.is_staff else request_language),
    )
