"""The guest emails speak the guest's terms: local time with its zone, the restaurant, the
party, the notes, a manage link; the confirmation carries a calendar file."""

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications.emails import build_email, message_id_for
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def notification_for(reservation, kind):
    return Notification.objects.create(
        reservation=reservation,
        customer=reservation.customer,
        kind=kind,
        dedupe_key=f"{reservation.pk}:{kind}",
        scheduled_for=timezone.now(),
    )


def test_confirmation_has_local_time_zone_party_notes_link_and_ics(reservation_factory, settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    reservation = reservation_factory(
        notes="Window seat, please",
        allergies="shellfish",
        party_size=3,
        table__restaurant__name="Casa Lola",
    )
    email = build_email(notification_for(reservation, Notification.Kind.CONFIRMED))

    local = reservation.start_at.astimezone(reservation.restaurant.tz)
    assert email.subject == "Your table at Casa Lola is confirmed"
    assert email.to == [reservation.customer.email]
    assert f"{local:%H:%M} (Europe/Madrid)" in email.body
    assert "Guests: 3" in email.body
    assert "Calle Mayor 1, Madrid" in email.body
    assert "Window seat, please" in email.body
    assert "Allergies: shellfish" in email.body
    assert f"https://book.example.com/r/{reservation.manage_token}/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and reservation.manage_token in html

    [(name, content, mimetype)] = email.attachments
    assert name == "reservation.ics" and mimetype == "text/calendar"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(str(reservation.id))
    assert event.decoded("DTSTART") == reservation.start_at.replace(microsecond=0)
    assert event.decoded("DTEND") == reservation.end_at.replace(microsecond=0)


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("hold_created", "Please confirm it before"),
        ("reminder", "A reminder of your table"),
        ("cancelled", "has been cancelled"),
        ("expired", "has expired"),
        ("changed", "has been changed"),
    ],
)
def test_each_kind_has_its_words_and_no_ics(reservation_factory, kind, phrase):
    reservation = reservation_factory(status="pending" if kind == "hold_created" else "confirmed")
    email = build_email(notification_for(reservation, kind))
    assert phrase in email.body
    assert reservation.manage_token in email.body
    assert email.attachments == []


def test_hold_email_gives_the_local_expiry(reservation_factory):
    reservation = reservation_factory(status="pending")
    email = build_email(notification_for(reservation, "hold_created"))
    local_expiry = reservation.expires_at.astimezone(reservation.restaurant.tz)
    day = f"{local_expiry.day} {local_expiry:%B}"
    expected = f"before {local_expiry:%H:%M} on {day} (Europe/Madrid)"
    assert expected in email.body


def test_message_id_is_deterministic_per_notification(reservation_factory):
    reservation = reservation_factory()
    notification = notification_for(reservation, "confirmed")
    assert message_id_for(notification) == message_id_for(Notification.objects.get())
    other = notification_for(reservation, "reminder")
    assert message_id_for(other) != message_id_for(notification)
    assert build_email(notification).extra_headers["Message-ID"] == message_id_for(notification)


def test_the_hold_email_does_not_repeat_the_notes_to_an_unproven_address(reservation_factory):
    """The hold goes to an address nobody has proven yet: it must not carry a stranger's text
    (notes, allergies) into someone's inbox under the restaurant's name. The confirmation,
    once the address is proven, does."""
    reservation = reservation_factory(
        status="pending", notes="Visit https://refund.example", allergies="see link"
    )
    hold = build_email(notification_for(reservation, "hold_created"))
    assert "refund.example" not in hold.body and "see link" not in hold.body
    assert "refund.example" not in hold.alternatives[0][0]
    confirmed = build_email(notification_for(reservation, "confirmed"))
    assert "refund.example" in confirmed.body
