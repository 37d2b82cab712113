"""A restaurant's pacing limits (``max_covers_per_slot``, ``max_parties_per_slot``): edited
by its managers through the API and in the admin, each a whole number from 1 or empty (no
limit), staff-only, and published like every other change of the booking setup (the
admin's form: test_admin.py)."""

import pytest

from core import events
from restaurants import services
from restaurants.events import RestaurantSetupChanged
from restaurants.models import Restaurant

pytestmark = pytest.mark.django_db
LIMITS = ("max_covers_per_slot", "max_parties_per_slot")


def url(restaurant):
    return f"/api/restaurants/{restaurant.pk}/"


def limits(restaurant):
    restaurant.refresh_from_db()
    return restaurant.max_covers_per_slot, restaurant.max_parties_per_slot


def test_a_new_restaurant_has_no_limits(restaurant):
    assert limits(restaurant) == (None, None)


def test_a_manager_sets_and_clears_the_limits(as_manager, restaurant):
    response = as_manager.patch(
        url(restaurant), {"max_covers_per_slot": 40, "max_parties_per_slot": 8}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["max_covers_per_slot"], response.json()["max_parties_per_slot"]) == (
        40,
        8,
    )
    assert limits(restaurant) == (40, 8)
    response = as_manager.patch(url(restaurant), {"max_covers_per_slot": None}, format="json")
    assert response.status_code == 200
    assert limits(restaurant) == (None, 8)


def test_a_superuser_creates_a_restaurant_with_limits(as_superuser):
    response = as_superuser.post(
        "/api/restaurants/",
        {"name": "Paced", "timezone": "UTC", "max_covers_per_slot": 12},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = Restaurant.objects.get(pk=response.json()["id"])
    assert (created.max_covers_per_slot, created.max_parties_per_slot) == (12, None)


@pytest.mark.parametrize("field", LIMITS)
@pytest.mark.parametrize("value", [0, -1, 10_001, "ten", 2.5, True, "4"])
def test_a_limit_is_a_whole_number_from_1_or_null(as_manager, restaurant, field, value):
    response = as_manager.patch(url(restaurant), {field: value}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "validation_error" and field in body["details"], body
    assert limits(restaurant) == (None, None)


def test_the_service_refuses_a_limit_below_1_too(restaurant):
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.restaurant_update(restaurant=restaurant, data={"max_parties_per_slot": 0})
    assert "max_parties_per_slot" in refused.value.details
    assert limits(restaurant) == (None, None)


def test_a_host_cannot_change_them(api_client, host, restaurant):
    api_client.force_authenticate(host)
    response = api_client.patch(url(restaurant), {"max_covers_per_slot": 4}, format="json")
    assert response.status_code == 403
    assert limits(restaurant) == (None, None)


def test_the_public_does_not_see_them_the_staff_do(api_client, host, restaurant):
    public = api_client.get(url(restaurant)).json()
    assert not set(LIMITS) & set(public)
    api_client.force_authenticate(host)
    staff = api_client.get(url(restaurant)).json()
    assert staff["max_covers_per_slot"] is None and staff["max_parties_per_slot"] is None


def test_changing_a_limit_is_published_as_a_setup_change(restaurant, monkeypatch):
    seen = []
    subscribers = {kind: list(handlers) for kind, handlers in events._subscribers.items()}
    monkeypatch.setattr(events, "_subscribers", subscribers)
    events.subscribe(RestaurantSetupChanged, seen.append)
    services.restaurant_update(restaurant=restaurant, data={"max_covers_per_slot": 20})
    services.restaurant_update(restaurant=restaurant, data={"max_covers_per_slot": 20})
    assert seen == [RestaurantSetupChanged(restaurant_id=restaurant.pk)]  # once: one change
