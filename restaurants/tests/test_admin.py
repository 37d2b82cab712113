"""The admin: restaurants with their tables, hours, closures, rules and staff inline, saved
through the services, with mistakes shown as form errors."""

from datetime import time, timedelta

import pytest

from core.clock import now
from customers.tests.factories import UserFactory
from restaurants.models import OpeningHours, Restaurant, StaffMembership, Table
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    OpeningHoursFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db

INLINES = ["opening_hours", "closures", "duration_rules", "tables", "memberships"]
ROW_FIELDS = {
    "opening_hours": ["weekday", "opens_at", "closes_at", "name"],
    "closures": ["starts_on", "ends_on", "reason"],
    "duration_rules": ["min_party", "max_party", "duration_minutes"],
    "tables": ["number", "capacity", "min_capacity", "area", "is_active"],
    "memberships": ["user", "role"],
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
                    value = getattr(obj, name if name != "user" else "user_id")
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
