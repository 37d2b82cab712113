"""The API's bearer-token authentication reads the account from the cache
(accounts.authentication) and still stops a token at once when the account is deactivated,
its password changed or it is deleted; a staff role removed stops acting at once; a write
that bypasses ``save`` is seen once the cache entry lapses."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.selectors import staff_role_at
from restaurants.models import StaffMembership
from restaurants.services import membership_delete
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory

ME = "/api/customers/me/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    user = UserFactory()
    CustomerFactory(user=user, email=user.email, first_name=user.first_name)
    return user


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def account_queries(client) -> int:
    """Queries on the account table during one request."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    table = User._meta.db_table
    return sum(1 for q in queries.captured_queries if f'FROM "{table}"' in q["sql"])


def test_the_account_is_read_once_then_from_the_cache(account):
    client = bearer(account)
    assert account_queries(client) == 1
    assert account_queries(client) == 0
    assert account_queries(client) == 0


def test_a_deactivated_account_is_refused_at_the_next_request(account):
    client = bearer(account)
    assert client.get(ME).status_code == 200  # cached now
    account.is_active = False
    account.save()
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_changed_password_ends_the_tokens_issued_before(account):
    client = bearer(account)
    assert client.get(ME).status_code == 200
    account.set_password("an-entirely-new-password-42")
    account.save()
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert bearer(account).get(ME).status_code == 200  # a token issued after it works


def test_a_deleted_account_is_refused_at_the_next_request():
    user = UserFactory()  # no guest profile, so nothing protects the row
    client = bearer(user)
    assert client.get(ME).status_code in (200, 404)  # authenticated: cached now
    user.delete()
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_write_around_save_is_seen_once_the_entry_lapses(account, settings):
    settings.AUTH_ACCOUNT_CACHE_SECONDS = 1
    client = bearer(account)
    assert client.get(ME).status_code == 200
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert client.get(ME).status_code == 200  # the cached copy, for at most a second
    time.sleep(1.2)
    assert client.get(ME).status_code == 401


def test_without_a_cache_time_every_request_reads_the_account(account, settings):
    settings.AUTH_ACCOUNT_CACHE_SECONDS = 0
    client = bearer(account)
    assert account_queries(client) == 1
    assert account_queries(client) == 1


def test_a_removed_membership_stops_acting_at_once():
    restaurant = RestaurantFactory()
    membership = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST)
    user = membership.user
    assert staff_role_at(user, restaurant.pk) == "host"
    with CaptureQueriesContext(connection) as queries:
        assert staff_role_at(user, restaurant.pk) == "host"
    assert len(queries) == 0  # from the cache
    membership_delete(membership=membership)
    assert staff_role_at(user, restaurant.pk) is None


def test_a_changed_role_acts_at_once():
    restaurant = RestaurantFactory()
    membership = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST)
    assert staff_role_at(membership.user, restaurant.pk) == "host"
    membership.role = StaffMembership.Role.MANAGER
    membership.save()
    assert staff_role_at(membership.user, restaurant.pk) == "manager"


def test_the_cached_entry_holds_no_password_hash(account):
    from django.core.cache import cache

    from accounts.account_cache import account_cache_key

    assert bearer(account).get(ME).status_code == 200  # cached now
    entry = cache.get(account_cache_key(account.pk))
    assert entry is not None
    stored = User.objects.get(pk=account.pk).password
    algorithm = stored.split("$", 1)[0]
    assert stored not in repr(entry) and algorithm not in repr(entry)

    def builtins_only(value):
        if isinstance(value, dict):
            return all(builtins_only(k) and builtins_only(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(builtins_only(v) for v in value)
        return value is None or isinstance(value, bool | int | str)

    assert builtins_only(entry)


@pytest.mark.redis_only(reason="reads the entry's bytes as Redis holds them")
def test_the_entry_in_redis_holds_no_password_hash(account):
    from django.core.cache import cache

    from accounts.account_cache import account_cache_key

    assert bearer(account).get(ME).status_code == 200
    key = cache.make_and_validate_key(account_cache_key(account.pk))
    raw = cache._cache.get_client(key).get(key)
    assert raw, "the entry is in Redis"
    stored = User.objects.get(pk=account.pk).password
    for secret in (stored, stored.split("$")[-1], stored.split("$")[-2]):
        assert secret.encode() not in raw
    assert b"accounts.models" not in raw and b"User" not in raw  # no pickled model


def test_the_account_from_the_cache_is_rebuilt_without_a_query(account):
    client = bearer(account)
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == account.email
    table = User._meta.db_table
    assert not [q for q in queries.captured_queries if f'"{table}"' in q["sql"]]


def test_an_entry_of_an_older_shape_is_read_again_from_the_database(account):
    from django.core.cache import cache

    from accounts.account_cache import account_cache_key

    cache.set(account_cache_key(account.pk), account, timeout=30)  # the pickled model of old
    assert account_queries(bearer(account)) == 1
    assert isinstance(cache.get(account_cache_key(account.pk)), dict)


def decodes(monkeypatch) -> list:
    """Each signature check simplejwt makes (TokenBackend.decode) from now on."""
    from rest_framework_simplejwt.backends import TokenBackend

    calls = []
    original = TokenBackend.decode

    def counted(self, token, verify=True):
        calls.append(token)
        return original(self, token, verify=verify)

    monkeypatch.setattr(TokenBackend, "decode", counted)
    return calls


def test_a_token_is_decoded_once_per_process(account, monkeypatch):
    calls = decodes(monkeypatch)
    client = bearer(account)
    for _ in range(3):
        assert client.get(ME).status_code == 200
    assert len(calls) == 1


def test_a_remembered_token_still_expires(account, monkeypatch):
    import time_machine
    from rest_framework_simplejwt.settings import api_settings

    client = bearer(account)
    assert client.get(ME).status_code == 200  # verified and remembered
    later = time_machine.travel(
        time.time() + api_settings.ACCESS_TOKEN_LIFETIME.total_seconds() + 1, tick=False
    )
    with later:
        response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_tampered_token_is_checked_in_full_and_refused(account, monkeypatch):
    token = str(AccessToken.for_user(account))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(ME).status_code == 200  # the genuine bytes are remembered
    calls = decodes(monkeypatch)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get(ME).status_code == 401
    assert len(calls) == 1
