"""The host stand's sign-in and who sees what (issue 15): every page for each of the host of R,
the host of S (another restaurant), the manager of R, a superuser, a guest account and
someone not signed in."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from web.tests.conftest import HOST_PASSWORD, madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # Thursday, 12:00 in Madrid
TONIGHT = date(2025, 8, 28)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(restaurant):
    return ReservationFactory(
        table=restaurant.tables.get(), start_at=madrid(TONIGHT, time(20)), party_size=3
    )


def _pages(booked) -> list[tuple[str, str]]:
    """Every host stand address of restaurant "casa", with its method."""
    r = f"/host/casa/reservations/{booked.pk}/"
    return [
        ("get", "/host/casa/"),
        ("get", "/host/casa/live/"),
        ("get", "/host/casa/phone-booking/"),
        ("get", "/host/casa/guests/?guest_q=an"),
        ("post", "/host/casa/walk-in/"),
        ("post", "/host/casa/phone-booking/"),
        ("get", r),
        ("post", r + "move/"),
        ("post", r + "notes/"),
        ("post", r + "confirm/"),
        ("post", r + "seat/"),
        ("post", r + "complete/"),
        ("post", r + "no-show/"),
        ("post", r + "cancel/"),
    ]


# --- sign-in ----------------------------------------------------------------------------------


def test_the_sign_in_form_has_inputs_labelled_email_and_password(client):
    page = client.get("/host/").content.decode()
    for label in ("Email", "Password"):
        found = re.search(rf'<label for="([^"]+)">{label}</label>', page)
        assert found, label
        assert f'id="{found.group(1)}"' in page
    assert 'type="password"' in page


def test_the_sign_in_inputs_bring_the_email_keyboard_and_password_managers(client):
    page = client.get("/host/").content.decode()
    email = re.search(r'<input [^>]*name="email"[^>]*>', page).group(0)
    assert 'type="email"' in email and 'autocomplete="username"' in email
    assert 'autocapitalize="none"' in email
    password = re.search(r'<input [^>]*name="password"[^>]*>', page).group(0)
    assert 'autocomplete="current-password"' in password


def test_signing_in_opens_the_session_and_lists_the_restaurants(client, staff, restaurant):
    response = client.post("/host/", {"email": "host@casa.example", "password": HOST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/host/"
    page = client.get("/host/").content.decode()
    assert restaurant.name in page
    assert 'href="/host/casa/"' in page
    assert "Otra Casa" not in page
    assert "Sign out" in page


def test_signing_in_follows_next_on_this_site_only(client, staff):
    credentials = {"email": "host@casa.example", "password": HOST_PASSWORD}
    response = client.post("/host/", {**credentials, "next": "/host/casa/?date=2025-08-29"})
    assert response["Location"] == "/host/casa/?date=2025-08-29"
    client.logout()
    response = client.post("/host/", {**credentials, "next": "https://evil.example/"})
    assert response["Location"] == "/host/"


def test_a_wrong_password_is_refused_on_the_form(client, staff):
    response = client.post("/host/", {"email": "host@casa.example", "password": "nope"})
    assert response.status_code == 400
    assert "The email or the password is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_attempts_are_limited_like_the_token_api(client, staff, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = 2
    for _ in range(2):
        client.post("/host/", {"email": "host@casa.example", "password": "nope"})
    # Over the limit even the right password is not checked.
    response = client.post("/host/", {"email": "host@casa.example", "password": HOST_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Too many failed sign-in attempts. Try again in" in page
    assert 'name="password"' in page  # the form again, with the message
    assert "_auth_user_id" not in client.session


def test_a_correct_password_gives_its_attempt_back(client, staff, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = 2
    client.post("/host/", {"email": "host@casa.example", "password": "nope"})
    for _ in range(3):  # one failure counted: each right password signs in
        response = client.post("/host/", {"email": "host@casa.example", "password": HOST_PASSWORD})
        assert response.status_code == 302
        client.logout()


def test_signing_out_ends_the_session(client, staff):
    client.force_login(staff["host"])
    response = client.post("/host/sign-out/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/host/casa/").status_code == 302


def test_sign_out_takes_a_post_only(client, staff):
    client.force_login(staff["host"])
    assert client.get("/host/sign-out/").status_code == 405
    assert "_auth_user_id" in client.session


def test_a_guest_account_sees_a_plain_message_and_no_restaurant(client, staff, restaurant):
    client.force_login(staff["guest"])
    page = client.get("/host/").content.decode()
    assert "You are not on the staff of any restaurant." in page
    assert restaurant.name not in page


def test_a_superuser_sees_every_restaurant(client, staff, restaurant):
    client.force_login(staff["superuser"])
    page = client.get("/host/").content.decode()
    assert 'href="/host/casa/"' in page and 'href="/host/otra/"' in page


def test_the_manager_sees_their_restaurant(client, staff):
    client.force_login(staff["manager"])
    page = client.get("/host/").content.decode()
    assert 'href="/host/casa/"' in page and 'href="/host/otra/"' not in page


# --- who opens which host stand -----------------------------------------------------------


@pytest.mark.parametrize("slug", ["casa", "no-such-restaurant"])
def test_someone_not_signed_in_is_sent_to_sign_in_for_every_slug_alike(client, staff, slug):
    response = client.get(f"/host/{slug}/?date=2025-08-29")
    assert response.status_code == 302
    assert response["Location"] == "/host/?next=%2Fhost%2F" + slug + "%2F%3Fdate%3D2025-08-29"


def test_someone_not_signed_in_reaches_no_page_nor_action(client, staff, booked):
    for method, url in _pages(booked):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/host/?next="), url
    booked.refresh_from_db()
    assert booked.status == "confirmed"


@pytest.mark.parametrize("who", ["other_host", "guest"])
def test_anyone_else_signed_in_gets_404_for_every_page_and_action(
    client, staff, booked, restaurant, who
):
    client.force_login(staff[who])
    for method, url in _pages(booked):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert restaurant.name not in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == "confirmed"


@pytest.mark.parametrize("who", ["other_host", "guest", "host"])
def test_a_slug_that_does_not_exist_is_the_same_404(client, staff, who):
    client.force_login(staff[who])
    assert client.get("/host/no-such-restaurant/").status_code == 404


@pytest.mark.parametrize("who", ["host", "manager", "superuser"])
def test_the_restaurants_staff_and_superusers_open_every_page(client, staff, booked, who):
    client.force_login(staff[who])
    for url in (
        "/host/casa/",
        "/host/casa/live/",
        "/host/casa/phone-booking/",
        f"/host/casa/reservations/{booked.pk}/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_host_of_another_restaurant_opens_their_own(client, staff):
    client.force_login(staff["other_host"])
    assert client.get("/host/otra/").status_code == 200


# --- the managers' links ----------------------------------------------------------------------

ADMIN_LINKS = ("#tables-group", "#opening_hours-group", "#table_combinations-group")


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_managers_and_superusers_see_the_links_to_edit_the_restaurant(
    client, staff, restaurant, who
):
    client.force_login(staff[who])
    page = client.get("/host/casa/").content.decode()
    change = f"/admin/restaurants/restaurant/{restaurant.pk}/change/"
    assert f'href="{change}"' in page
    for anchor in (*ADMIN_LINKS, "#memberships-group"):
        assert f'href="{change}{anchor}"' in page


def test_hosts_do_not_see_the_admin_links(client, staff):
    client.force_login(staff["host"])
    page = client.get("/host/casa/").content.decode()
    assert "/admin/" not in page
    assert "Manage:" not in page


def test_the_managers_links_open_the_restaurants_admin_page_and_its_sections(
    client, staff, restaurant
):
    client.force_login(staff["manager"])
    page = client.get("/host/casa/").content.decode()
    change = f"/admin/restaurants/restaurant/{restaurant.pk}/change/"
    admin_page = client.get(change)
    assert admin_page.status_code == 200
    body = admin_page.content.decode()
    for anchor in (*ADMIN_LINKS, "#memberships-group"):
        assert f'href="{change}{anchor}"' in page
        assert f'id="{anchor[1:]}"' in body, anchor


# --- every write for each permission cell -----------------------------------------------------
#
# Host of R, manager of R and a superuser do it; the host of S and a guest account get the 404
# of a restaurant that does not exist; someone not signed in is sent to sign in. Where refused,
# nothing changed.

ROLES = ["host", "other_host", "manager", "superuser", "guest", "anonymous"]
ALLOWED = {"host", "manager", "superuser"}
DINNER = datetime(2025, 8, 28, 18, 10, tzinfo=UTC)  # 20:10 in Madrid
ACTIONS = {
    "confirm": ("pending", time(20), "confirmed"),
    "seat": ("confirmed", time(20), "seated"),
    "complete": ("seated", time(11), "completed"),
    "no-show": ("confirmed", time(11), "no_show"),
    "cancel": ("confirmed", time(20), "cancelled"),
}


def _as(client, staff, who):
    if who != "anonymous":
        client.force_login(staff[who])
    return client


def _refused(response, who, restaurant) -> None:
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/host/?next=")
    else:
        assert response.status_code == 404
        assert restaurant.name not in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_for_each_caller(client, staff, restaurant, action, who):
    before, at, after = ACTIONS[action]
    reservation = ReservationFactory(
        table=restaurant.tables.get(), start_at=madrid(TONIGHT, at), status=before
    )
    response = _as(client, staff, who).post(f"/host/casa/reservations/{reservation.pk}/{action}/")
    reservation.refresh_from_db()
    if who in ALLOWED:
        assert response.status_code == 302
        assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{reservation.pk}"
        assert reservation.status == after
    else:
        _refused(response, who, restaurant)
        assert reservation.status == before


@pytest.mark.parametrize("who", ROLES)
def test_moving_for_each_caller(client, staff, restaurant, booked, who):
    data = {"move-date": "2025-08-28", "move-time": "21:30", "move-party_size": "3"}
    response = _as(client, staff, who).post(f"/host/casa/reservations/{booked.pk}/move/", data)
    booked.refresh_from_db()
    if who in ALLOWED:
        assert response.status_code == 302
        assert booked.reservation_time == time(21, 30)
    else:
        _refused(response, who, restaurant)
        assert booked.reservation_time == time(20)


@pytest.mark.parametrize("who", ROLES)
def test_notes_for_each_caller(client, staff, restaurant, booked, who):
    data = {"remarks-notes": "Window", "remarks-allergies": "nuts"}
    response = _as(client, staff, who).post(f"/host/casa/reservations/{booked.pk}/notes/", data)
    booked.refresh_from_db()
    if who in ALLOWED:
        assert response.status_code == 302
        assert (booked.notes, booked.allergies) == ("Window", "nuts")
    else:
        _refused(response, who, restaurant)
        assert (booked.notes, booked.allergies) == ("", "")


@pytest.mark.parametrize("who", ROLES)
def test_a_phone_booking_for_each_caller(client, staff, restaurant, who):
    data = {"date": "2025-08-28", "time": "21:00", "party_size": "2", "tables": "",
            "first_name": "Marta", "last_name": "Vidal", "phone": "+34 600 111 222"}  # fmt: skip
    response = _as(client, staff, who).post("/host/casa/phone-booking/", data)
    booked = Reservation.objects.filter(source=Reservation.Source.PHONE)
    if who in ALLOWED:
        assert response.status_code == 302
        assert booked.get().customer.first_name == "Marta"
    else:
        _refused(response, who, restaurant)
        assert not booked.exists()
        assert not Customer.objects.filter(first_name="Marta").exists()


@pytest.mark.parametrize("who", ROLES)
def test_the_guest_search_for_each_caller(client, staff, restaurant, who):
    lola = CustomerFactory(first_name="Lola", last_name="Flores")
    ReservationFactory(
        table=restaurant.tables.get(), customer=lola, start_at=madrid(date(2025, 8, 20), time(13))
    )
    response = _as(client, staff, who).get("/host/casa/guests/", {"guest_q": "lola"})
    if who in ALLOWED:
        assert response.status_code == 200
        assert f'value="{lola.pk}"' in response.content.decode()
    else:
        _refused(response, who, restaurant)
        assert "Flores" not in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_a_walk_in_for_each_caller(client, staff, restaurant, who):
    _as(client, staff, who)
    with time_machine.travel(DINNER, tick=False):
        response = client.post("/host/casa/walk-in/", {"walk_in-party_size": "2"})
    walked = Reservation.objects.filter(source=Reservation.Source.WALK_IN)
    if who in ALLOWED:
        assert response.status_code == 302
        assert walked.get().status == Reservation.Status.SEATED
    else:
        _refused(response, who, restaurant)
        assert not walked.exists()
