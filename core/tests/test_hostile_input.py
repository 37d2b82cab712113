"""Hostile bodies anyone can send (issue 11, items 3-5): each is a 4xx in the error shape, or a
plain page on the HTML pages, never a 500, and nothing is logged as an error."""

import json
import logging

import pytest
from django.test import Client

from accounts.models import User
from customers.models import Customer
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.models import Reservation
from restaurants.models import Restaurant, StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory

pytestmark = pytest.mark.django_db

# Just over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
TOO_BIG = 2_621_440 + 1024
LONE_SURROGATE = "\\ud800"  # as it appears in the JSON text


@pytest.fixture
def client_500s():
    """A client that answers what the server would send instead of re-raising a crash."""
    return Client(raise_request_exception=False)


@pytest.fixture
def no_error_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    return body


# --- item 3: JSON nested too deeply ----------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 5000])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400_parse_error(client_500s, no_error_logged, depth, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * depth + "1" * (opening != "[") + closing * depth
    for path in ("/api/auth/token/", "/api/auth/register/"):
        response = client_500s.post(path, body, content_type="application/json")
        assert_error(response, 400, "parse_error")
    assert not User.objects.exists()
    client_500s.force_login(UserFactory())
    response = client_500s.post("/api/reservations/", body, content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert not Reservation.objects.exists()


# --- item 4: bodies over Django's upload limits ----------------------------------------------


def _big_json():
    return json.dumps({"email": "a" * TOO_BIG, "password": "x"})


def _big_form():
    return "email=" + "a" * TOO_BIG + "&password=x"


@pytest.mark.parametrize("kind", ["json", "form", "multipart"])
def test_an_anonymous_api_body_over_the_limit_is_413(client_500s, no_error_logged, kind):
    for path in ("/api/auth/token/", "/api/auth/register/"):
        if kind == "json":
            response = client_500s.post(path, _big_json(), content_type="application/json")
        elif kind == "form":
            response = client_500s.post(
                path, _big_form(), content_type="application/x-www-form-urlencoded"
            )
        else:
            response = client_500s.post(path, {"email": "a" * TOO_BIG, "password": "x"})
        body = assert_error(response, 413, "request_too_large")
        assert "aaaaaaaaaa" not in body["message"]
    assert not User.objects.exists()


def test_an_api_patch_over_the_limit_is_413_and_changes_nothing(client_500s, no_error_logged):
    user = UserFactory(first_name="Ana")
    CustomerFactory(user=user, email=user.email, first_name="Ana")
    client_500s.force_login(user)
    for content_type, data in (
        ("application/json", json.dumps({"first_name": "a" * TOO_BIG})),
        ("multipart/form-data; boundary=BoUnDaRy", _multipart({"first_name": "a" * TOO_BIG})),
        ("application/x-www-form-urlencoded", "first_name=" + "a" * TOO_BIG),
    ):
        response = client_500s.patch("/api/customers/me/", data, content_type=content_type)
        assert_error(response, 413, "request_too_large")
    assert Customer.objects.get(user=user).first_name == "Ana"


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return ("".join(parts) + "--BoUnDaRy--\r\n").encode()


def test_too_many_form_fields_on_the_api_is_400(client_500s, no_error_logged):
    many = "&".join(f"f{i}=1" for i in range(1100))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000
    response = client_500s.post(
        "/api/auth/token/", many, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 400, "too_many_fields")
    response = client_500s.post(
        "/api/auth/register/",
        _multipart({f"f{i}": "1" for i in range(1100)}),
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert_error(response, 400, "too_many_fields")


def test_too_many_files_on_the_api_is_400(client_500s, no_error_logged, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = "".join(
        f'--BoUnDaRy\r\nContent-Disposition: form-data; name="f{i}"; filename="f{i}.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nx\r\n"
        for i in range(5)
    )
    response = client_500s.post(
        "/api/auth/register/",
        (files + "--BoUnDaRy--\r\n").encode(),
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert_error(response, 400, "too_many_files")


def _assert_plain_page(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert str(status) in text
    assert "Traceback" not in text and "aaaaaaaaaa" not in text


@pytest.mark.parametrize("kind", ["form", "multipart"])
def test_a_page_post_over_the_limit_is_a_plain_413_page(client_500s, no_error_logged, kind):
    for path in ("/admin/login/", "/r/" + "a" * 43 + "/confirm/"):
        if kind == "form":
            response = client_500s.post(
                path, _big_form(), content_type="application/x-www-form-urlencoded"
            )
        else:
            response = client_500s.post(path, {"username": "a" * TOO_BIG, "password": "x"})
        _assert_plain_page(response, 413)


def test_too_many_fields_on_a_page_is_a_plain_400_page(client_500s, no_error_logged):
    many = "&".join(f"f{i}=1" for i in range(1100))
    response = client_500s.post(
        "/admin/login/", many, content_type="application/x-www-form-urlencoded"
    )
    _assert_plain_page(response, 400)


def test_a_page_post_within_the_limit_still_works(client_500s):
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    page = client_500s.get("/admin/login/")
    assert page.status_code == 200
    response = client_500s.post(
        "/admin/login/",
        {"username": "boss@example.com", "password": "wrong", "note": "b" * 1000},
    )
    assert response.status_code == 200  # the form again, with its error


# --- item 5: lone surrogates -----------------------------------------------------------------


def _assert_renderable_400(response):
    """A 400 naming the problem, whose body is valid UTF-8 JSON with no lone surrogate."""
    assert response.status_code == 400, response.content[:300]
    text = response.content.decode("utf-8")  # strict: a surrogate would not even encode
    body = json.loads(text)
    assert body["code"] in ("validation_error", "parse_error")
    assert set(body) == {"code", "message", "details"}
    assert "\ud800" not in json.dumps(body, ensure_ascii=False)
    return body


@pytest.fixture
def manager():
    restaurant = RestaurantFactory()
    return StaffMembershipFactory(
        restaurant=restaurant, role=StaffMembership.Role.MANAGER
    ).user, restaurant


def _post(client, path, text, method="post"):
    return getattr(client, method)(path, text, content_type="application/json")


def test_a_lone_surrogate_key_in_a_registration_is_a_400(client_500s, no_error_logged):
    text = (
        '{"email": "ana@example.com", "password": "Xy-9876-long-pw", "first_name": "A", '
        f'"last_name": "L", "{LONE_SURROGATE}": 1}}'
    )
    body = _assert_renderable_400(_post(client_500s, "/api/auth/register/", text))
    assert "\ufffd" in body["details"]
    assert not User.objects.exists()
    assert not Customer.objects.exists()


def test_a_lone_surrogate_in_a_booking_key_or_source_is_a_400(client_500s, no_error_logged):
    client_500s.force_login(UserFactory())
    restaurant = RestaurantFactory()
    for text in (
        f'{{"restaurant_id": {restaurant.pk}, "source": "{LONE_SURROGATE}"}}',
        f'{{"restaurant_id": {restaurant.pk}, "{LONE_SURROGATE}x": 1}}',
        f'{{"restaurant_id": {restaurant.pk}, "customer": {{"{LONE_SURROGATE}": "x"}}}}',
    ):
        _assert_renderable_400(_post(client_500s, "/api/reservations/", text))
    assert not Reservation.objects.exists()


def test_a_lone_surrogate_time_zone_is_a_400(client_500s, no_error_logged, manager):
    user, restaurant = manager
    client_500s.force_login(user)
    for text in (
        f'{{"timezone": "Europe/{LONE_SURROGATE}"}}',
        f'{{"{LONE_SURROGATE}": "Europe/Madrid"}}',
    ):
        body = _assert_renderable_400(
            _post(client_500s, f"/api/restaurants/{restaurant.pk}/", text, method="patch")
        )
        assert body["details"]
    restaurant.refresh_from_db()
    assert restaurant.timezone == "Europe/Madrid"
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client_500s.force_login(superuser)
    text = f'{{"name": "New", "slug": "new", "timezone": "{LONE_SURROGATE}"}}'
    _assert_renderable_400(_post(client_500s, "/api/restaurants/", text))
    assert not Restaurant.objects.filter(slug="new").exists()


def test_a_lone_surrogate_staff_role_is_a_400(client_500s, no_error_logged, manager):
    user, restaurant = manager
    client_500s.force_login(user)
    newcomer = UserFactory()
    for text in (
        f'{{"email": "{newcomer.email}", "role": "{LONE_SURROGATE}"}}',
        f'{{"user_id": {newcomer.pk}, "role": "host{LONE_SURROGATE}"}}',
        f'{{"email": "{newcomer.email}", "role": "host", "{LONE_SURROGATE}": 1}}',
    ):
        _assert_renderable_400(_post(client_500s, f"/api/restaurants/{restaurant.pk}/staff/", text))
    assert not StaffMembership.objects.filter(user=newcomer).exists()


def test_a_lone_surrogate_in_a_customer_is_a_400(client_500s, no_error_logged, manager):
    user, _ = manager
    CustomerFactory(user=user, email=user.email)
    client_500s.force_login(user)
    before = Customer.objects.count()
    for text in (
        f'{{"first_name": "Ana", "email": "ana@example.com", "{LONE_SURROGATE}": 1}}',
        f'{{"first_name": "Ana", "email": "ana{LONE_SURROGATE}@example.com"}}',
        f'{{"first_name": "{LONE_SURROGATE}"}}',
    ):
        _assert_renderable_400(_post(client_500s, "/api/customers/", text))
    assert Customer.objects.count() == before
    _assert_renderable_400(
        _post(client_500s, "/api/customers/me/", f'{{"{LONE_SURROGATE}": 1}}', method="patch")
    )


def test_too_many_query_fields_on_a_page_is_a_plain_400_page(client_500s, no_error_logged):
    many = "&".join(f"f{i}=1" for i in range(1100))
    _assert_plain_page(client_500s.get(f"/admin/login/?{many}"), 400)


@pytest.mark.parametrize("path", ["/admin/login/", "/r/" + "a" * 43 + "/cancel/"])
def test_a_multipart_body_without_boundary_is_a_plain_400_page(
    client_500s, path, caplog, no_error_logged
):
    response = client_500s.post(path, b"x=1", content_type="multipart/form-data")
    _assert_plain_page(response, 400)
    assert not [r for r in caplog.get_records("call") if r.exc_info], "a traceback was logged"


def test_a_host_the_server_does_not_answer_is_a_400_logged_as_a_warning(
    client_500s, caplog, no_error_logged
):
    response = client_500s.get("/api/", HTTP_HOST="evil.example")
    assert_error(response, 400, "validation_error")
    assert any(r.name == "django.security.DisallowedHost" for r in caplog.get_records("call"))
