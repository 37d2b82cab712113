"""Strict formats in the restaurants API (docs/api-restaurants.md, "Formats"): integers only as
JSON integers, dates only YYYY-MM-DD, times HH:MM (or HH:MM:00), time zones only canonical
IANA names. Each bad spelling below was accepted before; now a 400 ``validation_error`` naming
the field with the expected format, and nothing written."""

import re

import pytest

from core.errors import ValidationFailed
from core.tests.assertions import assert_refused
from restaurants import services
from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
)
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))
DOCUMENTED_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:00)?"
INT_MESSAGE = "integer"
DATE_MESSAGE = "YYYY-MM-DD"
TIME_MESSAGE = "HH:MM"
ZONE_MESSAGE = "canonical IANA time zone"

# Names zoneinfo loads but no one should pick: the server's own clock, a placeholder, links
# kept for old data, POSIX-style rules and inverted-sign offsets.
NON_CANONICAL_ZONES = [
    "localtime",
    "Factory",
    "US/Eastern",
    "Asia/Calcutta",
    "Europe/Kiev",
    "EST5EDT",
    "Etc/GMT+5",
    "Etc/UTC",
    "GMT",
    "Zulu",
    "UCT",
]
CANONICAL_ZONES = [
    "UTC",
    "Europe/Madrid",
    "Europe/Amsterdam",  # merged into Europe/Brussels by tzdata, still its country's zone
    "Europe/Kyiv",
    "Asia/Kolkata",
    "America/Argentina/Buenos_Aires",
    "Antarctica/Troll",
]


def arabic(text: str) -> str:
    return text.translate(ARABIC_INDIC)


def loose(n: int) -> list:
    """``n`` as a JSON string, in Arabic-Indic digits and as a float: each was read as ``n``."""
    return [str(n), arabic(str(n)), float(n)]


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Restaurant, Table, OpeningHours, Closure, DurationRule)
    ]


# --- restaurants: integers and time zones ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_party_size", v) for v in loose(8)]
    + [("hold_minutes", v) for v in loose(20)]
    + [("slot_interval_minutes", v) for v in loose(30)],  # an integer choice
)
def test_restaurant_integers_only_as_json_integers(as_manager, restaurant, field, value):
    before = snapshot()
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {field: value})
    assert_refused(response, field, INT_MESSAGE)
    assert snapshot() == before


@pytest.mark.parametrize("zone", NON_CANONICAL_ZONES)
def test_a_new_restaurant_needs_a_canonical_zone(as_superuser, zone):
    response = as_superuser.post("/api/restaurants/", {"name": "X", "timezone": zone})
    assert_refused(response, "timezone", ZONE_MESSAGE)
    assert not Restaurant.objects.exists()


@pytest.mark.parametrize("zone", NON_CANONICAL_ZONES)
def test_a_zone_changes_only_to_a_canonical_one(as_manager, restaurant, zone):
    before = snapshot()
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {"timezone": zone})
    assert_refused(response, "timezone", ZONE_MESSAGE)
    assert snapshot() == before


@pytest.mark.parametrize("zone", NON_CANONICAL_ZONES)
def test_the_service_refuses_a_non_canonical_zone_for_every_caller(restaurant, zone):
    """The admin and commands write through the services, which hold the same rule."""
    with pytest.raises(ValidationFailed) as caught:
        services.restaurant_create(name="X", timezone=zone)
    assert "timezone" in caught.value.details
    with pytest.raises(ValidationFailed) as caught:
        services.restaurant_update(restaurant=restaurant, data={"timezone": zone})
    assert "timezone" in caught.value.details
    restaurant.refresh_from_db()
    assert restaurant.timezone == "Europe/Madrid"


@pytest.mark.parametrize("zone", CANONICAL_ZONES)
def test_canonical_zones_are_accepted(as_superuser, zone):
    response = as_superuser.post("/api/restaurants/", {"name": "X", "timezone": zone})
    assert response.status_code == 201, response.json()
    assert response.json()["timezone"] == zone


def test_a_restaurant_keeps_a_zone_it_already_has(as_manager, manager):
    """A zone stored before the rule (an alias) stays valid: other fields still change, and
    a full PATCH may send the zone back unchanged."""
    legacy = RestaurantFactory(timezone="US/Eastern")
    StaffMembershipFactory(restaurant=legacy, user=manager, role=StaffMembership.Role.MANAGER)
    response = as_manager.patch(f"/api/restaurants/{legacy.pk}/", {"name": "Renamed"})
    assert response.status_code == 200, response.json()
    response = as_manager.patch(
        f"/api/restaurants/{legacy.pk}/", {"timezone": "US/Eastern", "hold_minutes": 20}
    )
    assert response.status_code == 200, response.json()
    legacy.refresh_from_db()
    assert (legacy.timezone, legacy.hold_minutes, legacy.name) == ("US/Eastern", 20, "Renamed")
    # ...but it cannot move to another alias.
    response = as_manager.patch(f"/api/restaurants/{legacy.pk}/", {"timezone": "US/Central"})
    assert_refused(response, "timezone", ZONE_MESSAGE)


# --- tables, hours, closures, turn times, staff ---------------------------------------------


@pytest.mark.parametrize("value", loose(4))
def test_table_capacity_only_as_a_json_integer(as_manager, restaurant, value):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/tables/", {"number": "9", "capacity": value}
    )
    assert_refused(response, "capacity", INT_MESSAGE)
    assert not Table.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [("weekday", v, INT_MESSAGE) for v in loose(2)]  # an integer choice
    + [("opens_at", v, TIME_MESSAGE) for v in ("9:00", "12:0", arabic("12:00"), "12:00:30")],
)
def test_opening_hours_formats(as_manager, restaurant, field, value, says):
    body = {"weekday": 2, "opens_at": "12:00", "closes_at": "16:00", field: value}
    response = as_manager.post(f"/api/restaurants/{restaurant.pk}/opening-hours/", body)
    assert_refused(response, field, says)
    assert not OpeningHours.objects.exists()


def test_opening_hours_times_round_trip(as_manager, restaurant):
    url = f"/api/restaurants/{restaurant.pk}/opening-hours/"
    response = as_manager.post(url, {"weekday": 2, "opens_at": "12:00", "closes_at": "16:00:00"})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["opens_at"], created["closes_at"]) == ("12:00:00", "16:00:00")
    assert re.fullmatch(DOCUMENTED_TIME, created["opens_at"])
    response = as_manager.patch(f"{url}{created['id']}/", {"opens_at": created["opens_at"]})
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "value", ["20270120", "2027-W03-3", "2027-01-20\n", "2027-1-20", arabic("2027-01-20")]
)
def test_closure_dates_only_yyyy_mm_dd(as_manager, restaurant, value):
    body = {"starts_on": value, "ends_on": "2027-01-21", "reason": "Works"}
    response = as_manager.post(f"/api/restaurants/{restaurant.pk}/closures/", body)
    assert_refused(response, "starts_on", DATE_MESSAGE)
    assert not Closure.objects.exists()


def test_closure_dates_as_documented(as_manager, restaurant):
    body = {"starts_on": "2027-01-20", "ends_on": "2027-01-21", "reason": "Works"}
    response = as_manager.post(f"/api/restaurants/{restaurant.pk}/closures/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["starts_on"] == "2027-01-20"


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_party", v) for v in loose(1)]
    + [("max_party", v) for v in loose(4)]
    + [("duration_minutes", v) for v in loose(90)],
)
def test_duration_rule_integers(as_manager, restaurant, field, value):
    body = {"min_party": 1, "max_party": 4, "duration_minutes": 90, field: value}
    response = as_manager.post(f"/api/restaurants/{restaurant.pk}/duration-rules/", body)
    assert_refused(response, field, INT_MESSAGE)
    assert not DurationRule.objects.exists()


@pytest.mark.parametrize("spelling", range(3))
def test_staff_user_id_only_as_a_json_integer(as_manager, restaurant, guest, spelling):
    value = loose(guest.pk)[spelling]
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/staff/", {"user_id": value, "role": "host"}
    )
    assert_refused(response, "user_id", INT_MESSAGE)
    assert not restaurant.memberships.filter(user=guest).exists()


@pytest.mark.parametrize("value", [arabic("1"), "1.0", "abc"])
def test_list_pages_only_in_ascii_digits(api_client, restaurant, value):
    TableFactory(restaurant=restaurant)
    response = api_client.get(f"/api/restaurants/{restaurant.pk}/tables/", {"page_size": value})
    assert_refused(response, "page_size", INT_MESSAGE)
