"""The API shell: error shape, JSON 404s, JWT auth, schema and docs, health."""

import pytest
from django.test import override_settings

from customers.tests.factories import DEFAULT_PASSWORD, UserFactory
from restaurants.tests.factories import RestaurantFactory

pytestmark = pytest.mark.django_db


def assert_error_shape(body, code):
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)


def test_unknown_api_url_answers_json_404(api_client):
    response = api_client.get("/api/no/such/thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert_error_shape(response.json(), "not_found")


def test_unknown_api_url_with_post_is_json_404_too(api_client):
    response = api_client.post("/api/nothing-here", {"a": 1})
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


def test_health_reports_every_part_ok_without_auth(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
)
def test_health_is_503_and_names_the_failing_cache(api_client):
    from django.core.cache import caches

    caches._settings = None  # let the override take effect for the cache handler
    try:
        response = api_client.get("/api/health/")
    finally:
        caches._settings = None
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["cache"] == "error"
    assert body["database"] == "ok"
    assert "127.0.0.1:1" not in response.content.decode()


def test_health_is_503_when_broker_is_unreachable(api_client, monkeypatch):
    from config.celery import app

    closed = "redis://127.0.0.1:1/0"
    # Celery's broker_url prefers CELERY_BROKER_URL from the environment to its own setting:
    # close both, and put back the setting itself (the property would read the environment).
    original = app.conf["broker_url"]
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    app.conf.broker_url = closed
    try:
        response = api_client.get("/api/health/")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_the_broker_check_probes_the_projects_app_from_any_thread(monkeypatch):
    """core reads the Celery app as ``celery.current_app`` (it imports no app); a request
    served in a thread other than the one that imported config must still probe config's app,
    not Celery's unconfigured fallback, which would answer for a broker nobody uses."""
    import threading

    from config.celery import app
    from core.health import CHECKS

    probed = []
    connect = app.connection_for_write

    def recording_connection_for_write(*args, **kwargs):
        probed.append(threading.current_thread().name)
        return connect(*args, **kwargs)

    monkeypatch.setattr(app, "connection_for_write", recording_connection_for_write)
    failures = []

    def check_in_a_new_thread():
        try:
            CHECKS["broker"]()
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(exc)

    thread = threading.Thread(target=check_in_a_new_thread, name="request-thread")
    thread.start()
    thread.join(10)
    assert failures == []
    assert probed == ["request-thread"]


def test_jwt_token_by_email_then_refresh_and_use(api_client):
    user = UserFactory(email="ana@example.com")
    response = api_client.post(
        "/api/auth/token/", {"email": "ANA@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.json()
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}

    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    assert "access" in refreshed.json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert api_client.get("/api/").status_code == 200
    assert user.is_active


def test_wrong_password_is_401_in_the_error_shape(api_client):
    UserFactory(email="ana@example.com")
    response = api_client.post("/api/auth/token/", {"email": "ana@example.com", "password": "x"})
    assert response.status_code == 401
    assert_error_shape(response.json(), "not_authenticated")


def test_token_request_without_fields_names_them(api_client):
    response = api_client.post("/api/auth/token/", {})
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "validation_error")
    assert set(body["details"]) == {"email", "password"}


def test_malformed_json_is_a_400_parse_error(api_client):
    response = api_client.post(
        "/api/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert_error_shape(response.json(), "parse_error")


def test_method_not_allowed_has_the_error_shape(api_client):
    response = api_client.delete("/api/health/")
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


def test_schema_and_swagger_ui_are_served(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/health/" in schema.json()["paths"]
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_admin_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200


def test_an_api_url_without_its_slash_redirects_to_it(api_client):
    response = api_client.get("/api/restaurants")
    assert response.status_code == 301
    assert response["Location"] == "/api/restaurants/"


def test_the_browsable_api_names_only_real_pages_in_its_breadcrumbs(api_client):
    restaurant = RestaurantFactory()
    page = api_client.get(f"/api/restaurants/{restaurant.pk}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not Found" not in text
    assert 'href="/api/restaurants/"' in text
    # DRF's own page styles two controls inline: only its pages allow that.
    assert "'unsafe-inline'" in page["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in api_client.get("/api/")["Content-Security-Policy"]


def test_json_is_indented_when_the_client_asks_for_it(api_client):
    plain = api_client.get("/api/health/")
    indented = api_client.get("/api/health/", HTTP_ACCEPT="application/json; indent=4")
    assert b"\n" not in plain.content
    assert indented.content.startswith(b'{\n  "status"')
    assert indented.json() == plain.json()
