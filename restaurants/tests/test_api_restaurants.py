"""/api/restaurants/ and /api/restaurants/{id}/: create, read, filter, order, page,
change, deactivate."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from restaurants.models import Restaurant
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    RestaurantFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db


def test_superuser_creates_a_restaurant_with_its_booking_policy(api_client, superuser):
    api_client.force_authenticate(superuser)
    body = {
        "name": "La Terraza",
        "timezone": "America/Mexico_City",
        "address": "Av. Reforma 1",
        "phone": "+52 55 1234 5678",
        "email": "hola@terraza.example",
        "slot_interval_minutes": 30,
        "default_duration_minutes": 120,
        "min_party_size": 2,
        "max_party_size": 8,
        "min_notice_minutes": 120,
        "max_days_ahead": 30,
        "hold_minutes": 10,
        "reminder_minutes_before": 180,
        "auto_confirm": True,
    }
    response = api_client.post("/api/restaurants/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    restaurant = Restaurant.objects.get(pk=data["id"])
    assert restaurant.slug == "la-terraza" == data["slug"]
    assert restaurant.phone == "+525512345678"  # stored in E.164
    for field in ("slot_interval_minutes", "min_party_size", "hold_minutes", "auto_confirm"):
        assert getattr(restaurant, field) == body[field] == data[field]
    assert data["opening_hours"] == [] and data["closures_ahead"] == []


def test_slug_derived_from_a_taken_name_gets_a_suffix(api_client, superuser):
    RestaurantFactory(name="Casa", slug="casa")
    api_client.force_authenticate(superuser)
    response = api_client.post("/api/restaurants/", {"name": "Casa", "timezone": "UTC"})
    assert response.status_code == 201
    assert response.json()["slug"] == "casa-2"


def test_detail_includes_hours_closures_ahead_and_rules(api_client, restaurant):
    OpeningHoursFactory(restaurant=restaurant, weekday=4, opens_at=time(20), closes_at=time(1))
    DurationRuleFactory(restaurant=restaurant, min_party=1, max_party=2, duration_minutes=90)
    DurationRuleFactory(restaurant=restaurant, min_party=3, max_party=None, duration_minutes=150)
    with time_machine.travel(datetime(2030, 6, 10, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        ClosureFactory(restaurant=restaurant, starts_on=date(2030, 6, 1), ends_on=date(2030, 6, 9))
        today = ClosureFactory(
            restaurant=restaurant, starts_on=date(2030, 6, 8), ends_on=date(2030, 6, 10)
        )
        body = api_client.get(f"/api/restaurants/{restaurant.pk}/").json()
    assert body["opening_hours"] == [
        {
            "id": restaurant.opening_hours.get().pk,
            "weekday": 4,
            "opens_at": "20:00:00",
            "closes_at": "01:00:00",
            "name": "",
        }
    ]
    assert [c["id"] for c in body["closures_ahead"]] == [today.pk]
    assert [(r["min_party"], r["max_party"]) for r in body["duration_rules"]] == [
        (1, 2),
        (3, None),
    ]


def test_closures_ahead_are_counted_in_the_restaurants_own_date(api_client):
    """At 11:00 UTC on 10 June it is already 11 June in Auckland: a closure that ended on
    10 June is behind Auckland but not behind Madrid."""
    auckland = RestaurantFactory(timezone="Pacific/Auckland")
    madrid = RestaurantFactory(timezone="Europe/Madrid")
    for restaurant in (auckland, madrid):
        ClosureFactory(restaurant=restaurant, starts_on=date(2030, 6, 9), ends_on=date(2030, 6, 10))
    with time_machine.travel(datetime(2030, 6, 10, 13, tzinfo=ZoneInfo("UTC")), tick=False):
        far = api_client.get(f"/api/restaurants/{auckland.pk}/").json()
        near = api_client.get(f"/api/restaurants/{madrid.pk}/").json()
        far_list = api_client.get(f"/api/restaurants/{auckland.pk}/closures/").json()
    assert far["closures_ahead"] == [] and far_list["results"] == []
    assert len(near["closures_ahead"]) == 1


def test_list_filters_orders_and_pages(api_client, superuser):
    for name, active in [("Bravo", True), ("Alfa", True), ("Charlie", False), ("Delta", True)]:
        RestaurantFactory(name=name, is_active=active)
    api_client.force_authenticate(superuser)

    inactive = api_client.get("/api/restaurants/?is_active=false").json()
    assert [r["name"] for r in inactive["results"]] == ["Charlie"]

    ordered = api_client.get("/api/restaurants/?is_active=true&ordering=-name").json()
    assert [r["name"] for r in ordered["results"]] == ["Delta", "Bravo", "Alfa"]

    first = api_client.get("/api/restaurants/?page_size=3").json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["next"]
    second = api_client.get("/api/restaurants/?page_size=3&page=2").json()
    assert [r["name"] for r in second["results"]] == ["Delta"]


def test_the_public_cannot_list_inactive_restaurants_by_filtering(api_client):
    RestaurantFactory(is_active=False)
    assert api_client.get("/api/restaurants/?is_active=false").json()["results"] == []


def test_delete_deactivates_and_hides_the_restaurant_from_the_public(
    api_client, manager, restaurant
):
    api_client.force_authenticate(manager)
    response = api_client.delete(f"/api/restaurants/{restaurant.pk}/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    restaurant.refresh_from_db()
    assert restaurant.is_active is False  # kept, not deleted

    api_client.force_authenticate(None)
    assert api_client.get(f"/api/restaurants/{restaurant.pk}/").status_code == 404
    assert api_client.get("/api/restaurants/").json()["results"] == []


def test_patch_is_active_brings_a_deactivated_restaurant_back(api_client, manager, restaurant):
    Restaurant.objects.filter(pk=restaurant.pk).update(is_active=False)
    api_client.force_authenticate(manager)
    response = api_client.patch(f"/api/restaurants/{restaurant.pk}/", {"is_active": True})
    assert response.status_code == 200
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/restaurants/{restaurant.pk}/").status_code == 200


def test_patch_changes_only_the_fields_sent(api_client, manager, restaurant):
    api_client.force_authenticate(manager)
    response = api_client.patch(
        f"/api/restaurants/{restaurant.pk}/", {"max_party_size": 20, "slug": "casa-uno"}
    )
    assert response.status_code == 200, response.json()
    restaurant.refresh_from_db()
    assert restaurant.max_party_size == 20
    assert (restaurant.name, restaurant.slug, restaurant.min_party_size) == (
        "Casa Uno",
        "casa-uno",
        1,
    )


def test_patch_timezone_with_reservations_ahead_is_409(api_client, manager, restaurant, book_table):
    book_table(table=TableFactory(restaurant=restaurant))
    api_client.force_authenticate(manager)
    response = api_client.patch(
        f"/api/restaurants/{restaurant.pk}/", {"timezone": "America/New_York"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "timezone_has_reservations"
    assert "local dates and times would no longer match" in body["message"]
    assert list(body["details"]) == ["timezone"]
    restaurant.refresh_from_db()
    assert restaurant.timezone == "Europe/Madrid"


@pytest.mark.parametrize("restaurant_id", [987654, 2**63 + 5])
def test_unknown_restaurant_id_answers_404(api_client, superuser, restaurant_id):
    api_client.force_authenticate(superuser)
    for response in (
        api_client.get(f"/api/restaurants/{restaurant_id}/"),
        api_client.patch(f"/api/restaurants/{restaurant_id}/", {"name": "X"}),
        api_client.get(f"/api/restaurants/{restaurant_id}/tables/"),
        api_client.post(f"/api/restaurants/{restaurant_id}/closures/", {}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_options_offers_the_write_forms_only_to_who_may_write(
    api_client, host, manager, restaurant
):
    tables = f"/api/restaurants/{restaurant.pk}/tables/"
    api_client.force_authenticate(host)
    assert "actions" not in api_client.options(tables).json()
    assert "actions" not in api_client.options("/api/restaurants/").json()
    api_client.force_authenticate(manager)
    assert "POST" in api_client.options(tables).json()["actions"]
