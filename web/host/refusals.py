"""The host stand's words for the services' refusals. The services speak English to every
caller, by error class (core.errors); the page says the same in the host's language, next to
the control that was refused."""

from django import forms
from django.utils.translation import gettext as _

from core.errors import (
    ApplicationError,
    ConcurrentChange,
    HoldLimit,
    InvalidTransition,
    Locked,
    NoTableFreeNow,
    NotChangeable,
    PacingLimit,
    PermissionDenied,
    ReservationExpired,
    ReservationNotStarted,
    RestaurantClosedNow,
    SlotUnavailable,
    Throttled,
    ValidationFailed,
)
from reservations.models import Reservation

# The inputs the services name in a ValidationFailed's details, and the host stand's form
# fields their refusals are shown next to (on whichever of its forms has that field). An input
# without a field here (the guest of a phone booking) is refused on the form.
FIELD_OF_DETAIL = {
    "reservation_date": "date",
    "reservation_time": "time",
    "party_size": "party_size",
    "table_ids": "tables",
    "table_id": "tables",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "notes": "notes",
    "allergies": "allergies",
    "guest_name": "guest_name",
    "reason": "reason",
}


def status_label(status: str) -> str:
    """The model's label of a status, in the page's language."""
    try:
        return str(Reservation.Status(status).label)
    except ValueError:
        return status


def field_refusal(field: str) -> str:
    """The page's words for the booking core's refusal of one input."""
    texts = {
        "reservation_date": _(
            "This date cannot be booked: it is past, beyond the booking horizon or closed."
        ),
        "reservation_time": _(
            "This time cannot be booked: choose a start of the day's service times, not in "
            "the past, and outside the notice unless you allow it."
        ),
        "party_size": _("The restaurant or these tables do not take a party of this size."),
        "table_ids": _("Choose tables of this restaurant in service that seat the party."),
        "table_id": _("Choose tables of this restaurant in service that seat the party."),
        "first_name": _("Enter the guest's first name, at most 150 characters."),
        "last_name": _("Enter at most 150 characters."),
        "email": _("Enter a valid email address."),
        "phone": _("Enter a valid phone number with its country code, e.g. +34 600 123 456."),
        "notes": _("Enter at most 2000 characters."),
        "allergies": _("Enter at most 2000 characters."),
        "reason": _("Enter a reason of at most 300 characters."),
        "customer_id": _("Choose the guest from the matches, or enter a new guest's name."),
        "customer": _("Choose the guest from the matches, or enter a new guest's name."),
        "guest_name": _("Enter a name of at most 150 characters."),
        "restaurant_id": _("This restaurant takes no reservations now."),
    }
    return texts.get(field, _("This value cannot be used here."))


def refusal(exc: ApplicationError) -> str:
    """What the host reads when a service refused: by the error's class, never its text."""
    if isinstance(exc, ReservationExpired):
        return _("The hold has expired: this reservation can no longer be confirmed.")
    if isinstance(exc, InvalidTransition):
        status = status_label((exc.details or {}).get("status", ""))
        return _("This reservation is %(status)s now: that is no longer possible.") % {
            "status": status.lower()
        }
    if isinstance(exc, ReservationNotStarted):
        return _("The reservation has not started yet: it can be a no-show only after its time.")
    if isinstance(exc, NotChangeable):
        status = status_label((exc.details or {}).get("status", ""))
        return _("A reservation that is %(status)s cannot be changed.") % {"status": status.lower()}
    if isinstance(exc, NoTableFreeNow):
        at = (exc.details or {}).get("next_free_time")
        if at:
            return _("No table for this party is free now. One frees up at %(time)s.") % {
                "time": at
            }
        return _("No table for this party is free now.")
    if isinstance(exc, RestaurantClosedNow):
        return _("The restaurant is not open now: walk-ins are seated during service only.")
    if isinstance(exc, ConcurrentChange):
        return _("Someone changed this reservation meanwhile. Look at it again and retry.")
    if isinstance(exc, SlotUnavailable):
        return _("These tables are taken at that time. Choose another time or other tables.")
    if isinstance(exc, PacingLimit):
        return _("That start is full: the most guests or parties per slot are booked.")
    if isinstance(exc, Locked):
        return _("Someone is booking these tables right now. Try again in a moment.")
    if isinstance(exc, HoldLimit | Throttled):
        return _("Too many bookings at once. Try again in a moment.")
    if isinstance(exc, PermissionDenied):
        return _("You may not do this at this restaurant.")
    if isinstance(exc, ValidationFailed):
        fields = list(exc.details or {})
        return field_refusal(fields[0]) if fields else _("This value cannot be used here.")
    return _("This could not be done. Reload the page and try again.")


def refusal_on_form(form: forms.Form, exc: ApplicationError) -> str:
    """Show a service's refusal on ``form``: each input a ValidationFailed names next to its
    field, in the page's words. Returns what is left for the whole form: an input it has no
    field for, or any other refusal ("" when every input named has its field)."""
    if not isinstance(exc, ValidationFailed):
        return refusal(exc)
    unplaced = []
    for detail in exc.details or {}:
        field = FIELD_OF_DETAIL.get(detail)
        if field in form.fields:
            form.add_error(field, field_refusal(detail))
        else:
            unplaced.append(detail)
    if unplaced:
        return field_refusal(unplaced[0])
    return "" if exc.details else refusal(exc)
