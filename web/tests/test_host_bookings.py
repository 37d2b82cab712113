"""New bookings from the host stand (issue 15): a phone booking for a guest found as the host
types (never another restaurant's guest) or a new profile, through the booking core."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # Thursday, 12:00 in Madrid
TONIGHT = date(2025, 8, 28)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


@pytest.fixture
def regular(restaurant):
    """A guest of the restaurant (a past reservation there)."""
    guest = CustomerFactory(first_name="Lola", last_name="Flores", email="lola@example.com")
    ReservationFactory(
        table=restaurant.tables.get(), customer=guest, start_at=madrid(date(2025, 8, 20), time(13))
    )
    return guest


@pytest.fixture
def stranger(staff):
    """Another restaurant's guest with the same first name."""
    guest = CustomerFactory(first_name="Lola", last_name="Otra", email="lola.otra@example.com")
    ReservationFactory(
        table=staff["other_restaurant"].tables.get(),
        customer=guest,
        start_at=madrid(date(2025, 8, 20), time(13)),
    )
    return guest


def _book(client, **data):
    values = {"date": "2025-08-28", "time": "21:00", "party_size": "2", "tables": ""}
    values.update(data)
    return client.post("/host/casa/phone-booking/", values)


def test_the_search_finds_the_restaurants_guests_by_name_email_or_phone(host, regular, stranger):
    for q in ("lola", "flores", "lola@example", regular.phone[-6:]):
        body = host.get("/host/casa/guests/", {"guest_q": q}).content.decode()
        assert f'value="{regular.pk}"' in body, q
        assert f'value="{stranger.pk}"' not in body, q
        assert "Otra" not in body


def test_the_search_needs_two_characters(host, regular):
    body = host.get("/host/casa/guests/", {"guest_q": "l"}).content.decode()
    assert 'name="customer_id"' not in body


def test_the_other_restaurants_host_finds_only_their_guest(client, staff, regular, stranger):
    client.force_login(staff["other_host"])
    body = client.get("/host/otra/guests/", {"guest_q": "lola"}).content.decode()
    assert f'value="{stranger.pk}"' in body and f'value="{regular.pk}"' not in body


def test_a_search_with_a_nul_byte_is_a_400_with_no_matches_never_a_500(host, regular):
    # PostgreSQL text cannot hold NUL: asked as it came, the search was a server error.
    for response in (
        host.get("/host/casa/guests/", {"guest_q": "lo\x00la"}),
        host.get("/host/casa/phone-booking/", {"guest_q": "lo\x00la"}),
        _book(host, first_name="Ana", email="ana@example.com", guest_q="lo\x00la"),
    ):
        assert response.status_code == 400
        assert f'name="customer_id" value="{regular.pk}"' not in response.content.decode()
    assert not Reservation.objects.filter(customer__first_name="Ana").exists()


def test_without_javascript_find_reloads_the_form_with_the_matches(host, regular):
    response = host.get(
        "/host/casa/phone-booking/", {"guest_q": "flores", "date": "2025-08-28", "time": "21:00"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{regular.pk}"' in page
    assert 'value="21:00"' in page  # what was typed is kept
    assert 'class="error"' not in page


def test_the_phone_booking_page_has_its_labelled_inputs(host):
    page = host.get("/host/casa/phone-booking/?date=2025-08-29").content.decode()
    for label in ("Find the guest", "Date", "Time", "Party size", "Tables", "Notes", "Allergies",
                  "First name", "Email", "Phone"):  # fmt: skip
        assert re.search(rf'<label for="[^"]+">{label}</label>', page), label
    assert 'value="2025-08-29"' in page
    assert 'hx-get="/host/casa/guests/"' in page


def test_booking_a_found_guest_by_phone(host, restaurant, regular):
    response = _book(host, customer_id=str(regular.pk), notes="By the window", allergies="nuts")
    reservation = Reservation.objects.get(customer=regular, reservation_date=TONIGHT)
    assert response.status_code == 302
    assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{reservation.pk}"
    assert reservation.source == Reservation.Source.PHONE
    assert (reservation.notes, reservation.allergies) == ("By the window", "nuts")
    assert reservation.reservation_time == time(21)


def test_booking_a_new_guest_creates_the_restaurants_profile(host, restaurant):
    response = _book(host, first_name="Marta", last_name="Vidal", phone="+34 600 111 222")
    assert response.status_code == 302
    guest = Customer.objects.get(first_name="Marta")
    assert guest.phone == "+34600111222"
    assert guest.created_by_restaurant_id == restaurant.pk
    assert Reservation.objects.get(customer=guest).source == Reservation.Source.PHONE


def test_a_new_guest_needs_a_name_and_an_email_or_phone(host):
    response = _book(host, last_name="Vidal")
    assert response.status_code == 400
    assert "Choose the guest from the matches, or enter a new guest&#x27;s name." in (
        response.content.decode()
    )
    response = _book(host, first_name="Marta")
    assert "Enter the new guest&#x27;s email or phone (or both)." in response.content.decode()
    assert not Reservation.objects.exists()


def test_another_restaurants_guest_cannot_be_booked_by_id(host, stranger):
    response = _book(host, customer_id=str(stranger.pk))
    assert response.status_code == 400
    assert "Choose the guest from the matches" in response.content.decode()
    assert not Reservation.objects.filter(customer=stranger, restaurant__slug="casa").exists()


def test_a_taken_time_is_refused_with_the_reason_and_nothing_booked(host, restaurant, regular):
    ReservationFactory(table=restaurant.tables.get(), start_at=madrid(TONIGHT, time(21)))
    response = _book(host, customer_id=str(regular.pk), tables=str(restaurant.tables.get().pk))
    assert response.status_code == 409
    assert "These tables are taken at that time." in response.content.decode()
    assert Reservation.objects.filter(customer=regular).count() == 1


def test_a_time_outside_the_service_names_the_time(host, regular):
    response = _book(host, customer_id=str(regular.pk), time="17:00")
    assert response.status_code == 400
    assert "This time cannot be booked" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [{"date": "2025-02-30"}, {"time": "9"}, {"party_size": "-1"}, {"tables": "x"},
     {"customer_id": "abc"}, {"email": "not-an-email", "first_name": "A"}],
)  # fmt: skip
def test_bad_input_is_a_400_never_a_500(host, data):
    assert _book(host, **data).status_code == 400


def test_staff_may_book_inside_the_notice(host, regular):
    # 12:00 now, a 60-minute notice: 13:00 is inside it; the host takes the call anyway.
    response = _book(host, customer_id=str(regular.pk), time="13:00")
    assert response.status_code == 302


# --- walk-ins ---------------------------------------------------------------------------------

DINNER = datetime(2025, 8, 28, 18, 10, tzinfo=UTC)  # 20:10 in Madrid, during dinner


def _walk_in(client, **data):
    values = {"party_size": "2", "guest_name": "", "phone": ""}
    values.update(data)
    return client.post("/host/casa/walk-in/", {f"walk_in-{k}": v for k, v in values.items()})


def test_a_walk_in_is_seated_now_at_a_free_table(host, restaurant):
    with time_machine.travel(DINNER, tick=False):
        response = _walk_in(host, guest_name="Ruiz", phone="+34 600 999 888")
        walked = Reservation.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{walked.pk}"
        assert walked.status == Reservation.Status.SEATED
        assert walked.source == Reservation.Source.WALK_IN
        assert walked.party_size == 2
        page = host.get("/host/casa/").content.decode()
    row = re.search(rf'<tr id="r-{walked.pk}".*?</tr>', page, re.S).group(0)
    assert "Ruiz" in row and "Walk-in" in row and "Seated" in row


def test_a_walk_in_with_no_free_table_says_when_one_frees_up(host, restaurant):
    ReservationFactory(
        table=restaurant.tables.get(),
        start_at=madrid(TONIGHT, time(20)),
        status=Reservation.Status.SEATED,
    )
    with time_machine.travel(DINNER, tick=False):
        response = _walk_in(host)
    assert response.status_code == 409
    page = response.content.decode()
    assert "No table for this party is free now." in page
    assert Reservation.objects.filter(source=Reservation.Source.WALK_IN).count() == 0


def test_a_walk_in_outside_the_service_is_refused_with_the_reason(host):
    response = _walk_in(host)  # 12:00: lunch opens at 13:00
    assert response.status_code == 409
    assert "The restaurant is not open now" in response.content.decode()
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    "data", [{"party_size": ""}, {"party_size": "0"}, {"party_size": "x"}, {"phone": "12"}]
)
def test_bad_walk_in_input_is_refused_on_the_form(host, data):
    with time_machine.travel(DINNER, tick=False):
        response = _walk_in(host, **data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_managers_and_superusers_seat_walk_ins_too(client, staff, restaurant, who):
    client.force_login(staff[who])
    with time_machine.travel(DINNER, tick=False):
        assert _walk_in(client).status_code == 302
    assert Reservation.objects.get().source == Reservation.Source.WALK_IN
