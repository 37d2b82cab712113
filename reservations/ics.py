"""A reservation as an RFC 5545 calendar file: attached to the confirmation e-mail
(notifications) and downloaded from the guest's manage page once confirmed. One UID per
reservation (its id at the sender's domain), so a newer file replaces the earlier event in the
guest's calendar."""

from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from core.clock import now as clock_now
from reservations.models import Reservation


def sender_domain() -> str:
    """The domain of the address the guest's e-mails come from (DEFAULT_FROM_EMAIL)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "reservaflow.local"


def manage_url(reservation: Reservation) -> str:
    """The guest's manage page; in their language when it is not the default one (the page
    takes ``?lang=`` and remembers it)."""
    url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/r/{reservation.manage_token}/"
    if reservation.language and reservation.language != settings.LANGUAGE_CODE:
        url += f"?lang={reservation.language}"
    return url


def reservation_ics(reservation: Reservation) -> bytes:
    """One event for the reservation, in the active language (the caller's: the guest's)."""
    restaurant = reservation.restaurant
    cal = Calendar()
    cal.add("prodid", "-//ReservaFlow//Reservations//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{reservation.id}@{sender_domain()}")
    event.add("dtstamp", clock_now())
    event.add("dtstart", reservation.start_at)
    event.add("dtend", reservation.end_at)
    event.add(
        "summary",
        _("Table for %(party)s at %(restaurant)s")
        % {"party": reservation.party_size, "restaurant": restaurant.name},
    )
    if restaurant.address:
        event.add("location", restaurant.address)
    event.add(
        "description", _("Manage your reservation: %(url)s") % {"url": manage_url(reservation)}
    )
    cal.add_component(event)
    return cal.to_ical()
