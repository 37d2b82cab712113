"""The host stand's actions on a reservation (issue 15): each transition's button, offered only
where it is allowed, through the state machine's services (the same e-mails as the API); the
refusals in the page's words; moving a reservation and editing its notes through the booking
core; CSRF; htmx swapping the day in place."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.test import Client

from core import locking
from notifications.models import Notification
from reservations.models import Reservation
from reservations.services import table_guard
from reservations.tests.factories import ReservationFactory
from restaurants.models import TableCombination, TableCombinationMember, table_key_of
from restaurants.tests.factories import TableFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # Thursday, 12:00 in Madrid
TONIGHT = date(2025, 8, 28)
Status = Reservation.Status
BUTTONS = {"confirm": "Confirm", "seat": "Seat", "complete": "Complete", "no-show": "No-show",
           "cancel": "Cancel"}  # fmt: skip


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


def _reservation(restaurant, status=Status.CONFIRMED, at=time(20), **kwargs):
    return ReservationFactory(
        table=restaurant.tables.get(number="1"),
        start_at=madrid(TONIGHT, at),
        status=status,
        **kwargs,
    )


def _buttons(page: str, reservation) -> list[str]:
    row = re.search(rf'<tr id="r-{reservation.pk}".*?</tr>', page, re.S).group(0)
    return re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', row)


def _url(reservation, action: str) -> str:
    return f"/host/casa/reservations/{reservation.pk}/{action}/"


@pytest.mark.parametrize(
    ("status", "at", "offered"),
    [
        (Status.PENDING, time(20), ["Confirm", "Cancel"]),
        (Status.CONFIRMED, time(20), ["Seat", "Cancel"]),  # no-show only after the start
        (Status.CONFIRMED, time(11), ["Seat", "No-show", "Cancel"]),
        (Status.SEATED, time(11), ["Complete"]),
        (Status.COMPLETED, time(11), []),
        (Status.CANCELLED, time(20), []),
        (Status.NO_SHOW, time(11), []),
    ],
)
def test_the_buttons_are_the_transitions_allowed_now(host, restaurant, status, at, offered):
    reservation = _reservation(restaurant, status, at)
    assert _buttons(host.get("/host/casa/").content.decode(), reservation) == offered


def test_a_lapsed_hold_offers_nothing(host, restaurant, clock):
    reservation = _reservation(restaurant, Status.PENDING)
    clock.shift(60 * 60)
    page = host.get("/host/casa/").content.decode()
    assert _buttons(page, reservation) == []
    assert "Expired" in page


@pytest.mark.parametrize(
    ("status", "at", "action", "after", "stamp"),
    [
        (Status.PENDING, time(20), "confirm", Status.CONFIRMED, "confirmed_at"),
        (Status.CONFIRMED, time(20), "seat", Status.SEATED, "seated_at"),
        (Status.SEATED, time(11), "complete", Status.COMPLETED, "completed_at"),
        (Status.CONFIRMED, time(11), "no-show", Status.NO_SHOW, None),
        (Status.CONFIRMED, time(20), "cancel", Status.CANCELLED, "cancelled_at"),
    ],
)
def test_each_button_runs_its_transition_and_comes_back_to_the_day(
    host, restaurant, status, at, action, after, stamp
):
    reservation = _reservation(restaurant, status, at)
    response = host.post(_url(reservation, action))
    assert response.status_code == 302
    assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{reservation.pk}"
    reservation.refresh_from_db()
    assert reservation.status == after
    if stamp:
        assert getattr(reservation, stamp) == NOW


def test_cancelling_takes_the_optional_reason_and_emails_the_guest_as_the_api_does(
    host, restaurant
):
    reservation = _reservation(restaurant)
    host.post(_url(reservation, "cancel"), {"reason": "  Kitchen closed  "})
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert reservation.cancellation_reason == "Kitchen closed"
    assert Notification.objects.filter(
        reservation=reservation, kind=Notification.Kind.CANCELLED
    ).exists()


def test_confirming_records_the_confirmation_email(host, restaurant):
    reservation = _reservation(restaurant, Status.PENDING)
    host.post(_url(reservation, "confirm"))
    assert Notification.objects.filter(
        reservation=reservation, kind=Notification.Kind.CONFIRMED
    ).exists()


def test_a_refused_action_is_shown_next_to_its_buttons_in_the_pages_words(host, restaurant):
    reservation = _reservation(restaurant, Status.CANCELLED)
    response = host.post(_url(reservation, "seat"))
    assert response.status_code == 409
    page = response.content.decode()
    row = re.search(rf'<tr id="r-{reservation.pk}".*?</tr>', page, re.S).group(0)
    assert "This reservation is cancelled now: that is no longer possible." in row


def test_a_no_show_before_the_start_is_refused_with_its_reason(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(_url(reservation, "no-show"))
    assert response.status_code == 409
    assert "it can be a no-show only after its time" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED


def test_a_reason_too_long_is_refused_on_the_form(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(_url(reservation, "cancel"), {"reason": "x" * 301})
    assert response.status_code == 400
    assert "Enter a reason of at most 300 characters." in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED


def test_a_reason_with_a_null_character_is_a_400_not_a_500(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(_url(reservation, "cancel"), {"reason": "a\x00b"})
    assert response.status_code == 400


def test_a_reservation_of_another_restaurant_is_404(host, staff):
    elsewhere = ReservationFactory(
        table=staff["other_restaurant"].tables.get(), start_at=madrid(TONIGHT, time(20))
    )
    for action in BUTTONS:
        assert host.post(_url(elsewhere, action)).status_code == 404
    assert host.get(f"/host/casa/reservations/{elsewhere.pk}/").status_code == 404
    assert host.post(f"/host/casa/reservations/{elsewhere.pk}/move/").status_code == 404
    assert host.post(f"/host/casa/reservations/{elsewhere.pk}/notes/").status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.CONFIRMED


def test_an_unknown_action_is_404_and_a_get_is_405(host, restaurant):
    reservation = _reservation(restaurant)
    assert host.post(_url(reservation, "explode")).status_code == 404
    assert host.get(_url(reservation, "seat")).status_code == 405


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.CANCELLED])
def test_a_search_with_a_null_character_beside_an_action_is_dropped_not_a_500(
    host, restaurant, status
):
    # The search only says which list to come back to; the action itself is unaffected.
    reservation = _reservation(restaurant, status)
    response = host.post(_url(reservation, "seat"), {"q": "lo\x00la"})
    assert response.status_code == (302 if status == Status.CONFIRMED else 409)
    if status == Status.CONFIRMED:
        assert "q=" not in response["Location"]
    reservation.refresh_from_db()
    assert reservation.status == (Status.SEATED if status == Status.CONFIRMED else status)


def test_every_post_needs_the_csrf_token(staff, restaurant):
    reservation = _reservation(restaurant)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["host"])
    for url in (
        _url(reservation, "seat"),
        f"/host/casa/reservations/{reservation.pk}/notes/",
        "/host/casa/phone-booking/",
        "/host/casa/walk-in/",
    ):
        assert client.post(url).status_code == 403, url
    page = client.get("/host/casa/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(_url(reservation, "seat"), {"csrfmiddlewaretoken": token}).status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == Status.SEATED


def test_with_htmx_an_action_answers_the_day_fragment_to_swap_in_place(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(_url(reservation, "seat"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section id="day"') or body.lstrip().startswith("<section")
    assert "<html" not in body
    assert "Seated" in body
    assert response["ETag"]


def test_with_htmx_a_refusal_is_the_fragment_with_the_reason(host, restaurant):
    reservation = _reservation(restaurant, Status.COMPLETED, time(11))
    response = host.post(_url(reservation, "cancel"), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "<html" not in response.content.decode()
    assert "This reservation is completed now" in response.content.decode()


def test_from_the_reservations_page_an_action_comes_back_to_it(host, restaurant):
    reservation = _reservation(restaurant)
    page_url = f"/host/casa/reservations/{reservation.pk}/"
    page = host.get(page_url).content.decode()
    assert re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', page)[1:3] == [
        "Seat",
        "Cancel",
    ]
    response = host.post(_url(reservation, "seat"), {"back": "reservation"})
    assert response["Location"] == page_url
    refused = host.post(_url(reservation, "seat"), {"back": "reservation"})
    assert refused.status_code == 409
    assert "This reservation is seated now" in refused.content.decode()


def test_the_reservations_page_names_the_tables_it_holds(host, restaurant):
    reservation = _reservation(restaurant)
    page = host.get(f"/host/casa/reservations/{reservation.pk}/").content.decode()
    assert re.search(r"<dt>Tables</dt><dd>1</dd>", page)
    # Seated and completed, it still names the tables it sat at.
    for action in ("seat", "complete"):
        assert host.post(_url(reservation, action), {"back": "reservation"}).status_code == 302
    page = host.get(f"/host/casa/reservations/{reservation.pk}/").content.decode()
    assert re.search(r"<dt>Tables</dt><dd>1</dd>", page)


# --- moving and notes ---------------------------------------------------------------------


def _move(client, reservation, **data):
    values = {"date": "2025-08-28", "time": "20:00", "party_size": "2", "tables": ""}
    values.update(data)
    return client.post(
        f"/host/casa/reservations/{reservation.pk}/move/",
        {f"move-{key}": value for key, value in values.items()},
    )


def test_moving_a_reservation_to_another_time_and_table(host, restaurant):
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=4)
    reservation = _reservation(restaurant)
    response = _move(host, reservation, date="2025-08-29", time="21:30", tables=str(t2.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/host/casa/?date=2025-08-29#r-{reservation.pk}"
    reservation.refresh_from_db()
    assert (reservation.reservation_date, reservation.reservation_time) == (
        date(2025, 8, 29),
        time(21, 30),
    )
    assert reservation.table_id == t2.pk
    assert Notification.objects.filter(reservation=reservation, kind="changed").exists()


def test_moving_to_a_combination_of_the_restaurant(host, restaurant):
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=4)
    t3 = TableFactory(restaurant=restaurant, number="3", capacity=4)
    combination = TableCombination.objects.create(
        restaurant=restaurant, table_key=table_key_of([t2.pk, t3.pk]), min_capacity=5, capacity=8
    )
    for table in (t2, t3):
        TableCombinationMember.objects.create(combination=combination, table=table)
    reservation = _reservation(restaurant)
    page = host.get(f"/host/casa/reservations/{reservation.pk}/").content.decode()
    assert f'value="{t2.pk},{t3.pk}">Table 2 + 3 (8 seats)' in page
    response = _move(host, reservation, party_size="6", tables=f"{t2.pk},{t3.pk}")
    assert response.status_code == 302
    assert sorted(reservation.occupancies.values_list("table_id", flat=True)) == [t2.pk, t3.pk]


def test_a_move_onto_a_taken_table_is_refused_next_to_the_form(host, restaurant):
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=4)
    ReservationFactory(table=t2, start_at=madrid(TONIGHT, time(21)))
    reservation = _reservation(restaurant)
    response = _move(host, reservation, time="21:00", tables=str(t2.pk))
    assert response.status_code == 409
    assert "These tables are taken at that time." in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.table.number == "1"


def test_a_move_inside_the_notice_is_refused_unless_the_host_allows_it(host, restaurant, clock):
    reservation = _reservation(restaurant)
    clock.move_to(datetime(2025, 8, 28, 10, 45, tzinfo=UTC))
    page = host.get(f"/host/casa/reservations/{reservation.pk}/").content.decode()
    box = re.search(r'<input type="checkbox" name="move-override_notice"[^>]*>', page).group(0)
    assert "checked" not in box
    assert "Allow a start inside the notice (60 minutes)" in page
    # 12:45 now, a 60-minute notice: lunch's first start, 13:00, is inside it.
    refused = _move(host, reservation, time="13:00")
    assert refused.status_code == 400
    assert "outside the notice unless you allow it" in refused.content.decode()
    reservation.refresh_from_db()
    assert reservation.reservation_time == time(20)
    allowed = _move(host, reservation, time="13:00", override_notice="on")
    assert allowed.status_code == 302
    reservation.refresh_from_db()
    assert reservation.reservation_time == time(13)


@pytest.mark.redis_only(reason="the tables' booking lock lives in Redis")
def test_a_move_refused_by_a_held_lock_answers_its_status_423(host, restaurant):
    reservation = _reservation(restaurant)
    table = restaurant.tables.get(number="1")
    with locking.redis_lock(table_guard.lock_name(table.pk, TONIGHT)):
        response = _move(host, reservation, time="21:00")
    assert response.status_code == 423
    assert "Someone is booking these tables right now." in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.reservation_time == time(20)


def test_a_move_to_a_time_off_the_grid_names_the_time(host, restaurant):
    reservation = _reservation(restaurant)
    response = _move(host, reservation, time="20:10")  # in dinner, between two starts
    assert response.status_code == 400
    page = response.content.decode()
    assert "This time cannot be booked" in page


@pytest.mark.parametrize(
    "data", [{"date": "nope"}, {"time": "25:00"}, {"party_size": "0"}, {"tables": "9999"}]
)
def test_bad_move_input_is_a_400_never_a_500(host, restaurant, data):
    reservation = _reservation(restaurant)
    assert _move(host, reservation, **data).status_code == 400


def test_a_completed_reservation_cannot_be_moved(host, restaurant):
    reservation = _reservation(restaurant, Status.COMPLETED, time(11))
    response = _move(host, reservation)
    assert response.status_code == 409
    assert "cannot be changed" in response.content.decode()


def test_editing_the_notes_and_allergies(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(
        f"/host/casa/reservations/{reservation.pk}/notes/",
        {"remarks-notes": "Window table", "remarks-allergies": "gluten"},
    )
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert (reservation.notes, reservation.allergies) == ("Window table", "gluten")


def test_notes_too_long_are_refused_on_the_form(host, restaurant):
    reservation = _reservation(restaurant)
    response = host.post(
        f"/host/casa/reservations/{reservation.pk}/notes/", {"remarks-notes": "x" * 2001}
    )
    assert response.status_code == 400
    reservation.refresh_from_db()
    assert reservation.notes == ""
