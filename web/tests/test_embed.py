"""The booking page in a frame on the restaurant's own site (``?embed=1``): only that
restaurant's origins may frame it, every other page refuses frames, the mode carries through
every step, and booking works without any cookie (the post checked by where it comes from,
the result in a signed address)."""

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.tests.factories import RestaurantFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # 12:00 in Madrid
SITE = "https://www.casa.example"
ORIGINS = [SITE, "http://localhost:8000"]
CHOSEN = "/book/casa/?party_size=2&date=2025-08-30&time=20:00"
DETAILS = {
    "first_name": "Marta",
    "last_name": "Vidal",
    "email": "marta@example.com",
    "phone": "+34 600 123 456",
    "notes": "",
    "allergies": "",
    "website": "",
}
# What a browser sends with a post from a page of this service, framed or not.
FROM_THE_PAGE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def embeddable(restaurant):
    restaurant.embed_origins = ORIGINS
    restaurant.save()
    return restaurant


@pytest.fixture
def framed():
    """A browser in a cross-site frame: it never sends this service's cookies."""

    class Framed(Client):
        def request(self, **request):
            self.cookies.clear()
            return super().request(**request)

    return Framed()


def frame_ancestors(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == "frame-ancestors":
            return values
    raise AssertionError("no frame-ancestors")


def assert_frameable_by(response, origins):
    assert frame_ancestors(response) == origins
    assert "X-Frame-Options" not in response


def assert_never_framed(response):
    assert frame_ancestors(response) == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def links(page: str) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href in re.findall(r'(?:href|hx-get)="(\?[^"]*|/book/[^"]*)"', page)
    ]


# --- who may frame what ---------------------------------------------------------------------------


def test_the_embed_mode_may_be_framed_by_exactly_the_restaurants_origins(client, embeddable):
    for url in ("/book/casa/?embed=1", CHOSEN + "&embed=1"):
        assert_frameable_by(client.get(url), ORIGINS)
    fragment = client.get(CHOSEN + "&embed=1", headers={"HX-Request": "true"})
    assert 'id="booking"' in fragment.content.decode()
    assert_frameable_by(fragment, ORIGINS)


def test_a_restaurant_without_origins_is_never_framed_even_in_the_embed_mode(client, restaurant):
    assert_never_framed(client.get("/book/casa/?embed=1"))


@pytest.mark.parametrize(
    "url", ["/book/casa/", CHOSEN, "/book/casa/?embed=0", "/book/casa/?embed=true", "/"]
)
def test_every_other_page_refuses_frames(client, embeddable, url):
    assert_never_framed(client.get(url))


def test_another_restaurants_origins_never_reach_this_page(client, embeddable):
    RestaurantFactory(slug="otra", embed_origins=["https://otra.example"])
    response = client.get("/book/otra/?embed=1")
    assert_frameable_by(response, ["https://otra.example"])
    assert SITE not in response["Content-Security-Policy"]


def test_the_manage_page_and_the_admin_refuse_frames(client, embeddable):
    reservation = ReservationFactory(table=embeddable.tables.get())
    assert_never_framed(client.get(f"/r/{reservation.manage_token}/?embed=1"))
    assert_never_framed(client.get("/admin/login/?embed=1"))


# --- the mode through every step ------------------------------------------------------------------


def test_every_link_and_form_of_the_embed_mode_keeps_it(client, embeddable):
    for url in ("/book/casa/?embed=1", "/book/casa/?embed=1&date=2025-08-30&party_size=2"):
        page = client.get(url).content.decode()
        found = links(page)
        assert found, url
        for link in found:
            assert parse_qs(urlsplit(link).query).get("embed") == ["1"], link
        assert '<input type="hidden" name="embed" value="1">' in page
        assert 'class="site"' not in page  # no header of the site
        assert 'src="/static/reservaflow/frame.js"' in page


def test_the_first_step_of_the_embed_mode_complains_about_nothing(client, embeddable):
    page = client.get("/book/casa/?embed=1&lang=es").content.decode()
    assert 'class="error"' not in page


def test_outside_the_embed_mode_there_is_no_frame_script(client, embeddable):
    page = client.get(CHOSEN).content.decode()
    assert "frame.js" not in page and 'class="site"' in page


def test_the_language_chosen_for_the_frame_carries_through_without_a_cookie(framed, embeddable):
    page = framed.get("/book/casa/?embed=1&lang=es").content.decode()
    assert '<html lang="es">' in page
    next_step = next(link for link in links(page) if "date=" in link)
    assert parse_qs(urlsplit(next_step).query)["lang"] == ["es"]
    assert '<html lang="es">' in framed.get("/book/casa/" + next_step).content.decode()


def test_booking_in_a_frame_without_cookies(framed, embeddable):
    assert 'id="step-3"' in framed.get(CHOSEN + "&embed=1").content.decode()
    response = framed.post(CHOSEN + "&embed=1", DETAILS, headers=FROM_THE_PAGE)
    assert response.status_code == 302
    assert_frameable_by(response, ORIGINS)
    target = urlsplit(response.url)
    assert target.path == "/book/casa/booked/"
    query = parse_qs(target.query)
    assert query["embed"] == ["1"] and query["b"]
    done = framed.get(response.url)
    assert done.status_code == 200
    assert_frameable_by(done, ORIGINS)
    page = done.content.decode()
    assert "A table for 2 on" in page and "at 20:00 is held for you." in page
    assert 'class="site"' not in page and "frame.js" in page
    assert Reservation.objects.get().customer.email == "marta@example.com"


def test_a_time_taken_meanwhile_in_a_frame_keeps_the_mode(framed, embeddable, settings):
    assert 'id="step-3"' in framed.get(CHOSEN + "&embed=1").content.decode()
    ReservationFactory(table=embeddable.tables.get(), start_at=madrid(date(2025, 8, 30), time(20)))
    response = framed.post(
        CHOSEN + "&embed=1", {**DETAILS, "allergies": "shellfish"}, headers=FROM_THE_PAGE
    )
    assert response.status_code == 409
    assert_frameable_by(response, ORIGINS)
    page = response.content.decode()
    nearest = page[page.index("The nearest free times:") :].split("</ul>")[0]
    assert links(nearest) and all("embed=1" in link for link in links(nearest))
    # The session cookie never comes back to a frame: the details are not kept for nobody
    # (no session row with them), and the page does not say they are.
    assert "Someone has just booked 20:00. Choose another time." in page
    assert "Your details are kept" not in page
    assert not Session.objects.exists()
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- the post without the CSRF cookie -------------------------------------------------------------


def booking_post(client, headers, url=CHOSEN):
    return client.post(url, DETAILS, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://anything.example"},
        {"Origin": "http://testserver"},
        {"Origin": "http://TestServer"},
        {"Referer": "http://testserver/book/casa/?party_size=2"},
    ],
)
def test_a_post_from_the_page_itself_books(embeddable, headers):
    # Django's CSRF check on, no cookie and no token: the view does not depend on them.
    client = Client(enforce_csrf_checks=True)
    response = booking_post(client, headers)
    assert response.status_code == 302, response.content[:300]
    assert Reservation.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "https://evil.example"},
        {"Origin": SITE},  # even the restaurant's own site posts only through the frame
        {"Origin": "https://testserver"},  # another scheme
        {"Origin": "http://testserver:8080"},  # another port
        {"Origin": "null"},
        {"Origin": "http://[::1"},
        {"Referer": "https://evil.example/book/casa/"},
        {"Referer": "not a url"},
        {},
    ],
)
def test_a_post_from_anywhere_else_is_refused_with_a_page(client, embeddable, headers):
    response = booking_post(client, headers)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your booking was not taken" in page and "Nothing was booked." in page
    # Back to the same step, the choices kept.
    assert 'href="/book/casa/?party_size=2&amp;date=2025-08-30&amp;time=20:00"' in page
    assert not Reservation.objects.exists()


def test_the_origin_header_wins_over_the_referer(client, embeddable):
    headers = {"Origin": "https://evil.example", "Referer": "http://testserver/book/casa/"}
    assert booking_post(client, headers).status_code == 403


def test_the_trusted_origins_of_a_proxy_are_the_pages_own(client, embeddable, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://book.example.com", "https://*.casa.example"]
    assert booking_post(client, {"Origin": "https://book.example.com"}).status_code == 302
    other = CHOSEN.replace("20:00", "13:00")
    assert (
        booking_post(client, {"Origin": "https://reservas.casa.example"}, other).status_code == 302
    )
    assert booking_post(client, {"Origin": "http://reservas.casa.example"}).status_code == 403
    assert Reservation.objects.count() == 2


def test_the_refusal_in_a_frame_is_shown_in_the_frame(client, embeddable):
    response = booking_post(client, {"Sec-Fetch-Site": "cross-site"}, CHOSEN + "&embed=1&lang=es")
    assert response.status_code == 403
    assert_frameable_by(response, ORIGINS)
    page = response.content.decode()
    assert "Tu reserva no se ha hecho" in page
    assert (
        'href="/book/casa/?party_size=2&amp;date=2025-08-30&amp;time=20:00&amp;embed=1&amp;lang=es"'
        in page
    )
    assert 'class="site"' not in page


def test_the_form_carries_no_csrf_token(client, embeddable):
    page = client.get(CHOSEN).content.decode()
    assert "csrfmiddlewaretoken" not in page
    assert "csrftoken" not in client.cookies


# --- the result in a signed address ---------------------------------------------------------------


def booked_url(client, url=CHOSEN) -> str:
    response = booking_post(client, FROM_THE_PAGE, url)
    assert response.status_code == 302
    return response.url


def test_the_result_page_needs_no_session(client, framed, embeddable):
    url = booked_url(client)
    assert "booking_done" not in client.session
    assert framed.get(url).status_code == 200  # another browser, no cookie at all


@pytest.mark.parametrize("token", ["", "nonsense", "eyJhIjoxfQ:1abc:xyz", "a" * 5000])
def test_a_bad_token_leads_back_to_the_form(client, embeddable, token):
    response = client.get(f"/book/casa/booked/?b={token}")
    assert response.status_code == 302 and response.url == "/book/casa/"


def test_a_tampered_token_leads_back_to_the_form(client, embeddable):
    url = booked_url(client)
    token = parse_qs(urlsplit(url).query)["b"][0]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = client.get(f"/book/casa/booked/?b={tampered}")
    assert response.status_code == 302 and response.url == "/book/casa/"


def test_a_token_lapses_after_two_days(client, embeddable, clock):
    url = booked_url(client)
    clock.move_to(NOW + timedelta(days=2) - timedelta(minutes=1))
    assert client.get(url).status_code == 200
    clock.move_to(NOW + timedelta(days=2, minutes=1))
    response = client.get(url)
    assert response.status_code == 302 and response.url == "/book/casa/"


def test_another_restaurants_token_leads_back_to_this_restaurants_form(client, embeddable):
    RestaurantFactory(slug="otra")
    token = parse_qs(urlsplit(booked_url(client)).query)["b"][0]
    response = client.get(f"/book/otra/booked/?b={token}&embed=1")
    assert response.status_code == 302 and response.url == "/book/otra/?embed=1"


def test_another_signed_value_of_the_service_is_no_token(client, embeddable):
    from django.core import signing

    forged = signing.dumps(
        {
            "restaurant_id": embeddable.pk,
            "date": "2025-08-30",
            "time": "20:00",
            "party_size": 2,
            "expires_at": NOW.isoformat(),
        }
    )
    response = client.get(f"/book/casa/booked/?b={forged}")
    assert response.status_code == 302


def test_the_token_shows_nothing_of_the_guest(client, embeddable):
    token = parse_qs(urlsplit(booked_url(client)).query)["b"][0]
    from django.core import signing

    from web.receipt import SALT

    summary = signing.loads(token, salt=SALT)
    assert set(summary) == {"restaurant_id", "date", "time", "party_size", "expires_at"}
    assert "marta" not in str(summary).lower()


# --- the scripts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["embed.js", "frame.js"])
def test_the_scripts_are_served_from_this_origin(client, name):
    response = client.get(f"/static/reservaflow/{name}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
