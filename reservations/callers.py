"""Who may ask (docs/booking.md, "Callers"): one thin wrapper per caller over the booking core
and the transitions. Every check of who may ask lives here (what each kind of actor may do
once asking, such as overriding the notice, is the services' rule): a wrapper learns who
is asking from what its caller knows (the signed-in user, the admin's user, a manage token,
the guest page's form, a scheduled task), decides what they may name (which guest, which
reservation), builds the ``Actor`` and calls the services, which trust it.

    signed-in user (API)   reservation_create, user_reservation, actor_for_user
    the host stand, API    reservation_walk_in (staff seat a party at the door)
    the admin              admin_actor, admin_reservation_book, admin_reservation_change
    the manage link        manage_link_reservation
    the guest page         reservation_book_anonymous (a guest without an account)
    scheduled work         reservations.actors.SYSTEM (the expiry sweep)
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from accounts.emails import normalize_email
from accounts.phones import normalize_phone
from core.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from core.metrics import count_booking
from customers.models import Customer
from customers.selectors import customers_bookable_at
from reservations import selectors
from reservations.actors import Actor
from reservations.manage_link import reservation_for_manage_link
from reservations.models import Reservation
from reservations.services.booking import (
    Hold,
    bookable_restaurant,
    refuse_actor_options,
    reservation_book,
    reservation_change,
)
from reservations.services.guests import (
    GuestProfile,
    account_profile,
    local_profile,
    walk_in_profile,
)
from reservations.services.limits import booking_attempt_count
from restaurants.models import Restaurant, StaffMembership

Source = Reservation.Source

# --- a signed-in user (the API) ----------------------------------------------------------------


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


# --- a walk-in (the host stand, the API) ---------------------------------------------------------


def _walk_in_details(*, guest_name: str, email: str, phone: str, notes: str):
    """The walk-in's details, each bad one a 400 naming its field: a name of at most
    NAME_MAX characters, an e-mail that is one, a phone that normalises, notes of at most
    NOTES_MAX characters; none is required."""
    errors: dict[str, list[str]] = {}
    guest_name, email, notes = (guest_name or "").strip(), normalize_email(email), notes or ""
    for field, value, limit in (
        ("guest_name", guest_name, NAME_MAX),
        ("email", email, EMAIL_MAX),
        ("notes", notes, NOTES_MAX),
    ):
        if "\x00" in value:
            errors[field] = ["Null characters are not allowed."]
        elif len(value) > limit:
            errors[field] = [f"At most {limit} characters."]
    if email and "email" not in errors:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
    try:
        phone = normalize_phone(phone)
    except ValidationFailed as exc:
        errors.update(exc.details)
    if errors:
        raise ValidationFailed(details=errors)
    return guest_name, email, phone, notes


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
    guest_name, email, phone, notes = _walk_in_details(
        guest_name=guest_name, email=email, phone=phone, notes=notes
    )
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
        notes=notes,
        contact_phone=phone,
        walk_in=True,
    )


# --- the admin ---------------------------------------------------------------------------------


def admin_actor(user, restaurant_id: int) -> Actor:
    """The actor of someone using the admin on a restaurant's reservation: a superuser, or that
    restaurant's manager (the admin is theirs: docs/admin.md; hosts work at the host stand);
    anyone else 403."""
    actor = actor_for_user(user, restaurant_id)
    if not actor.is_manager:
        raise PermissionDenied("Only the restaurant's managers can do this in the admin.")
    return actor


def admin_reservation_book(
    *,
    user,
    restaurant_id: int,
    reservation_date: date,
    reservation_time: time,
    party_size: int,
    customer: dict[str, str],
    table_ids: list[int] | None = None,
    override_tables: bool = False,
    override_notice: bool = False,
    source: str = Source.STAFF,
    notes: str = "",
    allergies: str = "",
) -> Reservation:
    """Book in the admin, as its user (``admin_actor``: a superuser or the restaurant's
    manager, 403 otherwise), for the guest ``customer`` names (the restaurant's local profile
    found or made by e-mail or phone, as staff book in the API): the API's staff booking,
    rules and results included (``reservation_create``), never limited and never counted
    against an address."""
    admin_actor(user, restaurant_id)
    return reservation_create(
        user=user,
        restaurant_id=restaurant_id,
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
        customer=customer,
        table_ids=table_ids,
        override_tables=override_tables,
        override_notice=override_notice,
        source=source,
        notes=notes,
        allergies=allergies,
        client_address=None,
    )


def admin_reservation_change(
    *,
    user,
    reservation: Reservation,
    data: dict,
    override_notice: bool = False,
    override_tables: bool = False,
) -> Reservation:
    """Change a reservation in the admin, as its user (``admin_actor``): the core's change
    (``reservation_change``) with every rule it applies to staff."""
    return reservation_change(
        reservation=reservation,
        actor=admin_actor(user, reservation.restaurant_id),
        data=data,
        override_notice=override_notice,
        override_tables=override_tables,
    )


# --- the manage link ---------------------------------------------------------------------------


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


# --- the guest page: a guest without an account --------------------------------------------------

# A new profile's limits (customers.models.Customer), and the API's for notes.
NAME_MAX = Customer._meta.get_field("first_name").max_length
EMAIL_MAX = Customer._meta.get_field("email").max_length
NOTES_MAX = 2000


@dataclass(frozen=True)
class AnonymousBooking:
    """What a guest without an account learns of their booking: the hold and when it lapses.
    Nothing of the guest profile it went to (whether one existed, its names, other bookings),
    and not the manage token: the emailed link is what proves the e-mail is theirs."""

    reservation_id: UUID
    restaurant_id: int
    status: str
    reservation_date: date
    reservation_time: time
    party_size: int
    start_at: datetime
    end_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, reservation: Reservation) -> "AnonymousBooking":
        return cls(
            reservation_id=reservation.pk,
            restaurant_id=reservation.restaurant_id,
            status=reservation.status,
            reservation_date=reservation.reservation_date,
            reservation_time=reservation.reservation_time,
            party_size=reservation.party_size,
            start_at=reservation.start_at,
            end_at=reservation.end_at,
            expires_at=reservation.expires_at,
        )


def _anonymous_details(
    *, first_name: str, last_name: str, email: str, phone: str, notes: str, allergies: str
):
    """The guest's details, refused (400 naming each field) the same whether or not a profile
    with them exists: every check a new profile would meet is made here first, so an error
    never tells a known e-mail from a new one."""
    errors: dict[str, list[str]] = {}
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email, notes, allergies = normalize_email(email), notes or "", allergies or ""
    if not first_name:
        errors["first_name"] = ["Give the guest's first name."]
    for field, value, limit in (
        ("first_name", first_name, NAME_MAX),
        ("last_name", last_name, NAME_MAX),
        ("email", email, EMAIL_MAX),
        ("notes", notes, NOTES_MAX),
        ("allergies", allergies, NOTES_MAX),
    ):
        if "\x00" in value:
            errors[field] = ["Null characters are not allowed."]
        elif len(value) > limit:
            errors[field] = [f"At most {limit} characters."]
    if email and "email" not in errors:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
    try:
        phone = normalize_phone(phone)
    except ValidationFailed as exc:
        errors.update(exc.details)
    if not email and "email" not in errors:
        # The booking is a hold the guest confirms from the link sent to this address: without
        # one nobody could confirm it, and the table would stay held for nothing.
        errors["email"] = ["Give your e-mail address: you confirm the booking from our e-mail."]
    if errors:
        raise ValidationFailed(details=errors)
    return first_name, last_name, email, phone, notes, allergies


@count_booking(channel="page")
def reservation_book_anonymous(
    *,
    restaurant_id: int,
    reservation_date: date,
    reservation_time: time,
    party_size: int,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
    allergies: str = "",
    client_address: str | None,
    language: str = "",
) -> AnonymousBooking:
    """Book for a guest without an account (the guest booking page): an anonymous guest known
    by ``email`` (required: the guest confirms the hold from the link sent there; ``phone``
    optional, recorded on a new profile).

    The guest is the restaurant's own local profile found by normalised e-mail (never by
    phone, so the hold's e-mail always goes to the address typed), or created with the details
    given; a found profile is never edited, an account's profile
    never used, and the answer is the same whether one existed (``AnonymousBooking``). The
    booking is always a pending hold of the restaurant's hold minutes, even where it
    auto-confirms: the guest confirms it from the emailed link. Online, on a free table, never
    inside the notice. A guest's limits, as for every guest: the attempt counted against
    ``client_address`` before anything else (429 ``throttled``), then the hold limits of the
    profile's own bookings and of the phone's in the core (429 ``hold_limit``). The same
    details for the same time and party again, while the first hold lives, answer that
    hold (``selectors.anonymous_hold_for``)."""
    booking_attempt_count(client_address=client_address)
    first_name, last_name, email, phone, notes, allergies = _anonymous_details(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        notes=notes,
        allergies=allergies,
    )
    restaurant = bookable_restaurant(restaurant_id)
    repeat = selectors.anonymous_hold_for(
        restaurant_id=restaurant.pk,
        email=email,
        phone=phone,
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
    )
    if repeat is not None:
        return AnonymousBooking.of(repeat)
    reservation = reservation_book(
        restaurant=restaurant,
        guest=local_profile(
            restaurant, first_name=first_name, last_name=last_name, email=email, phone=phone
        ),
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
        table_id=None,
        actor=Actor.anonymous_guest(restaurant_id=restaurant.pk, email=email, phone=phone),
        source=Source.ONLINE,
        hold=Hold(always=True),
        notes=notes,
        allergies=allergies,
        language=language,
        contact_phone=phone,
    )
    return AnonymousBooking.of(reservation)
