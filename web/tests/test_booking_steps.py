"""The booking page's first two steps through the Django test client: the calendar with its
reasons, the day's times by service period, deep links and every bad parameter."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from reservations.tests.factories import ReservationFactory
from restaurants.tests.factories import RestaurantFactory, TableFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

# Thursday 2025-08-28, 12:00 in Madrid.
NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)
URL = "/book/casa/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _occupy(restaurant, day: date, at: time, minutes: int):
    return ReservationFactory(
        table=restaurant.tables.get(), start_at=madrid(day, at), minutes=minutes
    )


def _page(client, query: str = "", **headers) -> str:
    response = client.get(URL + query, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def _day_cell(page: str, day: date) -> str:
    """The calendar cell of ``day`` in the month shown (its link or its disabled span)."""
    for cell in re.findall(r"<td>(.*?)</td>", page, re.S):
        if re.search(rf">{day.day}(<small|</a>)", cell):
            return cell
    raise AssertionError(f"no calendar cell for {day}")


def _times(section: str) -> list[str]:
    return re.findall(r'class="button time[^"]*"[^>]*>([0-9]{2}:[0-9]{2})</a>', section)


def _section(page: str, step: int) -> str:
    start = page.index(f'id="step-{step}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_the_calendar_links_open_days_and_disables_the_others_with_their_reason(client, restaurant):
    _occupy(restaurant, date(2025, 9, 6), time(13), minutes=11 * 60)  # the whole Saturday
    page = _page(client, "?party_size=2&month=2025-09")
    assert "href" in _day_cell(page, date(2025, 9, 2))  # a Tuesday
    closed_monday = _day_cell(page, date(2025, 9, 1))
    assert "href" not in closed_monday and "Closed" in closed_monday
    assert "Closed" in _day_cell(page, date(2025, 9, 3))  # the closure
    assert "Fully booked" in _day_cell(page, date(2025, 9, 6))
    assert "href" in _day_cell(page, date(2025, 9, 27))  # the last day of the horizon
    assert "Not bookable yet" in _day_cell(page, date(2025, 9, 28))


def test_days_before_today_are_past(client, restaurant):
    page = _page(client, "?party_size=2")
    assert "Past" in _day_cell(page, date(2025, 8, 27))
    assert "href" in _day_cell(page, date(2025, 8, 28))


def test_a_day_shows_its_free_times_grouped_by_service_period(client, restaurant):
    page = _page(client, "?party_size=2&date=2025-08-30")
    times = _section(page, 2)
    lunch, dinner = times.index("<h3>Lunch</h3>"), times.index("<h3>Dinner</h3>")
    assert lunch < dinner
    assert _times(times[lunch:dinner]) == ["13:00", "13:30", "14:00", "14:30"]
    assert _times(times[dinner:]) == ["20:00", "20:30", "21:00", "21:30", "22:00"]
    # Without JavaScript the page opens at the step the link leads to.
    assert 'href="?party_size=2&amp;date=2025-08-30&amp;time=20:00#step-3"' in times
    assert 'hx-get="?party_size=2&amp;date=2025-08-30&amp;time=20:00"' in times
    assert 'href="?party_size=2&amp;date=2025-08-31#step-2"' in _section(page, 1)
    assert 'id="step-3"' not in page


def test_a_deep_link_with_a_free_time_opens_the_details_step(client, restaurant):
    page = _page(client, "?party_size=2&date=2025-08-30&time=20:00")
    assert 'data-step="3"' in page
    assert "3. Your details for 20:00" in page
    assert 'aria-current="true"' in _section(page, 2)


@pytest.mark.parametrize(
    "query",
    [
        "?date=2025-08-30&time=20:00",  # no party size: the default party of two
        "?party_size=2&date=2025-08-30&time=20:00&utm_source=newsletter&ref=x",
    ],
)
def test_a_deep_link_without_a_party_or_with_foreign_parameters_still_opens(
    client, restaurant, query
):
    page = _page(client, query)
    assert 'data-step="3"' in page and "3. Your details for 20:00" in page
    assert "Choose a party size" not in page


def test_a_taken_time_says_so_and_offers_the_nearest_free_ones(client, restaurant):
    _occupy(restaurant, date(2025, 8, 30), time(20), minutes=90)
    page = _page(client, "?party_size=2&date=2025-08-30&time=20:30")
    step = _section(page, 2)
    assert "20:30 is not free for a party of 2." in step
    nearest = step[: step.index("<h3>")]
    assert _times(nearest) == ["21:30", "22:00"]
    assert 'data-step="2"' in page


def test_a_taken_time_far_from_the_days_free_ones_offers_those_not_other_days(client, restaurant):
    # Dinner is taken from 18:00 to midnight; lunch is free, more than two hours away.
    _occupy(restaurant, date(2025, 8, 30), time(18), minutes=6 * 60)
    page = _page(client, "?party_size=2&date=2025-08-30&time=21:00")
    step = _section(page, 2)
    assert "21:00 is not free for a party of 2." in step
    assert "Next days with a free table:" not in page
    assert "13:00" in _times(step)


def test_a_full_day_says_why_and_offers_the_next_days_with_a_free_start(client, restaurant):
    _occupy(restaurant, date(2025, 8, 30), time(13), minutes=11 * 60)
    page = _page(client, "?party_size=2&date=2025-08-30")
    assert "cannot be booked: fully booked" in page
    step = _section(page, 1)
    assert "date=2025-08-31" in step.split("Next days with a free table:")[1]
    assert 'id="step-2"' not in page


@pytest.mark.parametrize(
    ("query", "step", "message"),
    [
        ("?party_size=0", 1, "Choose a party size from 1 to 4."),
        ("?party_size=abc&date=2025-08-30", 1, "Choose a party size from 1 to 4."),
        ("?party_size=&date=2025-08-30", 1, "Choose a party size."),
        ("?party_size=2&date=2025-02-30", 1, "Choose a date from the calendar."),
        ("?party_size=2&date=2025-08-27", 1, "cannot be booked: past"),
        ("?party_size=2&date=2025-09-01", 1, "cannot be booked: closed"),
        ("?party_size=2&date=2025-10-30", 1, "cannot be booked: not bookable yet"),
        ("?party_size=2&date=9999-12-31", 1, "cannot be booked: not bookable yet"),
        ("?party_size=2&date=9999-12-31&time=20:00", 1, "cannot be booked: not bookable yet"),
        ("?party_size=2&date=0001-01-01", 1, "cannot be booked: past"),
        ("?party_size=2&date=2025-08-30&time=25:00", 2, "Choose one of the times shown."),
        ("?party_size=2&date=2025-08-30&time=20:10", 2, "20:10 is not free for a party of 2."),
        ("?party_size=2&date=2025-08-30&time=%00%ff", 2, "Choose one of the times shown."),
    ],
)
def test_a_bad_parameter_shows_its_own_step_with_a_message(
    client, restaurant, query, step, message
):
    page = _page(client, query)
    assert message in _section(page, step)
    assert 'role="alert"' in _section(page, step)


@pytest.mark.parametrize("month", ["0000-01", "2025-13", "x", "1999-01", "2030-01"])
def test_any_month_parameter_shows_a_bookable_month(client, restaurant, month):
    page = _page(client, f"?party_size=2&month={month}")
    assert re.search(r'class="month-name">(August|September) 2025<', page)


def test_in_spanish(client, restaurant):
    page = _page(client, "?party_size=2&date=2025-08-30&lang=es")
    assert '<html lang="es">' in page
    assert "1. Personas y fecha" in page and "Cena" not in page  # period names are the restaurant's
    assert "agosto" in page.lower()
    assert "<h3>Dinner</h3>" in page


def test_an_htmx_request_gets_only_the_steps(client, restaurant):
    response = client.get(URL + "?party_size=2&date=2025-08-30", headers={"hx-request": "true"})
    body = response.content.decode()
    assert body.startswith('<div id="booking"')
    assert "<html" not in body and 'id="step-2"' in body
    # The status goes into the page's live region, which stays outside what htmx replaces.
    assert body.count("aria-live") == 0
    assert '<p id="booking-status" hx-swap-oob="innerHTML">Day chosen: choose a time.</p>' in body
    page = _page(client, "?party_size=2&date=2025-08-30")
    assert page.count("aria-live") == 1
    assert page.index('aria-live="polite" id="booking-status"') < page.index('<div id="booking"')


def test_unknown_and_inactive_restaurants_are_404(client, restaurant):
    RestaurantFactory(slug="closed-for-good", is_active=False)
    assert client.get("/book/nowhere/").status_code == 404
    assert client.get("/book/closed-for-good/").status_code == 404


def test_switching_language_keeps_the_step(client, restaurant):
    query = "?party_size=2&date=2025-08-30&time=20:00"
    page = _page(client, query)
    assert 'href="?party_size=2&amp;date=2025-08-30&amp;time=20:00&amp;lang=es"' in page
    spanish = _page(client, query + "&lang=es")
    assert 'href="?party_size=2&amp;date=2025-08-30&amp;time=20:00&amp;lang=en"' in spanish
    assert "3. Tus datos para las 20:00" in spanish


def test_an_htmx_step_brings_the_language_links_of_its_own_address(client, restaurant):
    page = _page(client, "?party_size=2&date=2025-08-30", HX_Request="true")
    nav = page[page.index('id="languages"') :].split("</nav>")[0]
    assert 'hx-swap-oob="true"' in nav
    assert 'href="?party_size=2&amp;date=2025-08-30&amp;lang=es"' in nav


def test_only_the_parties_a_table_seats_are_offered(client, restaurant):
    """The policy allows 1 to 12, the one table seats 1 to 4: a party of ten could never be
    booked, so it is not offered, and a link asking for it says whom to call."""
    page = _page(client)
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == ["1", "2", "3", "4"]
    TableFactory(restaurant=restaurant, number="big", min_capacity=8, capacity=10)
    options = re.findall(r'<option value="(\d+)"', _page(client))
    assert options == ["1", "2", "3", "4", "8", "9", "10"]
    refused = _page(client, "?party_size=6&date=2025-08-30")
    assert "For another party, please call the restaurant." in refused
