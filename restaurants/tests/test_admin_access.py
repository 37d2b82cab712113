"""The restaurants admin, cell by cell (docs/admin.md): a superuser sees and creates every
restaurant; R's manager sees and changes R alone, with its tables, hours, closures, rules,
combinations and staff, through the services; S's manager never sees R; R's host, a guest
account and nobody signed in are sent to the login."""

import pytest
from django.contrib.messages import get_messages

from core.tests.assertions import ADMIN_KEPT_OUT, ADMIN_ROLES, assert_missing, assert_sent_to_login
from customers.tests.factories import UserFactory
from restaurants.combinations import table_combination_create
from restaurants.models import Restaurant, StaffMembership, Table
from restaurants.tests.factories import StaffMembershipFactory, TableFactory
from restaurants.tests.test_admin import change_url, restaurant_form

pytestmark = pytest.mark.django_db

LIST = "/admin/restaurants/restaurant/"
ADD = LIST + "add/"
WHO = ADMIN_ROLES
KEPT_OUT = ADMIN_KEPT_OUT


@pytest.fixture
def cast(restaurant, other_restaurant, manager, host, guest, superuser):
    """R is ``restaurant`` (Casa Uno), S is ``other_restaurant`` (Casa Dos)."""
    manager_s = StaffMembershipFactory(
        restaurant=other_restaurant, role=StaffMembership.Role.MANAGER
    ).user
    return {
        "superuser": superuser,
        "manager_r": manager,
        "manager_s": manager_s,
        "host_r": host,
        "guest": guest,
        "anonymous": None,
    }


# --- the index ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_the_index_lists_what_each_may_use(sign_in, who):
    response = sign_in(who).get("/admin/")
    if who in KEPT_OUT:
        assert_sent_to_login(response, "/admin/")
        return
    assert response.status_code == 200
    models = {
        (app["app_label"], model["object_name"]): model
        for app in response.context["app_list"]
        for model in app["models"]
    }
    if who == "superuser":
        assert {("accounts", "User"), ("auth", "Group"), ("customers", "Customer")} <= set(models)
        assert models["restaurants", "Restaurant"]["add_url"]
        return
    assert set(models) == {("restaurants", "Restaurant"), ("reservations", "Reservation")}
    # A manager creates no restaurant.
    assert not models["restaurants", "Restaurant"]["add_url"]
    assert models["reservations", "Reservation"]["add_url"]


# --- the list, the change page, the add page ---------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_the_list_shows_each_their_own_restaurants(sign_in, who, restaurant, other_restaurant):
    response = sign_in(who).get(LIST)
    if who in KEPT_OUT:
        assert_sent_to_login(response, LIST)
        return
    shown = {r.name for r in response.context["cl"].result_list}
    expected = {
        "superuser": {"Casa Uno", "Casa Dos"},
        "manager_r": {"Casa Uno"},
        "manager_s": {"Casa Dos"},
    }[who]
    assert shown == expected


@pytest.mark.parametrize("who", WHO)
def test_the_change_page_of_r(sign_in, who, restaurant):
    url = change_url(restaurant)
    response = sign_in(who).get(url)
    if who in KEPT_OUT:
        assert_sent_to_login(response, url)
    elif who in {"superuser", "manager_r"}:
        assert response.status_code == 200
        assert 'name="tables-TOTAL_FORMS"' in response.content.decode()
        assert 'name="memberships-TOTAL_FORMS"' in response.content.decode()
    else:
        assert_missing(response)


@pytest.mark.parametrize("who", WHO)
def test_only_a_superuser_creates_a_restaurant(sign_in, who):
    client = sign_in(who)
    response = client.get(ADD)
    if who in KEPT_OUT:
        assert_sent_to_login(response, ADD)
    elif who == "superuser":
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert client.post(ADD, restaurant_form()).status_code == 403
        assert not Restaurant.objects.filter(slug="casa-admin").exists()


# --- a manager's changes, through the services -------------------------------------------------


def test_a_manager_changes_their_restaurant_and_its_tables(sign_in, restaurant):
    data = restaurant_form(
        restaurant,
        tables=[
            {"number": "7", "capacity": 4, "min_capacity": 2, "area": "bar", "is_active": True}
        ],
    )
    data = with_staff_by_email(data, stored_staff(restaurant))
    data["name"] = "Casa Uno y Medio"
    response = sign_in("manager_r").post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno y Medio"
    assert restaurant.tables.get().number == "7"


def test_a_rule_of_the_services_is_a_form_error_for_a_manager_too(sign_in, restaurant):
    data = restaurant_form(
        restaurant,
        tables=[
            {"number": "1", "capacity": 2, "min_capacity": 5, "area": "indoor", "is_active": True}
        ],
    )
    data = with_staff_by_email(data, stored_staff(restaurant))
    response = sign_in("manager_r").post(change_url(restaurant), data)
    assert response.status_code == 200
    assert not Table.objects.exists()


def with_staff_by_email(data, rows):
    """The memberships inline as a manager's form has it: accounts named by e-mail."""
    for key in [k for k in data if k.startswith("memberships-")]:
        del data[key]
    data.update(
        {
            "memberships-TOTAL_FORMS": str(len(rows)),
            "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"memberships-{i}-{name}"] = str(value)
    return data


def stored_staff(restaurant):
    return [
        {"id": m.pk, "user": m.user.email, "role": m.role, "restaurant": restaurant.pk}
        for m in restaurant.memberships.select_related("user")
    ]


def test_a_manager_adds_staff_by_e_mail_without_seeing_the_accounts(sign_in, restaurant):
    newcomer = UserFactory(email="newhost@example.com")
    client = sign_in("manager_r")
    page = client.get(change_url(restaurant)).content.decode()
    # No lookup of every account: the raw-id popup is for superusers.
    assert "/admin/accounts/user/" not in page
    rows = [
        *stored_staff(restaurant),
        {"user": "NewHost@Example.com", "role": "host", "restaurant": restaurant.pk},
    ]
    data = with_staff_by_email(restaurant_form(restaurant), rows)
    response = client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert restaurant.memberships.get(user=newcomer).role == StaffMembership.Role.HOST


def test_an_unknown_e_mail_is_a_form_error(sign_in, restaurant):
    rows = [
        *stored_staff(restaurant),
        {"user": "nobody@example.com", "role": "host", "restaurant": restaurant.pk},
    ]
    data = with_staff_by_email(restaurant_form(restaurant), rows)
    response = sign_in("manager_r").post(change_url(restaurant), data)
    assert response.status_code == 200
    # The API's message (restaurants.selectors.staff_candidate).
    assert "No user account matches." in response.content.decode()
    assert restaurant.memberships.count() == 2


def test_an_inactive_accounts_e_mail_is_a_form_error(sign_in, restaurant):
    UserFactory(email="gone@example.com", is_active=False)
    rows = [
        *stored_staff(restaurant),
        {"user": "Gone@Example.com", "role": "host", "restaurant": restaurant.pk},
    ]
    data = with_staff_by_email(restaurant_form(restaurant), rows)
    response = sign_in("manager_r").post(change_url(restaurant), data)
    assert response.status_code == 200
    assert "This user account is inactive." in response.content.decode()
    assert restaurant.memberships.count() == 2


def test_a_manager_cannot_reach_another_restaurants_staff(sign_in, restaurant, other_restaurant):
    theirs = other_restaurant.memberships.get()
    # Through R's page: S's membership id in R's inline is no row of R's: refused, changing
    # nothing of S and making nothing of R's (it was taken as a new row of R's before).
    for extra in ({"role": "host"}, {"role": "manager", "DELETE": "on"}):
        rows = [
            *stored_staff(restaurant),
            {"id": theirs.pk, "user": theirs.user.email, **extra},
        ]
        data = with_staff_by_email(restaurant_form(restaurant), rows)
        response = sign_in("manager_r").post(change_url(restaurant), data)
        assert response.status_code == 200
        assert "Select a valid choice." in str(response.context["errors"])
        theirs.refresh_from_db()
        assert (theirs.restaurant, theirs.role) == (other_restaurant, StaffMembership.Role.MANAGER)
        assert other_restaurant.memberships.count() == 1
        assert restaurant.memberships.count() == 2
    # Through S's page: S does not exist for R's manager.
    data = with_staff_by_email(
        restaurant_form(other_restaurant),
        [
            *stored_staff(other_restaurant),
            {"user": "user@example.com", "role": "manager", "restaurant": other_restaurant.pk},
        ],
    )
    response = sign_in("manager_r").post(change_url(other_restaurant), data)
    assert_missing(response)
    assert other_restaurant.memberships.count() == 1


def test_another_restaurants_table_or_combination_id_in_an_inline_is_refused(
    sign_in, restaurant, other_restaurant
):
    r_tables = [TableFactory(restaurant=restaurant, number=n) for n in ("R1", "R2")]
    s_tables = [TableFactory(restaurant=other_restaurant, number=n) for n in ("S1", "S2")]
    s_combination = table_combination_create(
        restaurant=other_restaurant, table_ids=[t.pk for t in s_tables]
    )
    r_rows = [
        {"id": t.pk, "number": t.number, "capacity": t.capacity,
         "min_capacity": t.min_capacity, "area": t.area, "is_active": True}
        for t in r_tables
    ]  # fmt: skip
    s_row = {"id": s_tables[0].pk, "number": "HACK", "capacity": 4, "min_capacity": 1,
             "area": "indoor", "is_active": True}  # fmt: skip
    attempts = [
        {"tables": [*r_rows, s_row]},
        {"tables": [*r_rows, {**s_row, "number": "S1", "DELETE": True}]},
        {"table_combinations": [{"id": s_combination.pk, "joined_tables": [t.pk for t in r_tables],
                                 "min_capacity": "", "capacity": "", "is_active": True}]},
        {"table_combinations": [{"joined_tables": [t.pk for t in s_tables],
                                 "min_capacity": "", "capacity": "", "is_active": True}]},
    ]  # fmt: skip
    client = sign_in("manager_r")
    for rows in attempts:
        data = with_staff_by_email(restaurant_form(restaurant, **rows), stored_staff(restaurant))
        response = client.post(change_url(restaurant), data)
        assert response.status_code == 200, rows
        assert "Select a valid choice." in str(response.context["errors"]), rows
    assert sorted(restaurant.tables.values_list("number", flat=True)) == ["R1", "R2"]
    assert not restaurant.table_combinations.exists()
    assert sorted(other_restaurant.tables.values_list("number", flat=True)) == ["S1", "S2"]
    s_combination.refresh_from_db()
    assert sorted(s_combination.table_ids) == sorted(t.pk for t in s_tables)


@pytest.mark.parametrize("selected", [["abc"], ["\x00"], ["1.5", "-"]])
def test_an_action_on_malformed_ids_is_reported_and_acts_on_nothing(sign_in, restaurant, selected):
    response = sign_in("manager_r").post(
        LIST, {"action": "deactivate", "_selected_action": selected}
    )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"{len(selected)} selected row(s) not found." in said
    restaurant.refresh_from_db()
    assert restaurant.is_active


def test_a_manager_cannot_deactivate_another_restaurant(sign_in, restaurant, other_restaurant):
    sign_in("manager_s").post(
        LIST, {"action": "deactivate", "_selected_action": [str(restaurant.pk)]}
    )
    restaurant.refresh_from_db()
    assert restaurant.is_active


def test_a_manager_deactivates_their_own(sign_in, restaurant):
    TableFactory(restaurant=restaurant)
    sign_in("manager_r").post(
        LIST, {"action": "deactivate", "_selected_action": [str(restaurant.pk)]}
    )
    restaurant.refresh_from_db()
    assert not restaurant.is_active


def test_a_manager_who_is_a_host_elsewhere_sees_only_what_they_manage(
    sign_in, cast, restaurant, other_restaurant
):
    StaffMembershipFactory(
        restaurant=other_restaurant, user=cast["manager_r"], role=StaffMembership.Role.HOST
    )
    client = sign_in("manager_r")
    response = client.get(LIST)
    assert {r.name for r in response.context["cl"].result_list} == {"Casa Uno"}
    assert_missing(client.get(change_url(other_restaurant)))
