"""embed_origins and the embed snippet on /api/restaurants/{id}/: managers set the origins,
staff read them with the snippet to paste, the public sees neither, and every bad value is a
400 invalid_embed_origins naming the field, never a 500."""

import json
import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from restaurants.models import Restaurant

pytestmark = pytest.mark.django_db


def detail(restaurant):
    return f"/api/restaurants/{restaurant.pk}/"


@pytest.fixture
def no_error_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_a_manager_sets_the_origins_and_gets_them_back_normalised(as_manager, restaurant):
    response = as_manager.patch(
        detail(restaurant),
        {"embed_origins": ["https://WWW.Casa-Uno.example/", "http://localhost:8000"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    expected = ["https://www.casa-uno.example", "http://localhost:8000"]
    assert response.json()["embed_origins"] == expected
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == expected


def test_staff_see_the_snippet_built_from_the_requests_address(
    api_client, host, restaurant, settings
):
    settings.ALLOWED_HOSTS = ["book.example"]
    api_client.force_authenticate(host)
    body = api_client.get(detail(restaurant), HTTP_HOST="book.example:8443", secure=True).json()
    assert body["embed_snippet"] == (
        '<script src="https://book.example:8443/static/reservaflow/embed.js" '
        'data-restaurant="casa-uno" async></script>'
    )
    assert body["embed_origins"] == []


def test_the_public_sees_neither_the_origins_nor_the_snippet(api_client, restaurant):
    restaurant.embed_origins = ["https://www.casa-uno.example"]
    restaurant.save()
    body = api_client.get(detail(restaurant)).json()
    assert "embed_origins" not in body and "embed_snippet" not in body
    row = api_client.get("/api/restaurants/").json()["results"][0]
    assert "embed_origins" not in row


def test_a_host_cannot_change_them(api_client, host, restaurant):
    api_client.force_authenticate(host)
    response = api_client.patch(
        detail(restaurant), {"embed_origins": ["https://evil.example"]}, format="json"
    )
    assert response.status_code == 403
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == []


def test_a_superuser_creates_a_restaurant_with_origins_and_a_snippet(as_superuser):
    response = as_superuser.post(
        "/api/restaurants/",
        {"name": "Nueva", "timezone": "UTC", "embed_origins": ["https://nueva.example:443"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["embed_origins"] == ["https://nueva.example"]
    assert 'src="http://testserver/static/reservaflow/embed.js"' in body["embed_snippet"]


BAD_VALUES = [
    "https://www.example.com",
    {"origin": "https://www.example.com"},
    None,
    7,
    [7],
    [None],
    [["https://www.example.com"]],
    [{"a": 1}],
    [True],
    ["https://example.com/booking"],
    ["https://*.example.com"],
    ["https://user@example.com"],
    ["ftp://example.com"],
    ["https://exa\x00mple.com"],
    ["https://" + "a" * 100_000 + ".example"],
    ["https://ex ample.com"],
    ["https://☃☃.☃☃☃"],  # not a valid domain name even as IDNA
    [f"https://s{n}.example" for n in range(21)],
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_every_bad_value_is_a_400_naming_the_field(as_manager, restaurant, value):
    response = as_manager.patch(detail(restaurant), {"embed_origins": value}, format="json")
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid_embed_origins"
    assert list(body["details"]) == ["embed_origins"]
    restaurant.refresh_from_db()
    assert restaurant.embed_origins == []


def test_a_unicode_host_is_stored_in_its_ascii_form(as_manager, restaurant):
    response = as_manager.patch(
        detail(restaurant), {"embed_origins": ["https://Bücher.example"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["embed_origins"] == ["https://xn--bcher-kva.example"]


def test_a_lone_surrogate_is_a_400_with_a_valid_utf8_body(manager, restaurant, no_error_logged):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.patch(
        detail(restaurant),
        '{"embed_origins": ["https://\\ud800.example"]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    json.loads(response.content.decode("utf-8"))  # strict: a surrogate would not encode
    assert response.json()["code"] == "invalid_embed_origins"


def test_deep_nesting_in_a_form_body_is_a_400_not_a_crash(manager, restaurant, no_error_logged):
    """A form body's value is never read as JSON: each value is one origin."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(manager)
    response = client.patch(
        detail(restaurant),
        "embed_origins=" + "[" * 50_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_embed_origins"


def test_a_form_body_sends_one_origin_per_value(manager, restaurant):
    client = APIClient()
    client.force_authenticate(manager)
    response = client.patch(
        detail(restaurant),
        "embed_origins=https%3A%2F%2Fa.example&embed_origins=https%3A%2F%2Fb.example",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.json()
    assert Restaurant.objects.get(pk=restaurant.pk).embed_origins == [
        "https://a.example",
        "https://b.example",
    ]


def test_the_schema_describes_the_field(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    patch = components["PatchedRestaurantInputRequest"]["properties"]["embed_origins"]
    assert patch["type"] == "array" and patch["maxItems"] == 20
    out = components["RestaurantDetail"]["properties"]
    assert out["embed_origins"]["type"] == "array" and out["embed_snippet"]["type"] == "string"
    assert "invalid_embed_origins" in json.dumps(
        schema["paths"]["/api/restaurants/{restaurant_id}/"]
    )
