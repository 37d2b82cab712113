"""Every e-mail to a guest is written in the language stored with their booking
(Reservation.language): subject, body, dates, the calendar file and the manage link."""

from datetime import datetime
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from notifications import delivery, recording, tasks
from notifications.emails import build_email
from notifications.tests.test_emails import notification_for

pytestmark = pytest.mark.django_db

CHRISTMAS_EVE = datetime(2026, 12, 24, 20, 0, tzinfo=ZoneInfo("Europe/Madrid"))


def test_spanish_guest_gets_the_confirmation_in_spanish(reservation_factory, settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    reservation = reservation_factory(
        language="es", start_at=CHRISTMAS_EVE, table__restaurant__name="Casa Lola"
    )
    email = build_email(notification_for(reservation, "confirmed"))

    assert email.subject == "Tu mesa en Casa Lola está confirmada"
    assert "Tu mesa en Casa Lola está confirmada." in email.body
    assert "jueves 24 de diciembre de 2026 a las 20:00 (Europe/Madrid)" in email.body
    assert "Personas:" in email.body and "Guests:" not in email.body
    assert f"https://book.example.com/r/{reservation.manage_token}/?lang=es" in email.body
    assert email.extra_headers["Content-Language"] == "es"
    html, _mimetype = email.alternatives[0]
    assert '<html lang="es">' in html and "Gestiona tu reserva" in html
    event = Calendar.from_ical(email.attachments[0][1]).walk("VEVENT")[0]
    assert str(event["summary"]) == f"Mesa para {reservation.party_size} en Casa Lola"


def test_english_guest_keeps_english_and_a_plain_manage_link(reservation_factory, settings):
    settings.PUBLIC_BASE_URL = "https://book.example.com"
    reservation = reservation_factory(language="en", start_at=CHRISTMAS_EVE)
    email = build_email(notification_for(reservation, "confirmed"))

    assert "Thursday 24 December 2026 at 20:00 (Europe/Madrid)" in email.body
    assert f"https://book.example.com/r/{reservation.manage_token}/\n" in email.body
    assert email.extra_headers["Content-Language"] == "en"


def test_the_language_of_one_email_does_not_leak_into_the_next(reservation_factory):
    spanish = build_email(notification_for(reservation_factory(language="es"), "reminder"))
    english = build_email(notification_for(reservation_factory(language="en"), "reminder"))
    assert spanish.subject.startswith("Recordatorio: tu mesa en")
    assert english.subject.startswith("Reminder: your table at")


def test_spanish_hold_email_reaches_the_smtp_server_in_spanish(
    reservation_factory, smtp_settings, monkeypatch
):
    monkeypatch.setattr(tasks, "delivery_wake", lambda: None)
    reservation = reservation_factory(status="pending", language="es")
    notification = recording.notification_record(reservation=reservation, kind="hold_created")

    assert delivery.notification_deliver(notification_id=notification.pk) == ("sent", None)

    [message] = smtp_settings.messages
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"Confirma tu mesa en {reservation.restaurant.name}"
    assert message["Content-Language"] == "es"
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode(text.get_content_charset())
    local_expiry = reservation.expires_at.astimezone(reservation.restaurant.tz)
    assert f"Confírmala antes de las {local_expiry:%H:%M} del {local_expiry.day} de " in body
