"""The booking page's details step: booking without an account through the booking core, the
result page, the refusals and the slot taken between choosing and submitting."""

import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from notifications.models import Notification
from reservations.callers import reservation_book_anonymous
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # 12:00 in Madrid
CHOSEN = "/book/casa/?party_size=2&date=2025-08-30&time=20:00"
DETAILS = {
    "first_name": "Marta",
    "last_name": "Vidal",
    "email": "marta@example.com",
    "phone": "+34 600 123 456",
    "notes": "Terrace if possible",
    "allergies": "nuts",
    "website": "",
}
# What a browser sends with the form's post (web.request_origin checks it).
FROM_THE_PAGE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_details_step_has_the_labelled_inputs_and_a_book_button(client, restaurant):
    page = client.get(CHOSEN).content.decode()
    for label in ("First name", "Last name", "Email", "Phone", "Notes", "Allergies"):
        assert f">{label}</label>" in page
    assert "Book a table for 2 at 20:00</button>" in page


def test_booking_holds_the_table_and_shows_the_expiry_in_local_time(client, restaurant):
    response = client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    assert response.status_code == 302 and response.url.startswith("/book/casa/booked/?b=")
    reservation = Reservation.objects.select_related("customer").get()
    assert reservation.status == Reservation.Status.PENDING
    assert reservation.source == Reservation.Source.ONLINE
    assert (reservation.reservation_date.isoformat(), f"{reservation.reservation_time:%H:%M}") == (
        "2025-08-30",
        "20:00",
    )
    assert reservation.customer.email == "marta@example.com"
    assert reservation.customer.user is None
    assert reservation.notes == "Terrace if possible" and reservation.allergies == "nuts"
    assert Notification.objects.filter(reservation=reservation, kind="hold_created").exists()
    page = client.get(response.url).content.decode()
    local_expiry = reservation.expires_at.astimezone(restaurant.tz)
    assert f"confirm before {local_expiry:%H:%M}." in page
    assert local_expiry.strftime("%H:%M") != reservation.expires_at.strftime("%H:%M")
    assert reservation.manage_token not in page


def test_even_an_auto_confirming_restaurant_only_holds(client, restaurant):
    restaurant.auto_confirm = True
    restaurant.save()
    client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    assert Reservation.objects.get().status == Reservation.Status.PENDING


def test_a_known_email_and_a_new_one_get_the_same_pages(client, restaurant):
    known = CustomerFactory(
        created_by_restaurant=restaurant, email="known@example.com", first_name="Old"
    )
    first = client.post(CHOSEN, {**DETAILS, "email": "known@example.com"}, headers=FROM_THE_PAGE)
    page_known = client.get(first.url).content.decode()
    other = "/book/casa/?party_size=2&date=2025-08-30&time=13:00"
    second = client.post(other, {**DETAILS, "email": "new@example.com"}, headers=FROM_THE_PAGE)
    page_new = client.get(second.url).content.decode().replace("13:00", "20:00")
    assert first.status_code == second.status_code == 302
    assert urlsplit(first.url).path == urlsplit(second.url).path
    assert sorted(first.headers) == sorted(second.headers)
    assert sorted(first.cookies) == sorted(second.cookies)
    # The signed summary differs by its time; nothing else of the pages may.
    receipt = re.compile(r"b=[^&\"]+")
    assert receipt.sub("b=…", page_known) == receipt.sub("b=…", page_new)
    known.refresh_from_db()
    assert known.first_name == "Old"  # a found profile is never edited
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter your first name."),
        ({"email": ""}, "email", "Enter your email"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"phone": "12"}, "phone", "Enter a valid phone number with its country code"),
    ],
)
def test_bad_details_are_shown_next_to_their_field_and_keep_the_rest(
    client, restaurant, change, field, message
):
    response = client.post(CHOSEN, {**DETAILS, **change}, headers=FROM_THE_PAGE)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-error">' in page and message in page
    assert re.search(rf'id="id_{field}"[^>]* autofocus', page)  # the one invalid field
    assert page.count(" autofocus") == 1
    assert 'value="Vidal"' in page
    assert not Reservation.objects.exists()


def test_the_honeypot_quietly_refuses(client, restaurant):
    response = client.post(
        CHOSEN, {**DETAILS, "website": "http://spam.example"}, headers=FROM_THE_PAGE
    )
    assert response.status_code == 400
    assert "could not be taken" in response.content.decode()
    assert not Reservation.objects.exists() and not Customer.objects.exists()


def test_a_time_taken_meanwhile_keeps_the_details_and_offers_others(client, restaurant):
    page = client.get(CHOSEN).content.decode()
    assert 'id="step-3"' in page
    ReservationFactory(table=restaurant.tables.get(), start_at=_madrid_20())
    response = client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone has just booked 20:00. Your details are kept: choose another time." in page
    nearest = page[page.index("The nearest free times:") :]
    assert ">21:30</a>" in nearest and ">20:00</a>" not in nearest.split("</ul>")[0]
    again = client.get("/book/casa/?party_size=2&date=2025-08-30&time=21:30").content.decode()
    assert 'value="Marta"' in again and 'value="marta@example.com"' in again
    assert not Reservation.objects.filter(customer__email="marta@example.com").exists()


def test_a_time_the_pacing_filled_meanwhile_is_taken_too(client, restaurant):
    """The core's 409 ``pacing_limit`` (here: a limit the page's cached times did not know
    yet) is answered like a table taken meanwhile, never a server error."""
    assert 'id="step-3"' in client.get(CHOSEN).content.decode()
    type(restaurant).objects.filter(pk=restaurant.pk).update(max_covers_per_slot=1)
    response = client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    assert response.status_code == 409
    assert "Your details are kept: choose another time." in response.content.decode()
    assert not Reservation.objects.exists()


def test_the_attempt_limit_is_a_message_with_429(client, restaurant, settings):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 1
    client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    response = client.post(
        "/book/casa/?party_size=2&date=2025-08-30&time=13:00",
        {**DETAILS, "email": "b@x.es"},
        headers=FROM_THE_PAGE,
    )
    assert response.status_code == 429
    assert "Too many booking attempts from your connection." in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 600
    assert Reservation.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_the_booking_page_answers_only_get_head_and_post(client, restaurant, method):
    response = getattr(client, method)(CHOSEN, headers=FROM_THE_PAGE)
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD", "POST"]
    assert client.options("/book/casa/booked/").status_code == 405
    assert client.head("/book/casa/booked/").status_code == 302
    assert not Reservation.objects.exists()


def test_the_result_page_without_a_booking_leads_back_to_the_form(client, restaurant):
    response = client.get("/book/casa/booked/")
    assert response.status_code == 302 and response.url == "/book/casa/"


def _madrid_20():
    return madrid(date(2025, 8, 30), time(20))


def test_in_spanish_the_details_and_the_result(client, restaurant):
    page = client.get(CHOSEN + "&lang=es").content.decode()
    assert ">Nombre</label>" in page and ">Correo electrónico</label>" in page
    assert "Reservar mesa para 2 a las 20:00</button>" in page
    done = client.get(client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE).url).content.decode()
    assert '<html lang="es">' in done and "Te hemos enviado un correo: confirma antes de" in done


def test_the_booking_keeps_the_language_the_guest_booked_in(client, restaurant):
    client.post(CHOSEN + "&lang=es", DETAILS, headers=FROM_THE_PAGE)
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.post(
        "/book/casa/?party_size=2&date=2025-08-30&time=13:00",
        {**DETAILS, "email": "b@x.es"},
        headers=FROM_THE_PAGE,
    )
    languages = dict(Reservation.objects.values_list("customer__email", "language"))
    assert languages == {"marta@example.com": "es", "b@x.es": "en"}


def test_the_cores_refusals_are_in_the_guests_language(client, restaurant):
    bad = {**DETAILS, "email": "not-an-address", "phone": "12"}
    page = client.post(CHOSEN + "&lang=es", bad, headers=FROM_THE_PAGE).content.decode()
    assert "Escribe un correo electrónico válido." in page
    assert "Escribe un teléfono válido con su prefijo de país" in page
    assert "Enter a valid" not in page and "e-mail" not in page


def test_a_hold_limit_says_neither_why_nor_until_when(client, restaurant, settings):
    """Whoever types an address that already holds tables learns nothing of those holds: one
    message for the e-mail's and the phone's limit, no Retry-After."""
    settings.HOLD_LIMIT_PER_RESTAURANT = 1
    client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    later = "/book/casa/?party_size=2&date=2025-08-30&time=13:00"
    by_email = client.post(later, DETAILS, headers=FROM_THE_PAGE)
    by_phone = client.post(later, {**DETAILS, "email": "other@x.es"}, headers=FROM_THE_PAGE)

    notices = []
    for response in (by_email, by_phone):
        assert response.status_code == 429
        assert "Retry-After" not in response
        page = response.content.decode()
        assert "We cannot take another booking with these details online just now." in page
        assert "confirm" not in page[page.index('role="alert"') :].split("</p>")[0]
        assert "marta@example.com" not in page.split('name="email"')[0]
        notices.append(page[page.index('role="alert"') :].split("</p>")[0])
    assert notices[0] == notices[1]
    assert Reservation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_time_booked_meanwhile_through_the_core_keeps_the_details_too(
    client, restaurant, django_capture_on_commit_callbacks
):
    """The usual way a time goes: another guest's booking commits and its on-commit step
    refreshes availability, so the page already knows when the details arrive."""
    client.get(CHOSEN)
    with django_capture_on_commit_callbacks(execute=True):
        reservation_book_anonymous(
            restaurant_id=restaurant.pk,
            reservation_date=date(2025, 8, 30),
            reservation_time=time(20),
            party_size=2,
            first_name="Other",
            email="other@example.com",
            client_address="198.51.100.9",
        )
    response = client.post(CHOSEN, DETAILS, headers=FROM_THE_PAGE)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone has just booked 20:00. Your details are kept: choose another time." in page
    again = client.get("/book/casa/?party_size=2&date=2025-08-30&time=21:30").content.decode()
    assert 'value="Marta"' in again and 'value="marta@example.com"' in again
    assert not Reservation.objects.filter(customer__email="marta@example.com").exists()
