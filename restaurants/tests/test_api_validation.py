"""Bad input: each a 400 ``validation_error`` naming the field under ``details``, with
nothing written; unknown ids a 404; never a 500."""

from datetime import time

import pytest

from restaurants.models import Closure, DurationRule, OpeningHours, Restaurant, Table
from restaurants.tests.factories import DurationRuleFactory, OpeningHoursFactory, TableFactory

pytestmark = pytest.mark.django_db


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["details"], body


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Restaurant, Table, OpeningHours, Closure, DurationRule)
    ]


# --- restaurants ----------------------------------------------------------------------------


def test_unknown_timezone_on_create(as_superuser):
    response = as_superuser.post("/api/restaurants/", {"name": "X", "timezone": "Mars/Olympus"})
    assert_refused(response, "timezone")
    assert not Restaurant.objects.exists()


def test_unknown_timezone_on_patch(as_manager, restaurant):
    before = snapshot()
    response = as_manager.patch(
        f"/api/restaurants/{restaurant.pk}/", {"timezone": "Europe/Nowhere"}
    )
    assert_refused(response, "timezone")
    assert snapshot() == before


@pytest.mark.parametrize("interval", [7, 0, 45, "fifteen"])
def test_slot_interval_outside_the_allowed_set(as_superuser, interval):
    response = as_superuser.post(
        "/api/restaurants/",
        {"name": "X", "timezone": "UTC", "slot_interval_minutes": interval},
    )
    assert_refused(response, "slot_interval_minutes")
    assert not Restaurant.objects.exists()


def test_hold_minutes_zero(as_manager, restaurant):
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {"hold_minutes": 0})
    assert_refused(response, "hold_minutes")
    restaurant.refresh_from_db()
    assert restaurant.hold_minutes == 15


def test_min_party_size_above_max_party_size_on_create(as_superuser):
    response = as_superuser.post(
        "/api/restaurants/",
        {"name": "X", "timezone": "UTC", "min_party_size": 6, "max_party_size": 4},
    )
    assert_refused(response, "min_party_size")
    assert not Restaurant.objects.exists()


def test_min_party_size_above_the_stored_max_on_patch(as_manager, restaurant):
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {"min_party_size": 13})
    assert_refused(response, "min_party_size")
    restaurant.refresh_from_db()
    assert restaurant.min_party_size == 1


def test_duplicate_slug(as_superuser, restaurant):
    response = as_superuser.post(
        "/api/restaurants/", {"name": "Other", "slug": restaurant.slug, "timezone": "UTC"}
    )
    assert_refused(response, "slug")
    assert Restaurant.objects.count() == 1


def test_invalid_phone(as_manager, restaurant):
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {"phone": "call us"})
    assert_refused(response, "phone")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auto_confirm", "perhaps"),
        ("max_days_ahead", "soon"),
        ("name", ""),
        ("email", "not-an-email"),
        ("min_notice_minutes", -5),
        ("default_duration_minutes", [90]),
    ],
)
def test_wrong_typed_restaurant_fields(as_manager, restaurant, field, value):
    before = snapshot()
    response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/", {field: value}, format="json")
    assert_refused(response, field)
    assert snapshot() == before


def test_unknown_fields_are_named_not_ignored(as_manager, restaurant):
    response = as_manager.patch(
        f"/api/restaurants/{restaurant.pk}/", {"name": "New", "stars": 5, "id": 99}
    )
    assert_refused(response, "stars")
    assert "id" in response.json()["details"]
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno"


def test_a_body_that_is_not_an_object(as_manager, restaurant):
    response = as_manager.post(f"/api/restaurants/{restaurant.pk}/tables/", [1, 2], format="json")
    assert_refused(response, "non_field_errors")


def test_malformed_json(as_manager, restaurant):
    response = as_manager.generic(
        "PATCH",
        f"/api/restaurants/{restaurant.pk}/",
        '{"name": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_bad_list_filter(as_manager, restaurant):
    response = as_manager.get(f"/api/restaurants/{restaurant.pk}/tables/?is_active=maybe")
    assert_refused(response, "is_active")


# --- tables ---------------------------------------------------------------------------------


def test_min_capacity_above_capacity(as_manager, restaurant):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/tables/",
        {"number": "5", "capacity": 2, "min_capacity": 4},
    )
    assert_refused(response, "min_capacity")
    assert not Table.objects.exists()


def test_min_capacity_above_the_stored_capacity_on_patch(as_manager, restaurant):
    table = TableFactory(restaurant=restaurant, capacity=4)
    response = as_manager.patch(
        f"/api/restaurants/{restaurant.pk}/tables/{table.pk}/", {"min_capacity": 5}
    )
    assert_refused(response, "min_capacity")
    table.refresh_from_db()
    assert table.min_capacity == 1


@pytest.mark.parametrize("capacity", [0, 51, "four", None])
def test_capacity_out_of_range_or_wrong_type(as_manager, restaurant, capacity):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/tables/",
        {"number": "5", "capacity": capacity},
        format="json",
    )
    assert_refused(response, "capacity")
    assert not Table.objects.exists()


def test_duplicate_table_number_on_create(as_manager, restaurant):
    TableFactory(restaurant=restaurant, number="7")
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/tables/", {"number": "7", "capacity": 2}
    )
    assert_refused(response, "number")
    assert Table.objects.count() == 1


def test_duplicate_table_number_on_rename(as_manager, restaurant):
    TableFactory(restaurant=restaurant, number="7")
    other = TableFactory(restaurant=restaurant, number="8")
    response = as_manager.patch(
        f"/api/restaurants/{restaurant.pk}/tables/{other.pk}/", {"number": "7"}
    )
    assert_refused(response, "number")
    other.refresh_from_db()
    assert other.number == "8"


def test_the_same_table_number_in_another_restaurant_is_fine(
    as_manager, restaurant, other_restaurant
):
    TableFactory(restaurant=other_restaurant, number="7")
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/tables/", {"number": "7", "capacity": 2}
    )
    assert response.status_code == 201


# --- opening hours --------------------------------------------------------------------------


def hours_url(restaurant):
    return f"/api/restaurants/{restaurant.pk}/opening-hours/"


def test_overlapping_periods_of_one_day(as_manager, restaurant):
    OpeningHoursFactory(restaurant=restaurant, weekday=2, opens_at=time(12), closes_at=time(16))
    response = as_manager.post(
        hours_url(restaurant), {"weekday": 2, "opens_at": "15:00", "closes_at": "18:00"}
    )
    assert_refused(response, "opens_at")
    assert OpeningHours.objects.count() == 1


def test_a_period_after_midnight_overlapping_the_next_days_first_period(as_manager, restaurant):
    # Tuesday's lunch opens at 01:00; Monday's late shift runs until 02:00 on Tuesday.
    OpeningHoursFactory(restaurant=restaurant, weekday=1, opens_at=time(1), closes_at=time(4))
    response = as_manager.post(
        hours_url(restaurant), {"weekday": 0, "opens_at": "22:00", "closes_at": "02:00"}
    )
    assert_refused(response, "opens_at")
    assert OpeningHours.objects.count() == 1


def test_sundays_night_overlapping_mondays_morning(as_manager, restaurant):
    OpeningHoursFactory(restaurant=restaurant, weekday=6, opens_at=time(22), closes_at=time(3))
    response = as_manager.post(
        hours_url(restaurant), {"weekday": 0, "opens_at": "02:00", "closes_at": "05:00"}
    )
    assert_refused(response, "opens_at")


def test_moving_a_period_onto_another(as_manager, restaurant):
    OpeningHoursFactory(restaurant=restaurant, weekday=3, opens_at=time(12), closes_at=time(15))
    dinner = OpeningHoursFactory(
        restaurant=restaurant, weekday=3, opens_at=time(20), closes_at=time(23)
    )
    response = as_manager.patch(f"{hours_url(restaurant)}{dinner.pk}/", {"opens_at": "14:00"})
    assert_refused(response, "opens_at")
    dinner.refresh_from_db()
    assert dinner.opens_at == time(20)


@pytest.mark.parametrize(
    ("field", "value"),
    [("weekday", 7), ("weekday", "monday"), ("opens_at", "noon"), ("closes_at", "25:00")],
)
def test_wrong_opening_hours_values(as_manager, restaurant, field, value):
    body = {"weekday": 1, "opens_at": "12:00", "closes_at": "15:00", field: value}
    response = as_manager.post(hours_url(restaurant), body)
    assert_refused(response, field)
    assert not OpeningHours.objects.exists()


# --- closures -------------------------------------------------------------------------------


def test_closure_ending_before_it_starts(as_manager, restaurant):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/closures/",
        {"starts_on": "2031-05-10", "ends_on": "2031-05-09"},
    )
    assert_refused(response, "ends_on")
    assert not Closure.objects.exists()


def test_closure_with_a_date_that_is_not_one(as_manager, restaurant):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/closures/",
        {"starts_on": "tomorrow", "ends_on": "2031-02-30"},
    )
    assert_refused(response, "starts_on")
    assert "ends_on" in response.json()["details"]


# --- duration rules -------------------------------------------------------------------------


def rules_url(restaurant):
    return f"/api/restaurants/{restaurant.pk}/duration-rules/"


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ((1, 4), (3, 6)),
        ((1, 4), (4, 4)),
        ((5, None), (8, 10)),  # inside an open-ended rule
        ((3, 4), (1, None)),  # an open-ended rule over an existing one
    ],
)
def test_overlapping_duration_rules(as_manager, restaurant, existing, new):
    DurationRuleFactory(restaurant=restaurant, min_party=existing[0], max_party=existing[1])
    response = as_manager.post(
        rules_url(restaurant),
        {"min_party": new[0], "max_party": new[1], "duration_minutes": 100},
        format="json",
    )
    assert_refused(response, "min_party")
    assert DurationRule.objects.count() == 1


def test_duration_rule_with_max_below_min(as_manager, restaurant):
    response = as_manager.post(
        rules_url(restaurant), {"min_party": 5, "max_party": 2, "duration_minutes": 100}
    )
    assert_refused(response, "max_party")
    assert not DurationRule.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("duration_minutes", 2), ("min_party", 0)])
def test_duration_rule_values_out_of_range(as_manager, restaurant, field, value):
    body = {"min_party": 1, "max_party": 2, "duration_minutes": 90, field: value}
    response = as_manager.post(rules_url(restaurant), body)
    assert_refused(response, field)


# --- unknown ids ----------------------------------------------------------------------------


def test_unknown_child_ids_answer_404(as_manager, restaurant):
    for kind in ("tables", "opening-hours", "closures", "duration-rules", "staff"):
        response = as_manager.patch(f"/api/restaurants/{restaurant.pk}/{kind}/424242/", {})
        assert response.status_code == 404, kind
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("opens_at", ["1200", "T12:00", "12:00+01:00", "12:00:00.5", "9:00"])
def test_opening_time_only_as_the_schema_says(as_manager, restaurant, opens_at):
    """HH:MM or HH:MM:00 (the schema's pattern); DRF's own field took these too."""
    before = snapshot()
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/opening-hours/",
        {"weekday": 1, "opens_at": opens_at, "closes_at": "22:00"},
    )
    assert_refused(response, "opens_at")
    assert snapshot() == before


def test_opening_time_as_hh_mm(as_manager, restaurant):
    response = as_manager.post(
        f"/api/restaurants/{restaurant.pk}/opening-hours/",
        {"weekday": 1, "opens_at": "12:00", "closes_at": "22:30:00"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["opens_at"] == "12:00:00"
