"""The host stand's live day (issue 15): the fragment every open page polls answers 304, without
rendering or reading a reservation, while the day's version is unchanged; every change of the
day (the host stand's, the API's, the guest page's) bumps it on commit, so the next poll is a
200 with the new content. Runs on the SQLite pass too: the embedded mode's local-memory cache
holds the versions there."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reservations import services
from reservations.actors import Actor
from reservations.callers import reservation_book_anonymous
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)  # Thursday, 12:00 in Madrid
TONIGHT = date(2025, 8, 28)
LIVE = "/host/casa/live/?date=2025-08-28"
Status = Reservation.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what a change does on commit (the version bump) inside the test's transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def _poll(client, etag: str | None = None):
    headers = {"HX-Request": "true"}
    if etag:
        headers["If-None-Match"] = etag
    return client.get(LIVE, headers=headers)


def _reservation(restaurant, status=Status.CONFIRMED, at=time(20), **kwargs):
    return ReservationFactory(
        table=restaurant.tables.get(), start_at=madrid(TONIGHT, at), status=status, **kwargs
    )


def test_a_poll_answers_the_fragment_with_an_etag_and_the_same_etag_on_the_page(host):
    response = _poll(host)
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert response["Cache-Control"] == "private, no-cache"
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in response.content.decode()
    page = host.get("/host/casa/?date=2025-08-28").content.decode()
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in page
    assert 'hx-trigger="every 2s"' in page


# The session, the user and the restaurant (the host's role there from the cache:
# restaurants.selectors.staff_roles_of): nothing of the day.
UNCHANGED_POLL_QUERIES = 3


def test_an_unchanged_poll_is_a_304_without_reading_any_reservation(host, restaurant):
    _reservation(restaurant)
    etag = _poll(host)["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = _poll(host, etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert len(captured) == UNCHANGED_POLL_QUERIES
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "reservations_" not in tables
    assert "restaurants_table" not in tables


def test_an_unchanged_poll_renders_nothing(host, restaurant, monkeypatch):
    etag = _poll(host)["ETag"]
    from web.host import day

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered")

    monkeypatch.setattr(day, "render", no_rendering)
    monkeypatch.setattr(day, "host_day", no_rendering)
    assert _poll(host, etag).status_code == 304


def test_another_etag_is_answered_in_full(host):
    assert _poll(host, '"something-else"').status_code == 200


@pytest.mark.parametrize(
    ("status", "at", "change", "shows"),
    [
        (Status.PENDING, time(20), "confirm", "Confirmed"),
        (Status.CONFIRMED, time(20), "seat", "Seated"),
        (Status.SEATED, time(11), "complete", "Completed"),
        (Status.CONFIRMED, time(11), "no-show", "No-show"),
        (Status.CONFIRMED, time(20), "cancel", "Cancelled"),
    ],
)
def test_each_action_of_another_host_makes_the_next_poll_show_it(
    client, staff, restaurant, commits, status, at, change, shows
):
    reservation = _reservation(restaurant, status, at)
    client.force_login(staff["host"])
    first = _poll(client)
    other = Client()
    other.force_login(staff["manager"])
    with commits():
        assert other.post(f"/host/casa/reservations/{reservation.pk}/{change}/").status_code == 302
    response = _poll(client, first["ETag"])
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    reservation.refresh_from_db()
    badge = f'<span class="badge status-{reservation.status}">{shows}</span>'
    assert badge in response.content.decode()


@pytest.mark.parametrize(
    "service",
    [
        lambda r, a: services.reservation_confirm(reservation=r, actor=a),
        lambda r, a: services.reservation_cancel(reservation=r, actor=a),
        lambda r, a: services.reservation_change(reservation=r, actor=a, data={"notes": "Window"}),
        lambda r, a: services.reservation_change(
            reservation=r, actor=a, data={"allergies": "nuts"}
        ),
    ],
    ids=["confirm", "cancel", "notes", "allergies"],
)
def test_every_service_change_of_the_day_bumps_its_version(
    host, restaurant, commits, staff, service
):
    reservation = _reservation(restaurant, Status.PENDING)
    etag = _poll(host)["ETag"]
    actor = Actor.manager(staff["manager"], restaurant.pk)
    with commits():
        service(reservation, actor)
    assert _poll(host, etag).status_code == 200


@pytest.mark.parametrize(
    ("status", "at", "name"),
    [
        (Status.CONFIRMED, time(20), "seat"),
        (Status.SEATED, time(11), "complete"),
        (Status.CONFIRMED, time(11), "mark_no_show"),
    ],
)
def test_seat_complete_and_no_show_bump_it_too(host, restaurant, commits, staff, status, at, name):
    reservation = _reservation(restaurant, status, at)
    etag = _poll(host)["ETag"]
    with commits():
        getattr(services, f"reservation_{name}")(
            reservation=reservation, actor=Actor.host(staff["host"], restaurant.pk)
        )
    assert _poll(host, etag).status_code == 200


def test_a_change_through_the_api_makes_the_next_poll_a_200_with_the_new_content(
    host, restaurant, commits, staff, api_client
):
    reservation = _reservation(restaurant, notes="")
    etag = _poll(host)["ETag"]
    api_client.force_authenticate(staff["manager"])
    with commits():
        response = api_client.patch(
            f"/api/reservations/{reservation.pk}/", {"notes": "Anniversary"}, format="json"
        )
    assert response.status_code == 200, response.content
    polled = _poll(host, etag)
    assert polled.status_code == 200
    assert "Anniversary" in polled.content.decode()
    with commits():
        assert api_client.post(f"/api/reservations/{reservation.pk}/seat/").status_code == 200
    again = _poll(host, polled["ETag"])
    assert again.status_code == 200
    assert '<span class="badge status-seated">Seated</span>' in again.content.decode()


def test_a_booking_on_the_guest_page_shows_on_the_next_poll(host, restaurant, commits):
    etag = _poll(host)["ETag"]
    with commits():
        reservation_book_anonymous(
            restaurant_id=restaurant.pk,
            reservation_date=TONIGHT,
            reservation_time=time(21),
            party_size=2,
            first_name="Nueva",
            email="nueva@example.com",
            client_address="203.0.113.9",
        )
    polled = _poll(host, etag)
    assert polled.status_code == 200
    assert "Nueva" in polled.content.decode()


def test_a_change_two_days_away_leaves_the_day_unchanged(host, restaurant, commits, staff):
    later = ReservationFactory(
        table=restaurant.tables.get(), start_at=madrid(date(2025, 8, 30), time(20))
    )
    etag = _poll(host)["ETag"]
    with commits():
        services.reservation_cancel(
            reservation=later, actor=Actor.host(staff["host"], restaurant.pk)
        )
    assert _poll(host, etag).status_code == 304


def test_the_clocks_minute_renews_the_etag(host, clock):
    """Lapsed holds and the "now" line change with the clock alone."""
    etag = _poll(host)["ETag"]
    clock.shift(61)
    assert _poll(host, etag).status_code == 200


def test_the_etag_differs_by_search_and_language(host):
    plain = _poll(host)["ETag"]
    searched = host.get(LIVE + "&q=lola", headers={"HX-Request": "true"})["ETag"]
    spanish = host.get(LIVE + "&lang=es", headers={"HX-Request": "true"})["ETag"]
    assert len({plain, searched, spanish}) == 3


def test_a_cache_that_fails_gives_no_etag_and_every_poll_renders(host, monkeypatch):
    from reservations import availability

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(availability, "_ensure_versions", broken)
    response = _poll(host)
    assert response.status_code == 200
    assert "ETag" not in response
    assert _poll(host, '""').status_code == 200


def test_a_guests_new_name_shows_on_the_next_poll(host, restaurant, commits, staff):
    from customers.services import customer_update

    reservation = _reservation(restaurant)
    etag = _poll(host)["ETag"]
    with commits():
        customer_update(customer=reservation.customer, data={"last_name": "Renombrada"})
    polled = _poll(host, etag)
    assert polled.status_code == 200
    assert "Renombrada" in polled.content.decode()


def test_a_new_name_of_a_guest_booked_elsewhere_leaves_the_day_unchanged(host, restaurant, commits):
    from customers.services import customer_update
    from customers.tests.factories import CustomerFactory

    _reservation(restaurant)
    elsewhere = CustomerFactory()
    etag = _poll(host)["ETag"]
    with commits():
        customer_update(customer=elsewhere, data={"last_name": "Otra"})
    assert _poll(host, etag).status_code == 304
