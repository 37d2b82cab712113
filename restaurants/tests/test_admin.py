"""The admin: restaurants with their tables, table combinations, hours, closures, rules and
staff inline, saved through the services, with mistakes shown as form errors."""

from datetime import time, timedelta

import pytest

from core.clock import now
from customers.tests.factories import UserFactory
from restaurants.combinations import table_combination_create
from restaurants.models import OpeningHours, Restaurant, StaffMembership, Table, TableCombination
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db

INLINES = [
    "opening_hours",
    "closures",
    "duration_rules",
    "tables",
    "table_combinations",
    "memberships",
]
ROW_FIELDS = {
    "opening_hours": ["weekday", "opens_at", "closes_at", "name"],
    "closures": ["starts_on", "ends_on", "reason"],
    "duration_rules": ["min_party", "max_party", "duration_minutes"],
    "tables": ["number", "capacity", "min_capacity", "area", "is_active"],
    "table_combinations": ["joined_tables", "min_capacity", "capacity", "is_active"],
    "memberships": ["user", "role"],
}
# Form fields that do not read as the attribute of their name.
STORED_AS = {
    "user": lambda obj: obj.user_id,
    "joined_tables": lambda obj: obj.table_ids,
}


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def change_url(restaurant):
    return f"/admin/restaurants/restaurant/{restaurant.pk}/change/"


def form_value(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def restaurant_form(restaurant=None, **rows):
    """The POST body of the restaurant's change (or add) page: the restaurant's own fields,
    then every inline with the stored rows (unchanged unless given in ``rows``)."""
    fields = {
        "name": "Casa Admin",
        "slug": "casa-admin",
        "timezone": "Europe/Madrid",
        "address": "",
        "phone": "",
        "email": "",
        "is_active": "on",
        "slot_interval_minutes": "15",
        "default_duration_minutes": "90",
        "min_party_size": "1",
        "max_party_size": "12",
        "min_notice_minutes": "60",
        "max_days_ahead": "90",
        "hold_minutes": "15",
        "reminder_minutes_before": "1440",
        "max_covers_per_slot": "",
        "max_parties_per_slot": "",
    }
    if restaurant is not None:
        for name in list(fields):
            value = getattr(restaurant, name)
            if isinstance(value, bool):
                fields.pop(name)
                if value:
                    fields[name] = "on"
            else:
                fields[name] = form_value(value)
        fields["embed_origins"] = "\n".join(restaurant.embed_origins)
    for prefix in INLINES:
        stored = []
        if restaurant is not None:
            for obj in getattr(restaurant, prefix).all():
                row = {"id": obj.pk}
                for name in ROW_FIELDS[prefix]:
                    value = STORED_AS[name](obj) if name in STORED_AS else getattr(obj, name)
                    row[name] = value
                stored.append(row)
        given = rows.get(prefix, stored)
        fields[f"{prefix}-TOTAL_FORMS"] = str(len(given))
        fields[f"{prefix}-INITIAL_FORMS"] = str(sum(1 for row in given if row.get("id")))
        fields[f"{prefix}-MIN_NUM_FORMS"] = "0"
        fields[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, row in enumerate(given):
            for name, value in row.items():
                if isinstance(value, bool):
                    if value:
                        fields[f"{prefix}-{i}-{name}"] = "on"
                    continue
                fields[f"{prefix}-{i}-{name}"] = form_value(value)
            if restaurant is not None:
                fields[f"{prefix}-{i}-restaurant"] = str(restaurant.pk)
    return fields


def test_changelist_renders_for_a_superuser(admin_client, restaurant, other_restaurant):
    response = admin_client.get("/admin/restaurants/restaurant/")
    assert response.status_code == 200
    assert b"Casa Uno" in response.content and b"Casa Dos" in response.content


def test_change_page_renders_every_inline(admin_client, restaurant, manager):
    TableFactory(restaurant=restaurant, number="T-77")
    OpeningHoursFactory(restaurant=restaurant)
    ClosureFactory(restaurant=restaurant, reason="Vacaciones")
    DurationRuleFactory(restaurant=restaurant)
    response = admin_client.get(change_url(restaurant))
    assert response.status_code == 200
    content = response.content.decode()
    for prefix in INLINES:
        assert f'name="{prefix}-TOTAL_FORMS"' in content
    assert "T-77" in content and "Vacaciones" in content


def test_add_page_renders(admin_client):
    assert admin_client.get("/admin/restaurants/restaurant/add/").status_code == 200


def test_adding_a_restaurant_with_rows_goes_through_the_services(admin_client):
    data = restaurant_form(
        opening_hours=[{"weekday": 4, "opens_at": time(20), "closes_at": time(1), "name": "x"}],
        tables=[
            {"number": "1", "capacity": 4, "min_capacity": 2, "area": "bar", "is_active": True}
        ],
    )
    data["phone"] = "+34 911 22 33 44"
    response = admin_client.post("/admin/restaurants/restaurant/add/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    restaurant = Restaurant.objects.get(slug="casa-admin")
    assert restaurant.phone == "+34911223344"
    assert restaurant.opening_hours.get().closes_at == time(1)
    assert restaurant.tables.get().area == "bar"


def test_an_invalid_timezone_is_a_form_error(admin_client):
    data = restaurant_form()
    data["timezone"] = "Atlantis/Capital"
    response = admin_client.post("/admin/restaurants/restaurant/add/", data)
    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors
    assert not Restaurant.objects.exists()


def test_overlapping_inline_periods_are_form_errors(admin_client, restaurant):
    OpeningHoursFactory(restaurant=restaurant, weekday=0, opens_at=time(12), closes_at=time(16))
    stored = restaurant_form(restaurant)
    new_rows = [
        {
            "id": OpeningHours.objects.get().pk,
            "weekday": 0,
            "opens_at": time(12),
            "closes_at": time(16),
        },
        {"weekday": 6, "opens_at": time(22), "closes_at": time(13)},  # into Monday's lunch
    ]
    data = {**stored, **restaurant_form(restaurant, opening_hours=new_rows)}
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "opening_hours"
    )
    assert "opens_at" in formset.forms[1].errors
    assert OpeningHours.objects.count() == 1


def test_min_capacity_above_capacity_is_a_form_error(admin_client, restaurant):
    data = restaurant_form(
        restaurant,
        tables=[
            {"number": "1", "capacity": 2, "min_capacity": 5, "area": "indoor", "is_active": True}
        ],
    )
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert not Table.objects.exists()


def test_deleting_a_table_with_reservations_is_refused(admin_client, restaurant, book_table):
    table = TableFactory(restaurant=restaurant, number="9")
    book_table(table=table, start_at=now() + timedelta(days=1))
    data = restaurant_form(restaurant)
    data["tables-0-DELETE"] = "on"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert b"protected related objects" in response.content
    assert Table.objects.filter(pk=table.pk).exists()


def test_changing_rows_and_staff_through_the_inlines(admin_client, restaurant, host):
    table = TableFactory(restaurant=restaurant, number="1", capacity=4)
    newcomer = UserFactory()
    membership = StaffMembership.objects.get(user=host)
    data = restaurant_form(
        restaurant,
        tables=[
            {
                "id": table.pk,
                "number": "1",
                "capacity": 6,
                "min_capacity": 1,
                "area": "indoor",
                "is_active": True,
            }
        ],
        memberships=[
            {"id": membership.pk, "user": host.pk, "role": "manager"},
            {"user": newcomer.pk, "role": "host"},
        ],
    )
    data["name"] = "Casa Renombrada"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Renombrada"
    assert Table.objects.get(pk=table.pk).capacity == 6
    assert set(StaffMembership.objects.values_list("user_id", "role")) == {
        (host.pk, "manager"),
        (newcomer.pk, "host"),
    }


def test_restaurants_cannot_be_deleted_only_deactivated(admin_client, restaurant):
    assert admin_client.get(
        f"/admin/restaurants/restaurant/{restaurant.pk}/delete/"
    ).status_code in (
        302,
        403,
    )
    response = admin_client.post(
        "/admin/restaurants/restaurant/",
        {"action": "deactivate", "_selected_action": [restaurant.pk]},
    )
    assert response.status_code == 302
    restaurant.refresh_from_db()
    assert restaurant.is_active is False


def test_admin_saves_call_the_services(admin_client, restaurant, monkeypatch):
    from restaurants import services

    calls = []

    def spy(name):
        real = getattr(services, name)

        def wrapper(**kwargs):
            calls.append(name)
            return real(**kwargs)

        return wrapper

    for name in ("restaurant_update", "table_create", "closure_create"):
        monkeypatch.setattr(services, name, spy(name))
    data = restaurant_form(
        restaurant,
        tables=[
            {"number": "5", "capacity": 2, "min_capacity": 1, "area": "bar", "is_active": True}
        ],
        closures=[{"starts_on": "2031-01-01", "ends_on": "2031-01-02", "reason": "x"}],
    )
    data["hold_minutes"] = "30"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302
    assert sorted(calls) == ["closure_create", "restaurant_update", "table_create"]


def test_a_service_refusal_after_the_forms_passed_is_a_message_not_a_500(
    admin_client, restaurant, monkeypatch
):
    """E.g. a concurrent edit made the change invalid between validation and save: the whole
    submit is rolled back and the admin shows the reason."""
    from core.errors import ValidationFailed
    from restaurants import services

    def refuse(**kwargs):
        raise ValidationFailed.field("number", "Taken a moment ago.")

    monkeypatch.setattr(services, "table_create", refuse)
    data = restaurant_form(
        restaurant,
        tables=[
            {"number": "5", "capacity": 2, "min_capacity": 1, "area": "bar", "is_active": True}
        ],
    )
    data["name"] = "Not Saved"
    response = admin_client.post(change_url(restaurant), data, follow=True)
    assert response.status_code == 200
    assert "Taken a moment ago." in response.content.decode()
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno"
    assert not Table.objects.exists()


def test_a_timezone_change_with_reservations_ahead_is_a_message(
    admin_client, restaurant, book_table
):
    book_table(table=TableFactory(restaurant=restaurant, number="1"))
    data = {**restaurant_form(restaurant), "timezone": "America/New_York", "name": "Not Saved"}
    response = admin_client.post(change_url(restaurant), data, follow=True)
    assert response.status_code == 200
    assert "The time zone cannot change while reservations are ahead" in response.content.decode()
    restaurant.refresh_from_db()
    assert (restaurant.timezone, restaurant.name) == ("Europe/Madrid", "Casa Uno")


def test_embed_origins_are_edited_one_per_line_and_stored_normalised(admin_client, restaurant):
    data = restaurant_form(restaurant)
    data["embed_origins"] = "  https://WWW.Casa.example/ \n\nhttp://localhost:8000\r\n"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == ["https://www.casa.example", "http://localhost:8000"]
    page = admin_client.get(change_url(restaurant)).content.decode()
    assert "https://www.casa.example\nhttp://localhost:8000</textarea>" in page


def test_a_bad_embed_origin_is_a_form_error_naming_the_line(admin_client, restaurant):
    data = restaurant_form(restaurant)
    data["embed_origins"] = "https://ok.example\nhttps://*.example.com"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["embed_origins"]
    assert any("Item 2" in e and "wildcards" in e for e in errors)
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == []


def test_the_change_page_shows_the_snippet_read_only(admin_client, restaurant):
    page = admin_client.get(change_url(restaurant)).content.decode()
    snippet = (
        "&lt;script src=&quot;http://testserver/static/reservaflow/embed.js&quot; "
        "data-restaurant=&quot;casa-uno&quot; async&gt;&lt;/script&gt;"
    )
    assert '<textarea id="embed-snippet" readonly' in page and snippet in page
    assert 'name="embed-snippet"' not in page
    assert (
        "embed-snippet"
        not in admin_client.get("/admin/restaurants/restaurant/add/").content.decode()
    )


# --- table combinations ---------------------------------------------------------------------


@pytest.fixture
def floor(restaurant):
    """Tables 1 (2-4 seats), 2 (2-4) and 3 (1-6) of R."""
    return [
        TableFactory(restaurant=restaurant, number="1", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="3", capacity=6, min_capacity=1),
    ]


def combination_row(tables, *, pk=None, min_capacity=None, capacity=None, is_active=True):
    row = {
        "joined_tables": [table.pk for table in tables],
        "min_capacity": min_capacity,
        "capacity": capacity,
        "is_active": is_active,
    }
    return {"id": pk, **row} if pk else row


def combination_errors(response) -> list[dict]:
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "table_combinations"
    )
    return [dict(form.errors) for form in formset.forms]


def test_the_change_page_shows_the_combinations_with_their_tables(admin_client, restaurant, floor):
    combination = table_combination_create(
        restaurant=restaurant, table_ids=[floor[0].pk, floor[2].pk]
    )
    TableFactory(number="elsewhere")  # another restaurant's table is no choice
    page = admin_client.get(change_url(restaurant))
    form = page.context["inline_admin_formsets"][4].formset.forms[0]
    assert form.instance == combination
    assert form.initial["joined_tables"] == [floor[0].pk, floor[2].pk]
    assert list(form.fields["joined_tables"].queryset) == list(
        Table.objects.filter(restaurant=restaurant)
    )


def test_a_combination_added_in_the_admin_goes_through_the_service(
    admin_client, restaurant, floor, monkeypatch
):
    from restaurants import combinations

    calls = []
    real = combinations.table_combination_create

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(combinations, "table_combination_create", spy)
    data = restaurant_form(restaurant, table_combinations=[combination_row(floor[:2])])
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert calls == [
        {
            "restaurant": restaurant,
            "table_ids": [floor[0].pk, floor[1].pk],
            "min_capacity": None,
            "capacity": None,
            "is_active": True,
        }
    ]
    combination = TableCombination.objects.get()
    assert (combination.min_capacity, combination.capacity) == (2, 8)
    assert set(combination.tables.all()) == set(floor[:2])


def test_combinations_are_changed_and_deleted_in_the_admin(admin_client, restaurant, floor):
    t1, t2, t3 = floor
    changed = table_combination_create(restaurant=restaurant, table_ids=[t1.pk, t2.pk])
    deleted = table_combination_create(restaurant=restaurant, table_ids=[t2.pk, t3.pk])
    data = restaurant_form(
        restaurant,
        table_combinations=[
            combination_row([t1, t2, t3], pk=changed.pk, min_capacity=2, capacity=8),
            combination_row([t2, t3], pk=deleted.pk, min_capacity=1, capacity=10),
        ],
    )
    data["table_combinations-1-DELETE"] = "on"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(TableCombination.objects.values_list("pk", flat=True)) == [changed.pk]
    changed.refresh_from_db()
    assert changed.table_ids == [t1.pk, t2.pk, t3.pk]
    assert (changed.min_capacity, changed.capacity) == (2, 8)  # kept, as a PATCH keeps them


def test_a_capacity_left_blank_on_change_takes_the_default(admin_client, restaurant, floor):
    combination = table_combination_create(
        restaurant=restaurant, table_ids=[floor[0].pk, floor[2].pk], capacity=6
    )
    data = restaurant_form(
        restaurant,
        table_combinations=[
            combination_row([floor[0], floor[2]], pk=combination.pk, min_capacity=1)
        ],
    )
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    combination.refresh_from_db()
    assert combination.capacity == 10


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (lambda floor: combination_row(floor[:1]), "joined_tables"),
        (lambda floor: combination_row(floor[1:3]), "joined_tables"),  # table 2 inactive
        (lambda floor: combination_row(floor[::2], min_capacity=9, capacity=8), "min_capacity"),
        (lambda floor: combination_row(floor[::2], capacity=101), "capacity"),
    ],
    ids=["one table", "an inactive table", "min above capacity", "capacity too large"],
)
def test_what_the_service_would_refuse_is_a_form_error(admin_client, restaurant, floor, row, field):
    Table.objects.filter(pk=floor[1].pk).update(is_active=False)
    data = restaurant_form(restaurant, table_combinations=[row(floor)])
    data["name"] = "Not Saved"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert list(combination_errors(response)[0]) == [field]
    assert not TableCombination.objects.exists()
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno"


def test_the_same_tables_again_are_a_form_error(admin_client, restaurant, floor):
    stored = table_combination_create(restaurant=restaurant, table_ids=[floor[0].pk, floor[1].pk])
    data = restaurant_form(
        restaurant,
        table_combinations=[
            combination_row(floor[:2], pk=stored.pk, min_capacity=2, capacity=8),
            combination_row(floor[:2]),
        ],
    )
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    errors = combination_errors(response)
    assert errors[0] == {}
    assert errors[1]["joined_tables"] == [f"Combination {stored.pk} already joins these tables."]
    assert TableCombination.objects.count() == 1


def test_two_new_rows_with_the_same_tables_are_a_form_error(admin_client, restaurant, floor):
    data = restaurant_form(
        restaurant,
        table_combinations=[combination_row(floor[:2]), combination_row(floor[1::-1])],
    )
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert combination_errors(response)[1]["joined_tables"] == [
        "Another row joins the same tables."
    ]
    assert not TableCombination.objects.exists()


def test_another_restaurants_table_is_no_choice(admin_client, restaurant, floor, other_restaurant):
    theirs = TableFactory(restaurant=other_restaurant)
    data = restaurant_form(restaurant, table_combinations=[combination_row([floor[0], theirs])])
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert "joined_tables" in combination_errors(response)[0]
    assert not TableCombination.objects.exists()


def test_a_table_in_a_combination_cannot_be_deleted_in_the_admin(admin_client, restaurant, floor):
    table_combination_create(restaurant=restaurant, table_ids=[floor[0].pk, floor[1].pk])
    data = restaurant_form(restaurant)
    data["tables-0-DELETE"] = "on"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert b"protected related objects" in response.content
    assert Table.objects.filter(restaurant=restaurant).count() == 3


def test_a_service_refusal_of_a_combination_is_a_message_and_saves_nothing(
    admin_client, restaurant, floor, monkeypatch
):
    """A concurrent write of the same tables between the form's check and the save."""
    from core.errors import CombinationExists
    from restaurants import combinations

    def refuse(**kwargs):
        raise CombinationExists.field("table_ids", "Another combination already joins these.")

    monkeypatch.setattr(combinations, "table_combination_create", refuse)
    data = restaurant_form(restaurant, table_combinations=[combination_row(floor[:2])])
    data["name"] = "Not Saved"
    response = admin_client.post(change_url(restaurant), data, follow=True)
    assert response.status_code == 200
    assert "Another combination already joins these." in response.content.decode()
    restaurant.refresh_from_db()
    assert restaurant.name == "Casa Uno"
    assert not TableCombination.objects.exists()


def pacing_limits(restaurant):
    restaurant.refresh_from_db()
    return restaurant.max_covers_per_slot, restaurant.max_parties_per_slot


def test_the_admin_edits_the_pacing_limits(admin_client, restaurant):
    data = restaurant_form(restaurant)
    data.update(max_covers_per_slot="30", max_parties_per_slot="")
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 302
    assert pacing_limits(restaurant) == (30, None)
    assert b"max_covers_per_slot" in admin_client.get(change_url(restaurant)).content


def test_a_pacing_limit_of_0_is_a_form_error(admin_client, restaurant):
    data = restaurant_form(restaurant)
    data["max_parties_per_slot"] = "0"
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert "max_parties_per_slot" in response.context["adminform"].form.errors
    assert pacing_limits(restaurant) == (None, None)
