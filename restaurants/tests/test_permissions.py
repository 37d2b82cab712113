"""Who may do what (issue 4's table), one test per cell of the restaurants side:

| caller       | restaurants, hours, closures, rules, tables | staff                        |
|--------------|---------------------------------------------|------------------------------|
| anonymous    | read active ones, public fields             | 401                          |
| customer     | same; writes 404, create 403                | 404                          |
| host of R    | read R fully; writes 403                    | 403                          |
| manager of R | edit R and its children                     | manage R's memberships       |
| superuser    | all, the only one who creates restaurants   | all                          |

Outside the caller's scope everything answers 404.
"""

from datetime import date, timedelta

import pytest

from restaurants.api.serializers import PUBLIC_RESTAURANT_FIELDS, STAFF_ONLY_RESTAURANT_FIELDS
from restaurants.models import Closure, OpeningHours, Restaurant, StaffMembership, Table
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db

SCHEDULE_FIELDS = {"opening_hours", "closures_ahead", "duration_rules"}


def url(restaurant, *rest):
    return "/".join([f"/api/restaurants/{restaurant.pk}", *map(str, rest)]) + "/"


@pytest.fixture
def furnished(restaurant):
    """R with an active and an inactive table, hours, a past and a coming closure, a rule."""
    today = date.today()
    return {
        "table": TableFactory(restaurant=restaurant, number="1"),
        "inactive_table": TableFactory(restaurant=restaurant, number="2", is_active=False),
        "hours": OpeningHoursFactory(restaurant=restaurant),
        "past_closure": ClosureFactory(
            restaurant=restaurant,
            starts_on=today - timedelta(days=30),
            ends_on=today - timedelta(days=20),
        ),
        "coming_closure": ClosureFactory(
            restaurant=restaurant,
            starts_on=today + timedelta(days=20),
            ends_on=today + timedelta(days=21),
        ),
        "rule": DurationRuleFactory(restaurant=restaurant),
    }


def assert_public_view(api_client, restaurant, furnished):
    """What the public sees of an active restaurant: public fields, active tables, closures
    ahead; no staff-only field anywhere."""
    listed = api_client.get("/api/restaurants/").json()["results"]
    assert [r["id"] for r in listed] == [restaurant.pk]
    assert set(listed[0]) == set(PUBLIC_RESTAURANT_FIELDS)

    detail = api_client.get(url(restaurant))
    assert detail.status_code == 200
    assert set(detail.json()) == set(PUBLIC_RESTAURANT_FIELDS) | SCHEDULE_FIELDS
    assert [c["id"] for c in detail.json()["closures_ahead"]] == [furnished["coming_closure"].pk]

    tables = api_client.get(url(restaurant, "tables")).json()["results"]
    assert [t["id"] for t in tables] == [furnished["table"].pk]
    assert "is_active" not in tables[0]
    inactive = api_client.get(url(restaurant, "tables", furnished["inactive_table"].pk))
    assert inactive.status_code == 404

    closures = api_client.get(url(restaurant, "closures")).json()["results"]
    assert [c["id"] for c in closures] == [furnished["coming_closure"].pk]
    hours = api_client.get(url(restaurant, "opening-hours")).json()["results"]
    assert [h["id"] for h in hours] == [furnished["hours"].pk]
    rules = api_client.get(url(restaurant, "duration-rules")).json()["results"]
    assert [r["id"] for r in rules] == [furnished["rule"].pk]


# --- anonymous ------------------------------------------------------------------------------


def test_anonymous_reads_active_restaurants_with_public_fields_only(
    api_client, restaurant, furnished
):
    closed = RestaurantFactory(is_active=False)
    assert_public_view(api_client, restaurant, furnished)
    assert api_client.get(url(closed)).status_code == 404
    assert api_client.get(url(closed, "tables")).status_code == 404
    assert api_client.get(url(closed, "opening-hours")).status_code == 404


def test_anonymous_cannot_write_anything(api_client, restaurant, furnished):
    attempts = [
        api_client.post("/api/restaurants/", {"name": "X", "timezone": "UTC"}),
        api_client.patch(url(restaurant), {"name": "Hacked"}),
        api_client.delete(url(restaurant)),
        api_client.post(url(restaurant, "tables"), {"number": "9", "capacity": 2}),
        api_client.patch(url(restaurant, "opening-hours", furnished["hours"].pk), {"name": "x"}),
    ]
    assert [r.status_code for r in attempts] == [401] * 5
    assert {r.json()["code"] for r in attempts} == {"not_authenticated"}
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno" and restaurant.is_active
    assert Restaurant.objects.count() == 1 and Table.objects.count() == 2


def test_anonymous_has_no_access_to_staff(api_client, restaurant, manager):
    membership = StaffMembership.objects.get(user=manager)
    assert api_client.get(url(restaurant, "staff")).status_code == 401
    assert api_client.get(url(restaurant, "staff", membership.pk)).status_code == 401
    response = api_client.post(url(restaurant, "staff"), {"email": "x@x.com", "role": "host"})
    assert response.status_code == 401


# --- customer -------------------------------------------------------------------------------


def test_customer_reads_like_the_public(api_client, guest, restaurant, furnished):
    api_client.force_authenticate(guest)
    assert_public_view(api_client, restaurant, furnished)
    closed = RestaurantFactory(is_active=False)
    assert api_client.get(url(closed)).status_code == 404


def test_customer_writes_answer_404_and_creating_a_restaurant_403(
    api_client, guest, restaurant, furnished
):
    api_client.force_authenticate(guest)
    assert api_client.patch(url(restaurant), {"name": "Mine"}).status_code == 404
    assert api_client.delete(url(restaurant)).status_code == 404
    assert api_client.post(url(restaurant, "closures"), {}).status_code == 404
    assert api_client.delete(url(restaurant, "tables", furnished["table"].pk)).status_code == 404
    created = api_client.post("/api/restaurants/", {"name": "Own", "timezone": "UTC"})
    assert created.status_code == 403
    assert created.json()["code"] == "permission_denied"
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno" and restaurant.is_active
    assert Table.objects.filter(pk=furnished["table"].pk).exists()
    assert Restaurant.objects.count() == 1


def test_customer_cannot_see_staff(api_client, guest, restaurant, manager):
    api_client.force_authenticate(guest)
    membership = StaffMembership.objects.get(user=manager)
    assert api_client.get(url(restaurant, "staff")).status_code == 404
    assert api_client.get(url(restaurant, "staff", membership.pk)).status_code == 404
    response = api_client.post(url(restaurant, "staff"), {"user_id": guest.pk, "role": "manager"})
    assert response.status_code == 404
    assert not StaffMembership.objects.filter(user=guest).exists()


# --- host of R ------------------------------------------------------------------------------


def test_host_reads_own_restaurant_fully_even_when_inactive(
    api_client, host, restaurant, furnished
):
    Restaurant.objects.filter(pk=restaurant.pk).update(is_active=False)
    api_client.force_authenticate(host)

    listed = api_client.get("/api/restaurants/").json()["results"]
    assert [r["id"] for r in listed] == [restaurant.pk]
    assert set(listed[0]) == set(PUBLIC_RESTAURANT_FIELDS + STAFF_ONLY_RESTAURANT_FIELDS)

    detail = api_client.get(url(restaurant)).json()
    assert detail["is_active"] is False and "hold_minutes" in detail
    tables = api_client.get(url(restaurant, "tables")).json()["results"]
    assert {t["id"] for t in tables} == {furnished["table"].pk, furnished["inactive_table"].pk}
    assert all("is_active" in t for t in tables)
    closures = api_client.get(url(restaurant, "closures")).json()["results"]
    assert len(closures) == 2  # the past one too


def test_host_of_r_sees_other_restaurants_as_the_public_does(
    api_client, host, restaurant, other_restaurant
):
    closed = RestaurantFactory(is_active=False)
    api_client.force_authenticate(host)
    rows = {r["id"]: r for r in api_client.get("/api/restaurants/").json()["results"]}
    assert set(rows) == {restaurant.pk, other_restaurant.pk}
    assert "hold_minutes" in rows[restaurant.pk]
    assert "hold_minutes" not in rows[other_restaurant.pk]
    assert "hold_minutes" not in api_client.get(url(other_restaurant)).json()
    assert api_client.get(url(closed)).status_code == 404


def test_host_who_can_see_r_gets_403_on_every_edit(api_client, host, restaurant, furnished):
    api_client.force_authenticate(host)
    attempts = {
        "patch restaurant": api_client.patch(url(restaurant), {"name": "Renamed"}),
        "deactivate": api_client.delete(url(restaurant)),
        "add table": api_client.post(url(restaurant, "tables"), {"number": "9", "capacity": 2}),
        "edit table": api_client.patch(
            url(restaurant, "tables", furnished["table"].pk), {"capacity": 6}
        ),
        "add hours": api_client.post(
            url(restaurant, "opening-hours"),
            {"weekday": 3, "opens_at": "12:00", "closes_at": "15:00"},
        ),
        "delete closure": api_client.delete(
            url(restaurant, "closures", furnished["coming_closure"].pk)
        ),
        "edit rule": api_client.patch(
            url(restaurant, "duration-rules", furnished["rule"].pk), {"duration_minutes": 60}
        ),
    }
    assert {k: r.status_code for k, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert {r.json()["code"] for r in attempts.values()} == {"permission_denied"}
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno" and restaurant.is_active
    assert Table.objects.get(pk=furnished["table"].pk).capacity == 4
    assert OpeningHours.objects.count() == 1 and Closure.objects.count() == 2


def test_host_is_refused_the_staff_list_with_403(api_client, host, restaurant):
    api_client.force_authenticate(host)
    own = StaffMembership.objects.get(user=host)
    assert api_client.get(url(restaurant, "staff")).status_code == 403
    assert api_client.get(url(restaurant, "staff", own.pk)).status_code == 403
    response = api_client.patch(url(restaurant, "staff", own.pk), {"role": "manager"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    own.refresh_from_db()
    assert own.role == "host"


# --- manager of R ---------------------------------------------------------------------------


def test_manager_edits_restaurant_hours_closures_tables_and_rules(
    api_client, manager, restaurant, furnished
):
    api_client.force_authenticate(manager)
    results = {
        "restaurant": api_client.patch(url(restaurant), {"name": "Casa Nueva", "hold_minutes": 5}),
        "table": api_client.patch(
            url(restaurant, "tables", furnished["table"].pk), {"area": "bar"}
        ),
        "new table": api_client.post(url(restaurant, "tables"), {"number": "3", "capacity": 2}),
        "hours": api_client.post(
            url(restaurant, "opening-hours"),
            {"weekday": 2, "opens_at": "19:00", "closes_at": "23:00"},
        ),
        "closure": api_client.post(
            url(restaurant, "closures"),
            {"starts_on": "2031-01-01", "ends_on": "2031-01-02", "reason": "New year"},
        ),
        "rule": api_client.patch(
            url(restaurant, "duration-rules", furnished["rule"].pk), {"duration_minutes": 75}
        ),
    }
    assert {k: r.status_code for k, r in results.items()} == {
        "restaurant": 200,
        "table": 200,
        "new table": 201,
        "hours": 201,
        "closure": 201,
        "rule": 200,
    }
    restaurant.refresh_from_db()
    assert (restaurant.name, restaurant.hold_minutes) == ("Casa Nueva", 5)
    assert Table.objects.get(pk=furnished["table"].pk).area == "bar"
    assert Table.objects.filter(restaurant=restaurant, number="3").exists()
    assert OpeningHours.objects.filter(restaurant=restaurant, weekday=2).exists()
    assert Closure.objects.filter(restaurant=restaurant, reason="New year").exists()
    furnished["rule"].refresh_from_db()
    assert furnished["rule"].duration_minutes == 75


def test_manager_of_r1_gets_404_for_everything_of_r2(api_client, manager, other_restaurant):
    r2_table = TableFactory(restaurant=other_restaurant)
    r2_hours = OpeningHoursFactory(restaurant=other_restaurant)
    r2_staff = StaffMembershipFactory(restaurant=other_restaurant)
    api_client.force_authenticate(manager)
    attempts = [
        api_client.patch(url(other_restaurant, "tables", r2_table.pk), {"capacity": 8}),
        api_client.delete(url(other_restaurant, "opening-hours", r2_hours.pk)),
        api_client.patch(url(other_restaurant), {"name": "Taken over"}),
        api_client.get(url(other_restaurant, "staff")),
        api_client.delete(url(other_restaurant, "staff", r2_staff.pk)),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    assert {r.json()["code"] for r in attempts} == {"not_found"}
    r2_table.refresh_from_db()
    assert r2_table.capacity == 4
    assert OpeningHours.objects.filter(pk=r2_hours.pk).exists()
    assert StaffMembership.objects.filter(pk=r2_staff.pk).exists()


def test_manager_cannot_reach_r1_children_through_r2s_url(
    api_client, manager, restaurant, other_restaurant, furnished
):
    """A child id under the wrong restaurant is not found, even for a manager of the child's
    restaurant: children are looked up inside the URL's restaurant only."""
    StaffMembershipFactory(user=manager, restaurant=other_restaurant, role="manager")
    api_client.force_authenticate(manager)
    wrong = url(other_restaurant, "tables", furnished["table"].pk)
    assert api_client.patch(wrong, {"capacity": 8}).status_code == 404
    assert api_client.get(wrong).status_code == 404


def test_manager_cannot_create_restaurants(api_client, manager):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/restaurants/", {"name": "Second", "timezone": "UTC"})
    assert response.status_code == 403
    assert Restaurant.objects.count() == 1


def test_manager_manages_the_memberships_of_r(api_client, manager, host, restaurant):
    from customers.tests.factories import UserFactory

    newcomer = UserFactory(email="nuevo@example.com")
    api_client.force_authenticate(manager)

    listed = api_client.get(url(restaurant, "staff")).json()["results"]
    assert {m["email"] for m in listed} == {manager.email, host.email}

    created = api_client.post(
        url(restaurant, "staff"), {"email": "NUEVO@example.com", "role": "host"}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["user_id"] == newcomer.pk

    host_membership = StaffMembership.objects.get(user=host)
    promoted = api_client.patch(url(restaurant, "staff", host_membership.pk), {"role": "manager"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "manager"

    removed = api_client.delete(url(restaurant, "staff", created.json()["id"]))
    assert removed.status_code == 204
    assert set(StaffMembership.objects.values_list("user__email", "role")) == {
        (manager.email, "manager"),
        (host.email, "manager"),
    }


# --- superuser ------------------------------------------------------------------------------


def test_superuser_creates_restaurants_and_changes_any(api_client, superuser, restaurant):
    closed = RestaurantFactory(is_active=False)
    api_client.force_authenticate(superuser)

    created = api_client.post("/api/restaurants/", {"name": "Nueva Casa", "timezone": "UTC"})
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "nueva-casa"

    listed = api_client.get("/api/restaurants/").json()["results"]
    assert {r["id"] for r in listed} == {restaurant.pk, closed.pk, created.json()["id"]}
    assert all("hold_minutes" in r for r in listed)

    assert api_client.patch(url(closed), {"is_active": True}).status_code == 200
    closed.refresh_from_db()
    assert closed.is_active
    table = api_client.post(url(restaurant, "tables"), {"number": "A", "capacity": 2})
    assert table.status_code == 201


def test_superuser_manages_any_restaurants_staff(api_client, superuser, restaurant, guest):
    api_client.force_authenticate(superuser)
    created = api_client.post(url(restaurant, "staff"), {"user_id": guest.pk, "role": "manager"})
    assert created.status_code == 201
    assert StaffMembership.objects.filter(
        user=guest, restaurant=restaurant, role="manager"
    ).exists()
    assert api_client.get(url(restaurant, "staff")).json()["count"] == 1
