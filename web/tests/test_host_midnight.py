"""A service across midnight at the host stand: the day is the service day (reservations.rules),
so a party at 00:30 in a dinner that opened at 20:00 is that evening's, on its page, its list,
its covers and its timeline, and not the next calendar day's; after midnight, during that
dinner, "today" is still the evening, and every action, walk-in and link comes back to it."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine

from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.models import OpeningHours
from restaurants.tests.factories import ClosureFactory
from web.tests.conftest import madrid

pytestmark = pytest.mark.django_db

THURSDAY, FRIDAY = date(2025, 8, 28), date(2025, 8, 29)
AFTER_MIDNIGHT = datetime(2025, 8, 28, 22, 45, tzinfo=UTC)  # Friday 00:45 in Madrid
Status = Reservation.Status


@pytest.fixture
def late(restaurant):
    """Thursday's dinner runs 20:00-02:00, into Friday; Friday's still closes at 23:30."""
    OpeningHours.objects.filter(restaurant=restaurant, weekday=3, name="dinner").update(
        closes_at=time(2)
    )
    return restaurant


@pytest.fixture
def host(client, staff):
    client.force_login(staff["host"])
    return client


@pytest.fixture
def night_party(late):
    """A party of 3 at 00:30 on Friday: Thursday's dinner."""
    return ReservationFactory(
        table=late.tables.get(), start_at=madrid(FRIDAY, time(0, 30)), party_size=3
    )


def _page(client, query: str) -> str:
    response = client.get("/host/casa/" + query)
    assert response.status_code == 200
    return response.content.decode()


def _hours(page: str) -> list[str]:
    return re.findall(r'class="hour-label"[^>]*>([0-9:]+)<', page)


def _slots(page: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="strong">([0-9:]+)</span> <span>([^<]+)</span>', page))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2025, 8, 28, 10, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def test_a_party_after_midnight_is_on_the_evenings_page_not_the_next_days(host, late, night_party):
    lunch = ReservationFactory(
        table=late.tables.get(), start_at=madrid(FRIDAY, time(13)), party_size=2
    )
    thursday = _page(host, "?date=2025-08-28")
    assert f'id="r-{night_party.pk}"' in thursday
    assert "3 guests in 1 party today" in thursday
    assert _slots(thursday)["00:30"] == "3 g · 1 p"
    assert list(_slots(thursday))[-4:] == ["00:00", "00:30", "01:00", "01:30"]
    assert f'href="#r-{night_party.pk}"' in thursday  # its block on the timeline
    assert _hours(thursday)[-1] == "02:00"

    friday = _page(host, "?date=2025-08-29")
    assert f'id="r-{night_party.pk}"' not in friday
    assert f'href="#r-{night_party.pk}"' not in friday
    assert f'id="r-{lunch.pk}"' in friday
    assert "2 guests in 1 party today" in friday
    assert _hours(friday)[0] == "13:00"  # not stretched back to midnight


def test_a_closure_closes_its_service_day_after_midnight_too(host, late, night_party):
    ClosureFactory(restaurant=late, starts_on=FRIDAY, ends_on=FRIDAY)
    thursday = _page(host, "?date=2025-08-28")
    assert "The restaurant is closed on this day." not in thursday
    assert f'id="r-{night_party.pk}"' in thursday
    assert "The restaurant is closed on this day." in _page(host, "?date=2025-08-29")


def test_after_midnight_today_is_still_the_evening(host, late, clock):
    clock.move_to(AFTER_MIDNIGHT)
    page = _page(host, "")
    assert 'Thursday 28 August 2025 <span class="badge">Today</span>' in page
    assert 'class="now"' in page
    friday = _page(host, "?date=2025-08-29")
    assert '<span class="badge">Today</span>' not in friday
    assert 'class="now"' not in friday


def test_after_the_service_today_is_the_calendar_date(host, late, clock):
    clock.move_to(datetime(2025, 8, 29, 0, 30, tzinfo=UTC))  # Friday 02:30: dinner is over
    assert 'Friday 29 August 2025 <span class="badge">Today</span>' in _page(host, "")


def test_after_midnight_an_action_comes_back_to_the_evening(host, night_party, clock):
    clock.move_to(AFTER_MIDNIGHT)
    url = f"/host/casa/reservations/{night_party.pk}/seat/"
    response = host.post(url)
    assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{night_party.pk}"
    swapped = host.post(
        f"/host/casa/reservations/{night_party.pk}/complete/", headers={"HX-Request": "true"}
    )
    body = swapped.content.decode()
    assert swapped.status_code == 200
    assert 'hx-get="/host/casa/live/?date=2025-08-28"' in body
    assert re.search(rf'<tr id="r-{night_party.pk}" class="status-completed"', body)
    refused = host.post(url, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    row = re.search(rf'<tr id="r-{night_party.pk}".*?</tr>', refused.content.decode(), re.S)
    assert "This reservation is completed now" in row.group(0)


def test_the_reservations_page_links_back_to_the_evening(host, night_party):
    page = host.get(f"/host/casa/reservations/{night_party.pk}/").content.decode()
    assert f'href="/host/casa/?date=2025-08-28#r-{night_party.pk}"' in page


def test_a_walk_in_after_midnight_is_seated_on_the_evenings_page(host, late, clock):
    clock.move_to(AFTER_MIDNIGHT)
    response = host.post("/host/casa/walk-in/", {"walk_in-party_size": "2"})
    walked = Reservation.objects.get(source=Reservation.Source.WALK_IN)
    assert walked.reservation_date == FRIDAY  # its calendar date
    assert response["Location"] == f"/host/casa/?date=2025-08-28#r-{walked.pk}"
    assert f'id="r-{walked.pk}"' in _page(host, "?date=2025-08-28")


def test_a_refused_walk_in_after_midnight_shows_the_evening(host, night_party, clock):
    clock.move_to(AFTER_MIDNIGHT)
    response = host.post("/host/casa/walk-in/", {"walk_in-party_size": "2"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "No table for this party is free now. One frees up at 02:00." in page
    assert "Thursday 28 August 2025" in page
