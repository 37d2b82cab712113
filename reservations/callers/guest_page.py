"""The guest page: a guest without an account books a hold they confirm from the e-mailed link."""

from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from core.metrics import count_booking
from reservations import selectors
from reservations.actors import Actor
from reservations.callers.details import checked_details
from reservations.models import Reservation
from reservations.services.booking import Hold, bookable_restaurant, reservation_book
from reservations.services.guests import local_profile
from reservations.services.limits import booking_attempt_count

Source = Reservation.Source


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
    # Refused the same whether or not a profile with them exists: every check a new profile
    # would meet is made here first, so an error never tells a known e-mail from a new one.
    # The e-mail is required: the booking is a hold the guest confirms from the link sent
    # there; without one nobody could confirm it, and the table would stay held for nothing.
    details = checked_details(
        texts={
            "first_name": first_name,
            "last_name": last_name,
            "notes": notes,
            "allergies": allergies,
        },
        email=email,
        phone=phone,
        required={
            "first_name": "Give the guest's first name.",
            "email": "Give your e-mail address: you confirm the booking from our e-mail.",
        },
    )
    first_name, last_name = details["first_name"], details["last_name"]
    email, phone = details["email"], details["phone"]
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
        notes=details["notes"],
        allergies=details["allergies"],
        language=language,
        contact_phone=phone,
    )
    return AnonymousBooking.of(reservation)
