"""Pacing over HTTP: a booking or change over the restaurant's pacing limits is 409
``pacing_limit`` in the one error shape, and availability follows the limits and the
counters at once, cached or not."""

import pytest

from restaurants.models import StaffMembership
from restaurants.tests.factories import StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
AVAILABILITY = "/api/restaurants/{}/availability/"


@pytest.fixture
def tables(restaurant, table):
    return [table, TableFactory(restaurant=restaurant, number="2", capacity=4)]


@pytest.fixture
def manager(restaurant):
    return StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user


def body(seed_body, table, **changes):
    return {**seed_body, "table_id": table.pk, **changes}


def times_offered(api_client, restaurant, party_size=2) -> list[str]:
    response = api_client.get(
        AVAILABILITY.format(restaurant.pk), {"date": "2025-08-30", "party_size": party_size}
    )
    assert response.status_code == 200
    return [slot["time"] for slot in response.json()["slots"]]


def test_a_booking_over_the_limit_is_409_pacing_limit(
    api_client, staff_user, restaurant, tables, seed_body, clock
):
    restaurant.max_covers_per_slot = 5
    restaurant.save(update_fields=["max_covers_per_slot"])
    api_client.force_authenticate(staff_user)
    first = api_client.post(URL, body(seed_body, tables[0], party_size=4), format="json")
    assert first.status_code == 201, first.json()
    refused = api_client.post(URL, body(seed_body, tables[1], party_size=2), format="json")
    assert refused.status_code == 409
    error = refused.json()
    assert error["code"] == "pacing_limit"
    assert "19:00" in error["message"]
    assert error["details"]["limit"] == "max_covers_per_slot"
    assert error["details"]["slot"]["reservation_time"] == "19:00"
    assert api_client.get(URL).json()["count"] == 1


def test_a_change_over_the_limit_is_409_pacing_limit(
    api_client, staff_user, restaurant, tables, seed_body, clock
):
    restaurant.max_parties_per_slot = 1
    restaurant.save(update_fields=["max_parties_per_slot"])
    api_client.force_authenticate(staff_user)
    api_client.post(URL, body(seed_body, tables[0]), format="json")
    later = api_client.post(
        URL, body(seed_body, tables[1], reservation_time="21:00:00"), format="json"
    ).json()
    refused = api_client.patch(
        f"{URL}{later['id']}/", {"reservation_time": "19:00:00"}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "pacing_limit"
    assert api_client.get(f"{URL}{later['id']}/").json()["reservation_time"] == "21:00:00"


def test_a_limit_set_by_the_manager_changes_the_next_availability_answer(
    api_client,
    staff_user,
    manager,
    restaurant,
    tables,
    seed_body,
    clock,
    django_capture_on_commit_callbacks,
):
    api_client.force_authenticate(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(URL, body(seed_body, tables[0], party_size=4), format="json")
    assert "19:00" in times_offered(api_client, restaurant)  # table 2 is free, now cached
    api_client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(
            f"/api/restaurants/{restaurant.pk}/", {"max_covers_per_slot": 5}, format="json"
        )
    assert response.status_code == 200
    assert "19:00" not in times_offered(api_client, restaurant)
    assert "19:00" in times_offered(api_client, restaurant, party_size=1)


def test_a_cancellation_brings_the_start_back_at_once(
    api_client, staff_user, restaurant, tables, seed_body, clock, django_capture_on_commit_callbacks
):
    restaurant.max_covers_per_slot = 4
    restaurant.save(update_fields=["max_covers_per_slot"])
    api_client.force_authenticate(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        made = api_client.post(URL, body(seed_body, tables[0], party_size=4), format="json")
    assert "19:00" not in times_offered(api_client, restaurant)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api_client.post(f"{URL}{made.json()['id']}/cancel/", {}, format="json")
    assert cancelled.status_code == 200
    assert "19:00" in times_offered(api_client, restaurant)
