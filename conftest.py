"""Test-wide setup: the real PostgreSQL and Redis must answer before anything runs."""

import os
from urllib.parse import urlsplit

import pytest


def _unreachable() -> str | None:
    import psycopg
    import redis

    if os.environ.get("RESERVAFLOW_TEST_EMBEDDED") == "1":
        return None  # SQLite in DATA_DIR and no Redis: nothing to reach
    db = urlsplit(os.environ["DATABASE_URL"])
    try:
        psycopg.connect(
            host=db.hostname or "127.0.0.1",
            port=db.port or 5432,
            user=db.username or "postgres",
            password=db.password or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
        return (
            f"PostgreSQL is not reachable at {db.hostname}:{db.port or 5432} ({first}); "
            "start it (e.g. `docker compose up -d db`) or set DATABASE_URL"
        )
    from django.conf import settings

    for name in ("REDIS_CACHE_URL", "REDIS_URL"):
        url = getattr(settings, name)
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError as exc:
            return (
                f"Redis is not reachable at {url} ({exc}); "
                f"start it (e.g. `docker compose up -d redis`) or set {name}"
            )
    return None


def pytest_configure(config):
    # One line naming what to start, instead of a traceback per test.
    problem = _unreachable()
    if problem:
        raise pytest.UsageError(problem)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (and so no stale booking locks or attempt counts):
    the cache DB in Redis, or the in-process cache of the embedded mode."""
    from django.core.cache import cache

    from core.locking import redis_client

    client = redis_client()
    if client is not None:
        client.flushdb()
    else:
        cache.clear()
    yield


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


pytest_plugins = ["core.tests.faults", "core.tests.markers"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in Spanish leaves Spanish active
    in its thread (Django's LocaleMiddleware sets it per request and leaves it there), which
    code run outside a request would otherwise read."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def sign_in(client, cast):
    """``sign_in(who)``: the test client signed in as ``cast[who]`` (a module's fixture
    naming its roles; None for nobody), signed out of anyone before."""

    def as_(who):
        client.logout()
        if cast[who] is not None:
            client.force_login(cast[who])
        return client

    return as_
