"""POST /api/restaurants/{id}/walk-ins/ (issue 15): the restaurant's staff seat a walk-in
now; every other caller is refused (one test per cell), bad input is a 400 naming the field,
every refusal of the core is its own code, and the schema documents the operation."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from customers.tests.factories import UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db
Status = Reservation.Status
# 20:07:42 in Madrid on Thursday 2025-08-28.
EVENING = datetime(2025, 8, 28, 18, 7, 42, tzinfo=UTC)


def url(restaurant_id: int) -> str:
    return f"/api/restaurants/{restaurant_id}/walk-ins/"


@pytest.fixture
def evening(db):
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def post(api_client, restaurant, table, evening):
    """POST a walk-in at ``restaurant`` as ``user`` (None: not signed in)."""

    def send(user, body=None, restaurant_id=None):
        if user is not None:
            api_client.force_authenticate(user)
        return api_client.post(
            url(restaurant_id or restaurant.pk), body or {"party_size": 2}, format="json"
        )

    return send


def assert_seated(response, restaurant, table):
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["source"]) == ("seated", "walk_in")
    assert body["restaurant_id"] == restaurant.pk
    assert body["table_ids"] == [table.pk]
    assert body["start_at"] == "2025-08-28T18:07:00Z"
    assert body["reservation_time"] == "20:07:00"
    assert body["seated_at"] == "2025-08-28T18:07:42Z"
    assert body["expires_at"] is None
    assert Reservation.objects.get(pk=body["id"]).status == Status.SEATED


# --- who: one test per cell ------------------------------------------------------------------


def test_the_host_of_the_restaurant_seats_a_walk_in(post, restaurant, table, staff_user):
    assert_seated(post(staff_user, {"party_size": 2, "guest_name": "Ana"}), restaurant, table)


def test_the_manager_of_the_restaurant_seats_a_walk_in(post, restaurant, table):
    manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER)
    assert_seated(post(manager.user), restaurant, table)


def test_a_superuser_seats_a_walk_in(post, restaurant, table):
    assert_seated(post(UserFactory(is_superuser=True, is_staff=True)), restaurant, table)


def test_the_host_of_another_restaurant_is_403(post):
    host = StaffMembershipFactory(restaurant=RestaurantFactory(), role=StaffMembership.Role.HOST)
    response = post(host.user)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Reservation.objects.count() == 0


def test_a_guest_account_is_403(post, guest_user):
    response = post(guest_user)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Reservation.objects.count() == 0


def test_an_anonymous_caller_is_401(post):
    response = post(None)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert Reservation.objects.count() == 0


def test_a_superuser_naming_no_restaurant_is_404(post):
    response = post(UserFactory(is_superuser=True, is_staff=True), restaurant_id=987654)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- input -----------------------------------------------------------------------------------


def test_the_body_is_strict_and_every_bad_field_is_named(post, staff_user):
    response = post(
        staff_user,
        {
            "party_size": 0,
            "reservation_time": "20:00",
            "email": "nope",
            "table_ids": [],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["details"]) == {"party_size", "reservation_time", "email", "table_ids"}
    assert body["details"]["reservation_time"] == ["Unknown field."]


def test_a_party_no_table_seats_is_400_naming_party_size(post, staff_user):
    response = post(staff_user, {"party_size": 11})
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["party_size"]


def test_named_tables_of_another_restaurant_are_400(post, staff_user):
    elsewhere = TableFactory(restaurant=RestaurantFactory())
    response = post(staff_user, {"party_size": 2, "table_ids": [elsewhere.pk]})
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["table_ids"]


# --- refusals ----------------------------------------------------------------------------------


def test_no_free_table_now_is_409_with_when_one_frees_up(post, staff_user, restaurant, table):
    start = datetime(2025, 8, 28, 17, 30, tzinfo=UTC)
    ReservationFactory(restaurant=restaurant, table=table, start_at=start, status=Status.SEATED)
    response = post(staff_user)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_table_free_now"
    assert body["details"] == {
        "party_size": 2,
        "next_free_at": (start + timedelta(minutes=90)).isoformat().replace("+00:00", "Z"),
        "next_free_time": "21:00",
    }
    assert "frees up at 21:00" in body["message"]


def test_a_named_table_taken_is_409_slot_unavailable(post, staff_user, restaurant, table):
    ReservationFactory(
        restaurant=restaurant,
        table=table,
        start_at=datetime(2025, 8, 28, 18, 30, tzinfo=UTC),
        status=Status.CONFIRMED,
    )
    response = post(staff_user, {"party_size": 2, "table_ids": [table.pk]})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert response.json()["details"]["table_id"] == table.pk


def test_closed_now_is_409_restaurant_closed_now(post, staff_user, evening):
    evening.move_to(datetime(2025, 8, 28, 23, 0, tzinfo=UTC))  # 01:00 in Madrid
    response = post(staff_user)
    assert response.status_code == 409
    assert response.json()["code"] == "restaurant_closed_now"
    assert Reservation.objects.count() == 0


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_documents_the_walk_in_operation(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/restaurants/{restaurant_id}/walk-ins/"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "423"} <= set(operation["responses"])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["additionalProperties"] is False
    assert set(body["properties"]) == {
        "party_size",
        "guest_name",
        "phone",
        "email",
        "notes",
        "table_ids",
    }
    assert body["required"] == ["party_size"]
    conflicts = operation["responses"]["409"]["description"]
    assert "no_table_free_now" in conflicts and "restaurant_closed_now" in conflicts
