"""/api/restaurants/{id}/combinations/: a restaurant's table combinations through the API.

Who may do what, one test per cell:

| caller          | list, read | create, change, replace, delete |
|-----------------|------------|---------------------------------|
| manager of R    | yes        | yes                             |
| superuser       | yes        | yes                             |
| host of R       | yes        | 403                             |
| manager of S    | 404        | 404                             |
| guest account   | 404        | 404                             |
| anonymous       | 401        | 401                             |
"""

import pytest
from django.core.cache import cache

from customers.tests.factories import UserFactory
from reservations.availability_versions import restaurant_version_key
from restaurants import combinations
from restaurants.models import StaffMembership, Table, TableCombination
from restaurants.tests.factories import StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db


def combos_url(restaurant, combination=None):
    suffix = f"{combination.pk}/" if combination is not None else ""
    return f"/api/restaurants/{restaurant.pk}/combinations/{suffix}"


@pytest.fixture
def tables(restaurant):
    """Tables 1 (2-4 seats), 2 (2-4), 3 (1-6) of R."""
    return [
        TableFactory(restaurant=restaurant, number="1", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="3", capacity=6, min_capacity=1),
    ]


@pytest.fixture
def combination(restaurant, tables):
    return combinations.table_combination_create(
        restaurant=restaurant, table_ids=[tables[0].pk, tables[1].pk]
    )


def stored():
    return [
        (c.pk, c.table_key, c.min_capacity, c.capacity, c.is_active)
        for c in TableCombination.objects.order_by("pk")
    ]


# --- the answers ----------------------------------------------------------------------------


def test_manager_defines_a_combination_with_the_default_capacities(as_manager, restaurant, tables):
    t1, t2, _ = tables
    response = as_manager.post(combos_url(restaurant), {"table_ids": [t2.pk, t1.pk]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id",
        "table_ids",
        "min_capacity",
        "capacity",
        "is_active",
        "created_at",
        "updated_at",
    }
    assert body["table_ids"] == sorted([t1.pk, t2.pk])
    assert (body["min_capacity"], body["capacity"], body["is_active"]) == (2, 8, True)
    combination = TableCombination.objects.get(pk=body["id"])
    assert combination.restaurant == restaurant
    assert set(combination.tables.all()) == {t1, t2}


def test_given_capacities_and_a_paused_combination(as_manager, restaurant, tables):
    body = {
        "table_ids": [tables[2].pk, tables[0].pk],
        "min_capacity": 5,
        "capacity": 9,
        "is_active": False,
    }
    response = as_manager.post(combos_url(restaurant), body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["min_capacity"], response.json()["capacity"]) == (5, 9)
    assert response.json()["is_active"] is False


def test_a_form_body_sends_one_id_per_value(as_manager, restaurant, tables):
    response = as_manager.post(
        combos_url(restaurant),
        {"table_ids": [str(tables[0].pk), str(tables[2].pk)], "capacity": "9"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["table_ids"] == sorted([tables[0].pk, tables[2].pk])
    assert response.json()["capacity"] == 9
    refused = as_manager.post(
        combos_url(restaurant),
        {"table_ids": [str(tables[0].pk), "+3"]},
        format="multipart",
    )
    assert_refused(refused, "invalid_table_ids", "table_ids")


def test_list_filter_and_order(as_manager, restaurant, tables, combination):
    t1, t2, t3 = tables
    wide = combinations.table_combination_create(
        restaurant=restaurant, table_ids=[t1.pk, t2.pk, t3.pk], is_active=False
    )
    listed = as_manager.get(combos_url(restaurant) + "?ordering=-capacity").json()
    assert listed["count"] == 2
    assert [c["id"] for c in listed["results"]] == [wide.pk, combination.pk]
    assert listed["results"][0]["table_ids"] == sorted([t1.pk, t2.pk, t3.pk])
    active = as_manager.get(combos_url(restaurant) + "?is_active=true").json()["results"]
    assert [c["id"] for c in active] == [combination.pk]
    assert as_manager.get(combos_url(restaurant) + "?is_active=maybe").status_code == 400


def test_patch_changes_what_it_sends(as_manager, restaurant, tables, combination):
    t1, _, t3 = tables
    response = as_manager.patch(
        combos_url(restaurant, combination), {"table_ids": [t3.pk, t1.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["table_ids"] == sorted([t1.pk, t3.pk])
    assert (response.json()["min_capacity"], response.json()["capacity"]) == (2, 8)
    response = as_manager.patch(
        combos_url(restaurant, combination), {"capacity": None}, format="json"
    )
    assert response.json()["capacity"] == 10  # null: the default from the tables
    response = as_manager.patch(combos_url(restaurant, combination), {}, format="json")
    assert response.status_code == 200 and response.json()["capacity"] == 10


def test_put_replaces_the_whole_combination(as_manager, restaurant, tables, combination):
    _, t2, t3 = tables
    as_manager.patch(
        combos_url(restaurant, combination),
        {"capacity": 6, "min_capacity": 5, "is_active": False},
        format="json",
    )
    response = as_manager.put(
        combos_url(restaurant, combination), {"table_ids": [t2.pk, t3.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == combination.pk and body["table_ids"] == sorted([t2.pk, t3.pk])
    assert (body["min_capacity"], body["capacity"], body["is_active"]) == (1, 10, True)


def test_put_needs_the_tables(as_manager, restaurant, combination):
    response = as_manager.put(combos_url(restaurant, combination), {"capacity": 6}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "table_ids" in response.json()["details"]


def test_delete_removes_it(as_manager, restaurant, tables, combination):
    assert as_manager.delete(combos_url(restaurant, combination)).status_code == 204
    assert not TableCombination.objects.exists()
    assert Table.objects.filter(restaurant=restaurant).count() == 3


def test_a_table_in_a_combination_answers_409_to_its_deletion(
    as_manager, restaurant, tables, combination
):
    response = as_manager.delete(f"/api/restaurants/{restaurant.pk}/tables/{tables[0].pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "table_in_combination"
    assert response.json()["details"] == {"combination_ids": [combination.pk]}
    assert Table.objects.filter(pk=tables[0].pk).exists()
    deactivated = as_manager.patch(
        f"/api/restaurants/{restaurant.pk}/tables/{tables[0].pk}/",
        {"is_active": False},
        format="json",
    )
    assert deactivated.status_code == 200
    assert as_manager.get(combos_url(restaurant, combination)).status_code == 200


def test_a_write_drops_the_restaurants_cached_availability(
    as_manager, restaurant, tables, django_capture_on_commit_callbacks
):
    key = restaurant_version_key(restaurant.pk)
    cache.set(key, "before")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(
            combos_url(restaurant), {"table_ids": [tables[0].pk, tables[1].pk]}, format="json"
        )
    assert response.status_code == 201
    assert cache.get(key) not in (None, "before")


# --- bad input ------------------------------------------------------------------------------


def assert_refused(response, code, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code, body
    assert field in body["details"], body


@pytest.mark.parametrize(
    "table_ids",
    [
        "one",
        None,
        7,
        [],
        ["first"],
        ["a", "b"],
        [1.0, 2.0],
        [True, False],
        [[1], [2]],
        [-1, 0],
        [2**63, 2**63 + 1],
    ],
    ids=repr,
)
def test_table_ids_that_are_no_ids_at_all(as_manager, restaurant, tables, table_ids):
    response = as_manager.post(combos_url(restaurant), {"table_ids": table_ids}, format="json")
    assert_refused(response, "invalid_table_ids", "table_ids")
    assert stored() == []


def test_fewer_than_two_tables(as_manager, restaurant, tables):
    response = as_manager.post(combos_url(restaurant), {"table_ids": [tables[0].pk]}, format="json")
    assert_refused(response, "invalid_table_ids", "table_ids")
    assert response.json()["details"]["table_ids"] == [
        "A combination joins 2 to 20 tables; 1 given."
    ]


def test_a_table_twice(as_manager, restaurant, tables):
    t1 = tables[0]
    response = as_manager.post(combos_url(restaurant), {"table_ids": [t1.pk, t1.pk]}, format="json")
    assert_refused(response, "invalid_table_ids", "table_ids")
    assert response.json()["details"]["table_ids"] == [
        f"Item 2: table {t1.pk} is listed more than once."
    ]


def test_a_table_of_another_restaurant_or_unknown(as_manager, restaurant, other_restaurant, tables):
    theirs = TableFactory(restaurant=other_restaurant)
    for foreign in (theirs.pk, theirs.pk + 10_000):
        response = as_manager.post(
            combos_url(restaurant), {"table_ids": [tables[0].pk, foreign]}, format="json"
        )
        assert_refused(response, "invalid_table_ids", "table_ids")
        assert response.json()["details"]["table_ids"] == [
            f"Table {foreign} is not a table of this restaurant."
        ]
    assert stored() == []


def test_an_inactive_table(as_manager, restaurant, tables):
    Table.objects.filter(pk=tables[1].pk).update(is_active=False)
    response = as_manager.post(
        combos_url(restaurant), {"table_ids": [tables[0].pk, tables[1].pk]}, format="json"
    )
    assert_refused(response, "invalid_table_ids", "table_ids")


def test_the_same_set_again(as_manager, restaurant, tables, combination):
    before = stored()
    response = as_manager.post(
        combos_url(restaurant),
        {"table_ids": [tables[1].pk, tables[0].pk], "capacity": 7},
        format="json",
    )
    assert_refused(response, "combination_exists", "table_ids")
    assert response.json()["details"]["table_ids"] == [
        f"Combination {combination.pk} already joins these tables."
    ]
    other = combinations.table_combination_create(
        restaurant=restaurant, table_ids=[tables[0].pk, tables[2].pk]
    )
    moved = as_manager.patch(
        combos_url(restaurant, other),
        {"table_ids": [tables[0].pk, tables[1].pk]},
        format="json",
    )
    assert_refused(moved, "combination_exists", "table_ids")
    assert stored()[: len(before)] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_capacity": 0}, "min_capacity"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 101}, "capacity"),
        ({"min_capacity": 6, "capacity": 5}, "min_capacity"),
        ({"capacity": "6"}, "capacity"),
        ({"capacity": 6.0}, "capacity"),
        ({"min_capacity": True}, "min_capacity"),
        ({"is_active": "maybe"}, "is_active"),
        ({"tables": [1, 2]}, "tables"),
        ({"restaurant_id": 1}, "restaurant_id"),
        ({"id": 5}, "id"),
    ],
)
def test_bad_values_and_unknown_keys(as_manager, restaurant, tables, body, field):
    response = as_manager.post(
        combos_url(restaurant),
        {"table_ids": [tables[0].pk, tables[1].pk], **body},
        format="json",
    )
    assert_refused(response, "validation_error", field)
    assert stored() == []


def test_a_patch_is_checked_against_the_stored_values(as_manager, restaurant, tables, combination):
    before = stored()
    response = as_manager.patch(
        combos_url(restaurant, combination), {"min_capacity": 9}, format="json"
    )
    assert_refused(response, "validation_error", "min_capacity")
    response = as_manager.patch(
        combos_url(restaurant, combination), {"table_ids": []}, format="json"
    )
    assert_refused(response, "invalid_table_ids", "table_ids")
    response = as_manager.patch(combos_url(restaurant, combination), {"table_id": 3}, format="json")
    assert_refused(response, "validation_error", "table_id")
    assert stored() == before


def test_a_body_that_is_not_an_object(as_manager, restaurant, tables):
    response = as_manager.post(combos_url(restaurant), [1, 2], format="json")
    assert response.status_code == 400
    assert stored() == []


# --- who may do what ------------------------------------------------------------------------


@pytest.fixture
def caller(request, api_client, restaurant, other_restaurant):
    """The API client authenticated as the parametrized caller."""
    role = request.param
    if role == "manager of R":
        user = StaffMembershipFactory(restaurant=restaurant, role="manager").user
    elif role == "host of R":
        user = StaffMembershipFactory(restaurant=restaurant, role="host").user
    elif role == "manager of S":
        user = StaffMembershipFactory(restaurant=other_restaurant, role="manager").user
    elif role == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
    elif role == "guest account":
        user = UserFactory()
    else:
        user = None
    if user is not None:
        api_client.force_authenticate(user)
    return api_client


def operations(client, restaurant, combination, tables):
    """Every operation once, each one a change the database would show."""
    t1, t2, t3 = tables
    return {
        "list": lambda: client.get(combos_url(restaurant)),
        "read": lambda: client.get(combos_url(restaurant, combination)),
        "options": lambda: client.options(combos_url(restaurant)),
        "create": lambda: client.post(
            combos_url(restaurant), {"table_ids": [t1.pk, t3.pk]}, format="json"
        ),
        "patch": lambda: client.patch(
            combos_url(restaurant, combination), {"capacity": 7}, format="json"
        ),
        "put": lambda: client.put(
            combos_url(restaurant, combination), {"table_ids": [t2.pk, t3.pk]}, format="json"
        ),
        "delete": lambda: client.delete(combos_url(restaurant, combination)),
    }


WRITES = ("create", "patch", "put", "delete")
READS = ("list", "read", "options")


@pytest.mark.parametrize("caller", ["manager of R", "superuser"], indirect=True)
def test_managers_and_superusers_read_and_write(caller, restaurant, combination, tables):
    ops = operations(caller, restaurant, combination, tables)
    assert ops["list"]().json()["results"][0]["id"] == combination.pk
    assert ops["read"]().json()["table_ids"] == sorted([tables[0].pk, tables[1].pk])
    assert "POST" in ops["options"]().json().get("actions", {})
    assert ops["create"]().status_code == 201
    assert ops["patch"]().json()["capacity"] == 7
    assert ops["put"]().json()["table_ids"] == sorted([tables[1].pk, tables[2].pk])
    assert ops["delete"]().status_code == 204
    assert TableCombination.objects.count() == 1  # the one created


@pytest.mark.parametrize("caller", ["host of R"], indirect=True)
def test_hosts_read_and_are_refused_writes_with_403(caller, restaurant, combination, tables):
    ops = operations(caller, restaurant, combination, tables)
    before = stored()
    assert [c["id"] for c in ops["list"]().json()["results"]] == [combination.pk]
    assert ops["read"]().json()["id"] == combination.pk
    options = ops["options"]()
    assert options.status_code == 200 and "actions" not in options.json()
    answers = {name: ops[name]() for name in WRITES}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(WRITES, 403)
    assert {r.json()["code"] for r in answers.values()} == {"permission_denied"}
    assert stored() == before


@pytest.mark.parametrize("caller", ["manager of S", "guest account"], indirect=True)
def test_anyone_else_signed_in_is_answered_404(caller, restaurant, combination, tables):
    ops = operations(caller, restaurant, combination, tables)
    before = stored()
    answers = {name: op() for name, op in ops.items()}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(ops, 404)
    assert {r.json()["code"] for r in answers.values()} == {"not_found"}
    assert stored() == before


@pytest.mark.parametrize("caller", ["anonymous"], indirect=True)
def test_anonymous_callers_are_answered_401(caller, restaurant, combination, tables):
    ops = operations(caller, restaurant, combination, tables)
    before = stored()
    answers = {name: ops[name]() for name in (*READS[:2], *WRITES)}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    assert {r.json()["code"] for r in answers.values()} == {"not_authenticated"}
    assert stored() == before


def test_a_combination_is_found_only_under_its_own_restaurant(
    api_client, manager, restaurant, other_restaurant, combination
):
    StaffMembership.objects.create(user=manager, restaurant=other_restaurant, role="manager")
    api_client.force_authenticate(manager)
    wrong = combos_url(other_restaurant, combination)
    assert api_client.get(wrong).status_code == 404
    assert api_client.patch(wrong, {"capacity": 5}, format="json").status_code == 404
    assert api_client.delete(wrong).status_code == 404
    assert TableCombination.objects.filter(pk=combination.pk, capacity=8).exists()


def test_a_manager_cannot_join_another_restaurants_tables_even_when_managing_both(
    api_client, manager, restaurant, other_restaurant, tables
):
    StaffMembership.objects.create(user=manager, restaurant=other_restaurant, role="manager")
    theirs = TableFactory(restaurant=other_restaurant)
    api_client.force_authenticate(manager)
    response = api_client.post(
        combos_url(restaurant), {"table_ids": [tables[0].pk, theirs.pk]}, format="json"
    )
    assert_refused(response, "invalid_table_ids", "table_ids")
