"""Sign-in limits on the API token endpoint and the admin login (customers.login_limits):
per (account, client address) and per client address, failures only, one budget for both."""

import re

import pytest
from django.core.cache.backends.redis import RedisCache

from core import throttling
from customers.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"


def api_login(api_client, email, password, address=ATTACKER):
    return api_client.post(TOKEN, {"email": email, "password": password}, REMOTE_ADDR=address)


def admin_login(client, email, password, address=ATTACKER):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def ana(db):
    return UserFactory(email="ana@example.com", is_staff=True, is_superuser=True)


def test_wrong_passwords_for_one_account_from_one_address_end_in_429(api_client, ana, settings):
    assert settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS == 5  # the documented default
    for _ in range(5):
        assert api_login(api_client, ana.email, "wrong").status_code == 401
    response = api_login(api_client, ana.email, "wrong")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and set(body) == {"code", "message", "details"}
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= settings.LOGIN_FAILURE_WINDOW_SECONDS
    assert body["details"]["retry_after"] == retry_after
    # Over the limit even the right password is refused: the attacker learns nothing more.
    assert api_login(api_client, ana.email, DEFAULT_PASSWORD).status_code == 429


def test_the_owner_from_another_address_is_never_blocked_by_the_misses(api_client, ana):
    for _ in range(8):
        api_login(api_client, ana.email, "wrong")
    assert api_login(api_client, ana.email, DEFAULT_PASSWORD).status_code == 429
    response = api_login(api_client, ana.email, DEFAULT_PASSWORD, address=OWNER)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_one_address_trying_many_accounts_is_throttled(api_client, settings):
    assert settings.LOGIN_FAILURES_PER_ADDRESS == 20
    users = [UserFactory() for _ in range(21)]
    for user in users[:20]:
        assert api_login(api_client, user.email, "wrong").status_code == 401
    assert api_login(api_client, users[20].email, "wrong").status_code == 429
    # The account itself is fine from elsewhere.
    assert api_login(api_client, users[20].email, DEFAULT_PASSWORD, OWNER).status_code == 200


def test_only_failures_count(api_client, ana):
    for _ in range(10):
        assert api_login(api_client, ana.email, DEFAULT_PASSWORD).status_code == 200
    for _ in range(4):
        assert api_login(api_client, ana.email, "wrong").status_code == 401
    assert api_login(api_client, ana.email, DEFAULT_PASSWORD).status_code == 200
    assert api_login(api_client, ana.email, "wrong").status_code == 401  # the 5th failure
    assert api_login(api_client, ana.email, "wrong").status_code == 429


def test_the_account_key_ignores_case_and_spaces(api_client, ana):
    for spelling in ["ANA@example.com", " ana@example.com", "Ana@Example.com", "ana@example.com"]:
        api_login(api_client, spelling, "wrong")
    api_login(api_client, ana.email, "wrong")
    assert api_login(api_client, "ANA@EXAMPLE.COM ", "wrong").status_code == 429


def test_any_email_string_is_counted_and_never_a_500(api_client):
    odd = "ñandú " * 300 + "@例え.jp\u200b"
    for _ in range(5):
        assert api_login(api_client, odd, "x").status_code in (400, 401)
    assert api_login(api_client, odd, "x").status_code == 429


def test_admin_login_is_throttled_with_a_clear_message(client, ana):
    for _ in range(5):
        page = admin_login(client, ana.email, "wrong")
        assert page.status_code == 200 and "Please enter the correct" in page.content.decode()
    page = admin_login(client, ana.email, DEFAULT_PASSWORD)
    assert page.status_code == 200  # the form again, not the redirect of a login
    html = page.content.decode()
    minutes = re.search(r"Too many failed sign-in attempts. Try again in (\d+) minute", html)
    assert minutes and 1 <= int(minutes[1]) <= 15
    assert "_auth_user_id" not in client.session
    # The owner, from their own address, signs in.
    assert admin_login(client, ana.email, DEFAULT_PASSWORD, address=OWNER).status_code == 302


def test_admin_and_api_share_one_budget(api_client, client, ana):
    for _ in range(3):
        assert api_login(api_client, ana.email, "wrong").status_code == 401
    for _ in range(2):
        admin_login(client, ana.email, "wrong")
    assert api_login(api_client, ana.email, "wrong").status_code == 429
    assert "Too many failed" in admin_login(client, ana.email, "wrong").content.decode()


def test_a_correct_admin_password_of_a_non_staff_account_is_not_a_failure(client):
    guest = UserFactory()
    for _ in range(8):
        page = admin_login(client, guest.email, DEFAULT_PASSWORD)
        assert "Please enter the correct" in page.content.decode()  # no staff rights
    for _ in range(5):
        assert "Too many failed" not in admin_login(client, guest.email, "wrong").content.decode()
    assert "Too many failed" in admin_login(client, guest.email, "wrong").content.decode()


def test_the_client_address_behind_a_proxy_is_the_forwarded_one(api_client, ana, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        for _ in range(6):
            response = api_client.post(
                TOKEN,
                {"email": ana.email, "password": "wrong"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=ATTACKER,
            )
        assert response.status_code == 429
        owner = api_client.post(
            TOKEN,
            {"email": ana.email, "password": DEFAULT_PASSWORD},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=OWNER,
        )
        assert owner.status_code == 200
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()


def test_logins_go_on_with_the_cache_down(api_client, client, ana, monkeypatch):
    down = RedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
    )
    monkeypatch.setattr(throttling.AttemptLimit, "cache", down)
    assert api_login(api_client, ana.email, "wrong").status_code == 401
    assert api_login(api_client, ana.email, DEFAULT_PASSWORD).status_code == 200
    assert admin_login(client, ana.email, DEFAULT_PASSWORD).status_code == 302


def test_a_request_without_a_client_address_is_limited_as_one_unknown_client(api_client, ana):
    """A WSGI server that sets no REMOTE_ADDR: still a 401, then a 429, never a 500."""
    answers = [
        api_client.post(
            TOKEN, {"email": ana.email, "password": "wrong"}, REMOTE_ADDR=""
        ).status_code
        for _ in range(6)
    ]
    assert answers == [401] * 5 + [429]


def test_the_long_s_spelling_does_not_sign_in(api_client):
    """A letter that only upper-cases to the account's (U+017F, the long s, to "S") is
    another address: it neither signs in as the account nor escapes the account's limit."""
    UserFactory(email="sam@example.com")
    response = api_login(api_client, "\u017fam@example.com", DEFAULT_PASSWORD, address=OWNER)
    assert response.status_code == 401
