"""A restaurant's tables, opening hours, closures and duration rules through the API."""

from datetime import timedelta

import pytest

from core.clock import now
from restaurants.models import Closure, DurationRule, OpeningHours, Table
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db


def tables_url(restaurant, table=None):
    suffix = f"{table.pk}/" if table else ""
    return f"/api/restaurants/{restaurant.pk}/tables/{suffix}"


# --- tables ---------------------------------------------------------------------------------


def test_manager_creates_a_table(as_manager, restaurant):
    response = as_manager.post(
        tables_url(restaurant),
        {"number": "12", "capacity": 6, "min_capacity": 3, "area": "terrace"},
    )
    assert response.status_code == 201, response.json()
    table = Table.objects.get(pk=response.json()["id"])
    assert (table.restaurant, table.number, table.capacity, table.min_capacity, table.area) == (
        restaurant,
        "12",
        6,
        3,
        "terrace",
    )
    assert response.json()["is_active"] is True


def test_tables_filter_by_area_and_active_and_order(as_manager, restaurant):
    TableFactory(restaurant=restaurant, number="1", capacity=2, area="outdoor")
    TableFactory(restaurant=restaurant, number="2", capacity=6, area="outdoor")
    TableFactory(restaurant=restaurant, number="3", capacity=4, area="indoor")
    TableFactory(restaurant=restaurant, number="4", capacity=8, area="outdoor", is_active=False)

    outdoor = as_manager.get(tables_url(restaurant) + "?area=outdoor&ordering=-capacity").json()
    assert [t["number"] for t in outdoor["results"]] == ["4", "2", "1"]
    active_outdoor = as_manager.get(tables_url(restaurant) + "?area=outdoor&is_active=true")
    assert [t["number"] for t in active_outdoor.json()["results"]] == ["1", "2"]
    inactive = as_manager.get(tables_url(restaurant) + "?is_active=false").json()
    assert [t["number"] for t in inactive["results"]] == ["4"]


def test_deactivating_a_table_hides_it_from_the_public(as_manager, api_client, restaurant):
    table = TableFactory(restaurant=restaurant)
    response = as_manager.patch(tables_url(restaurant, table), {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    api_client.force_authenticate(None)
    assert api_client.get(tables_url(restaurant, table)).status_code == 404


def test_a_table_without_reservations_is_deleted(as_manager, restaurant):
    table = TableFactory(restaurant=restaurant)
    response = as_manager.delete(tables_url(restaurant, table))
    assert response.status_code == 204
    assert not Table.objects.filter(pk=table.pk).exists()


@pytest.mark.parametrize("status", ["pending", "confirmed", "seated"])
def test_a_table_with_reservations_ahead_is_not_deleted(as_manager, restaurant, book_table, status):
    table = TableFactory(restaurant=restaurant)
    book_table(table=table, start_at=now() + timedelta(days=3), status=status)
    response = as_manager.delete(tables_url(restaurant, table))
    assert response.status_code == 409
    assert response.json()["code"] == "table_has_reservations"
    table.refresh_from_db()
    assert table.is_active  # untouched: the manager decides to deactivate it


def test_a_table_with_past_reservations_is_kept_and_deactivated(as_manager, restaurant, book_table):
    table = TableFactory(restaurant=restaurant)
    book_table(table=table, start_at=now() - timedelta(days=3), status="completed")
    book_table(table=table, start_at=now() + timedelta(days=3), status="cancelled")
    response = as_manager.delete(tables_url(restaurant, table))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    table.refresh_from_db()
    assert table.is_active is False


# --- opening hours --------------------------------------------------------------------------


def test_opening_hours_create_change_filter_delete(as_manager, restaurant):
    base = f"/api/restaurants/{restaurant.pk}/opening-hours/"
    created = as_manager.post(
        base, {"weekday": 5, "opens_at": "20:00", "closes_at": "02:00", "name": "dinner"}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["closes_at"] == "02:00:00"
    OpeningHoursFactory(restaurant=restaurant, weekday=1)

    saturday = as_manager.get(base + "?weekday=5").json()["results"]
    assert [p["id"] for p in saturday] == [created.json()["id"]]

    period_url = f"{base}{created.json()['id']}/"
    changed = as_manager.patch(period_url, {"closes_at": "01:30"})
    assert changed.status_code == 200
    assert OpeningHours.objects.get(pk=created.json()["id"]).closes_at.minute == 30

    assert as_manager.delete(period_url).status_code == 204
    assert not OpeningHours.objects.filter(pk=created.json()["id"]).exists()


# --- closures -------------------------------------------------------------------------------


def test_closures_create_change_order_delete(as_manager, restaurant):
    base = f"/api/restaurants/{restaurant.pk}/closures/"
    later = ClosureFactory(restaurant=restaurant, starts_on="2031-03-01", ends_on="2031-03-02")
    created = as_manager.post(base, {"starts_on": "2031-01-01", "ends_on": "2031-01-03"})
    assert created.status_code == 201, created.json()

    ordered = as_manager.get(base + "?ordering=-starts_on").json()["results"]
    assert [c["id"] for c in ordered] == [later.pk, created.json()["id"]]

    changed = as_manager.patch(f"{base}{later.pk}/", {"reason": "Inventory"})
    assert changed.status_code == 200 and changed.json()["reason"] == "Inventory"
    assert as_manager.delete(f"{base}{later.pk}/").status_code == 204
    assert list(Closure.objects.values_list("pk", flat=True)) == [created.json()["id"]]


# --- duration rules -------------------------------------------------------------------------


def test_duration_rules_create_change_delete(as_manager, restaurant):
    base = f"/api/restaurants/{restaurant.pk}/duration-rules/"
    small = DurationRuleFactory(restaurant=restaurant, min_party=1, max_party=2)
    created = as_manager.post(base, {"min_party": 3, "max_party": None, "duration_minutes": 150})
    assert created.status_code == 201, created.json()
    assert created.json()["max_party"] is None

    widened = as_manager.patch(f"{base}{small.pk}/", {"max_party": 3})
    assert widened.status_code == 400  # would overlap 3+
    narrowed = as_manager.patch(f"{base}{created.json()['id']}/", {"min_party": 4})
    assert narrowed.status_code == 200
    assert as_manager.patch(f"{base}{small.pk}/", {"max_party": 3}).status_code == 200

    assert as_manager.delete(f"{base}{small.pk}/").status_code == 204
    assert list(DurationRule.objects.values_list("min_party", "max_party")) == [(4, None)]
