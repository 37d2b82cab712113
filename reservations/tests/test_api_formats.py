"""Strict formats in the reservations API (docs/api-reservations.md, "Formats"): each bad
spelling below was accepted before, each is now a 400 ``validation_error`` naming the field
with the expected format, and nothing is written; the documented spellings still work."""

import re

import pytest

from core.tests.assertions import assert_refused
from reservations.models import Reservation

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
DAY_URL = "/api/restaurants/{}/availability/"
DAYS_URL = "/api/restaurants/{}/availability/days/"

ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))


def arabic(text: str) -> str:
    """The same text in Arabic-Indic digits, which int(), strptime and \\d all read."""
    return text.translate(ARABIC_INDIC)


# The seed's Saturday 2025-08-30 in spellings Python's and Django's parsers take.
BAD_DATES = [
    "20250830",  # ISO 8601 basic format
    "2025-W35-6",  # ISO week date of the same day
    "2025-08-30\n",  # trailing newline ($ in Django's date regex)
    "2025-8-30",  # one-digit month
    arabic("2025-08-30"),
]
BAD_TIMES = [
    "19:0",  # one-digit minutes (strptime's %M)
    arabic("19:00"),
    "19:00:30",  # seconds other than :00
]
BAD_QUERY_INTS = [arabic("2"), "2.0", "+2", " 2", "\uff12"]  # the last: fullwidth 2


def loose_ints(n: int) -> list:
    """``n`` as a JSON string, in Arabic-Indic digits and as a float: each was read as ``n``.
    (``true`` was already refused, and still is: see below.)"""
    return [str(n), arabic(str(n)), float(n)]


# The pattern docs/api-reservations.md gives for times, in answers as in requests.
DOCUMENTED_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:00)?"
DATE_MESSAGE = "YYYY-MM-DD"
TIME_MESSAGE = "HH:MM"
INT_MESSAGE = "integer"


@pytest.fixture
def as_staff(api_client, staff_user):
    api_client.force_authenticate(staff_user)
    return api_client


@pytest.fixture
def body(restaurant, table, guest):
    return {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": "2025-08-30",
        "reservation_time": "19:00",
        "party_size": 2,
    }


# --- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [("reservation_date", v, DATE_MESSAGE) for v in BAD_DATES]
    + [("reservation_time", v, TIME_MESSAGE) for v in BAD_TIMES]
    + [
        (field, spelling, INT_MESSAGE)
        for field in ("party_size", "restaurant_id", "table_id", "customer_id")
        for spelling in range(3)
    ],
)
def test_a_booking_with_a_loose_spelling_is_refused(as_staff, body, clock, field, value, says):
    if isinstance(value, int):  # the field's own good value, spelt loosely
        value = loose_ints(body[field])[value]
    response = as_staff.post(URL, {**body, field: value}, format="json")
    assert_refused(response, field, says)
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("field", ["party_size", "restaurant_id", "table_id", "customer_id"])
def test_a_boolean_is_not_an_integer(as_staff, body, clock, field):
    """Already refused before; kept so that a strict field never takes a bool for an int
    (``True`` is an ``int`` in Python)."""
    response = as_staff.post(URL, {**body, field: True}, format="json")
    assert_refused(response, field, INT_MESSAGE)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [("reservation_date", "20250830", DATE_MESSAGE), ("reservation_time", "19:0", TIME_MESSAGE)]
    + [("party_size", v, INT_MESSAGE) for v in loose_ints(3)]
    + [("table_id", "own id", INT_MESSAGE)],
)
def test_a_change_with_a_loose_spelling_is_refused(as_staff, book, table, field, value, says):
    reservation = book()
    if value == "own id":
        value = str(table.pk)
    before = Reservation.objects.values().get()
    response = as_staff.patch(f"{URL}{reservation.pk}/", {field: value}, format="json")
    assert_refused(response, field, says)
    assert Reservation.objects.values().get() == before


def test_the_documented_spellings_book(as_staff, body, clock):
    response = as_staff.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["reservation_date"] == "2025-08-30"
    assert created["reservation_time"] == "19:00:00"
    assert created["party_size"] == 2


def test_seconds_of_zero_are_accepted(as_staff, body, clock):
    response = as_staff.post(URL, {**body, "reservation_time": "19:15:00"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reservation_time"] == "19:15:00"


def test_an_answered_time_matches_the_pattern_and_is_taken_back(as_staff, book):
    reservation = book()
    shown = as_staff.get(f"{URL}{reservation.pk}/").json()
    assert re.fullmatch(DOCUMENTED_TIME, shown["reservation_time"])
    response = as_staff.patch(
        f"{URL}{reservation.pk}/",
        {"reservation_time": shown["reservation_time"], "party_size": 3},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["reservation_time"] == shown["reservation_time"]


def test_a_form_body_takes_integers_as_ascii_digits(as_staff, body, clock):
    """Form and multipart bodies carry only text: there the query-string rule applies."""
    response = as_staff.post(URL, {**body, "party_size": "٢"}, format="multipart")
    assert_refused(response, "party_size", INT_MESSAGE)
    assert not Reservation.objects.exists()
    response = as_staff.post(URL, {**body, "party_size": "2"}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["party_size"] == 2


# --- query strings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value", "says"),
    [("date", v, DATE_MESSAGE) for v in BAD_DATES]
    + [("party_size", v, INT_MESSAGE) for v in BAD_QUERY_INTS]
    + [("time", v, TIME_MESSAGE) for v in BAD_TIMES]
    + [("window", arabic("30"), INT_MESSAGE)],
)
def test_availability_of_a_day_refuses_loose_parameters(
    api_client, table, clock, param, value, says
):
    params = {"date": "2025-08-30", "party_size": "2", param: value}
    if param == "window":
        params["time"] = "19:00"
    response = api_client.get(DAY_URL.format(table.restaurant_id), params)
    assert_refused(response, param, says)


@pytest.mark.parametrize(
    ("param", "value", "says"),
    # date.fromisoformat read these two (the other bad dates it already refused).
    [("from", "20250830", DATE_MESSAGE), ("from", "2025-W35-6", DATE_MESSAGE)]
    + [("to", "20250901", DATE_MESSAGE)]
    + [("party_size", v, INT_MESSAGE) for v in BAD_QUERY_INTS],
)
def test_the_calendar_refuses_loose_parameters(api_client, table, clock, param, value, says):
    params = {"from": "2025-08-30", "to": "2025-09-01", "party_size": "2", param: value}
    response = api_client.get(DAYS_URL.format(table.restaurant_id), params)
    assert_refused(response, param, says)


def test_availability_takes_the_documented_spellings(api_client, table, clock):
    response = api_client.get(
        DAY_URL.format(table.restaurant_id),
        {"date": "2025-08-30", "party_size": "2", "time": "19:00:00", "window": "30"},
    )
    assert response.status_code == 200, response.json()
    assert {slot["time"] for slot in response.json()["slots"]} >= {"19:00"}
    response = api_client.get(
        DAYS_URL.format(table.restaurant_id),
        {"from": "2025-08-30", "to": "2025-09-01", "party_size": "2"},
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()["days"]) == 3


@pytest.mark.parametrize(
    ("param", "value", "says"),
    [("date", v, DATE_MESSAGE) for v in BAD_DATES]
    + [("date_from", "2025-W35-6", DATE_MESSAGE), ("date_to", "20250830", DATE_MESSAGE)]
    + [
        (param, value, INT_MESSAGE)
        for param in ("restaurant_id", "table_id", "customer_id")
        for value in (0, 1, 2)
    ],
)
def test_the_list_refuses_loose_filters(as_staff, book, param, value, says):
    reservation = book()
    if isinstance(value, int):  # the reservation's own id, spelt loosely
        own = getattr(reservation, param)
        value = [arabic(str(own)), f"{own}.0", f"+{own}"][value]
    response = as_staff.get(URL, {param: value})
    assert_refused(response, param, says)


def test_the_list_filters_with_the_documented_spellings(as_staff, book, restaurant):
    book()
    response = as_staff.get(URL, {"date": "2025-08-30", "restaurant_id": str(restaurant.pk)})
    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 1


@pytest.mark.parametrize("param", ["page", "page_size"])
@pytest.mark.parametrize("value", [arabic("1"), "1.0", "abc", "0"])
def test_pagination_parameters_are_ascii_digits_from_1(as_staff, book, param, value):
    book()
    response = as_staff.get(URL, {param: value})
    assert_refused(response, param, INT_MESSAGE if value != "0" else "greater than")


def test_pagination_takes_digits_and_caps_the_page_size(as_staff, book):
    book()
    response = as_staff.get(URL, {"page": "1", "page_size": "500"})
    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 1


@pytest.mark.parametrize("param", ["page", "page_size", "date", "restaurant_id", "date_from"])
def test_a_parameter_named_without_a_value_is_refused_not_ignored(as_staff, book, param):
    book()
    response = as_staff.get(f"{URL}?{param}=")
    assert response.status_code == 400, response.json()
    assert param in response.json()["details"]


def test_a_form_booking_with_an_empty_table_id_is_refused_not_auto_picked(as_staff, body, clock):
    response = as_staff.post(URL, {**body, "table_id": ""}, format="multipart")
    assert response.status_code == 400
    assert "table_id" in response.json()["details"]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("value", [5, 1.5, True, 1e300])
def test_a_number_is_not_a_note(as_staff, body, clock, value):
    response = as_staff.post(URL, {**body, "notes": value}, format="json")
    assert_refused(response, "notes", "Must be a string.")
    assert not Reservation.objects.exists()
