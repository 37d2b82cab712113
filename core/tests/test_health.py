"""Liveness and readiness, as a load balancer or a supervisor probes them: liveness touches no
dependency, so it stays 200 while PostgreSQL or Redis is unreachable, and readiness answers
503 naming what failed. The unreachable services are closed loopback ports, given to a fresh
process through its environment (the settings read them once, at start-up)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
out = {}
for name, path in (("live", "/api/health/live/"), ("ready", "/api/health/")):
    response = client.get(path, HTTP_HOST="127.0.0.1")
    out[name] = [response.status_code, response.json()]
print("PROBE" + json.dumps(out))
"""


def closed_port() -> int:
    """A loopback port nothing listens on (taken from the test range, then let go)."""
    return free_port()


def probe(tmp_path: Path, **services: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_CACHE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATA_DIR=str(tmp_path),
        SECRET_KEY="k" + os.urandom(32).hex(),
        ALLOWED_HOSTS="127.0.0.1",
        **services,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.split("PROBE", 1)[1])


def reachable_database() -> str:
    # The server's maintenance database exists whatever the test run created.
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


@pytest.mark.django_db
def test_liveness_answers_without_credentials_and_names_no_dependency(api_client):
    response = api_client.get("/api/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_liveness_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/admin/login/").status_code == 301
    assert client.get("/api/health/live/").status_code == 200


def test_liveness_touches_neither_the_database_nor_the_cache(client, monkeypatch):
    """No django_db mark: pytest-django refuses any database access here, so a query would
    fail the request; every cache call is recorded."""
    from django.core.cache import cache

    calls = []
    for name in ("get", "set", "add", "incr", "delete", "get_many"):
        monkeypatch.setattr(cache, name, lambda *a, _name=name, **k: calls.append(_name))
    response = client.get("/api/health/live/")
    assert response.status_code == 200
    assert calls == []


@pytest.mark.redis_only(reason="readiness with a reachable Redis and an unreachable PostgreSQL")
def test_postgresql_unreachable_liveness_200_readiness_503_naming_the_database(tmp_path):
    out = probe(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/reservaflow",
        REDIS_URL=os.environ["REDIS_URL"],
    )
    assert out["live"] == [200, {"status": "ok"}]
    assert out["ready"] == [
        503,
        {"status": "error", "database": "error", "cache": "ok", "broker": "ok"},
    ]


@pytest.mark.postgres_only(reason="readiness with a reachable PostgreSQL and an unreachable Redis")
def test_redis_unreachable_liveness_200_readiness_503_naming_cache_and_broker(tmp_path):
    out = probe(
        tmp_path,
        DATABASE_URL=reachable_database(),
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert out["live"] == [200, {"status": "ok"}]
    assert out["ready"] == [
        503,
        {"status": "error", "database": "ok", "cache": "error", "broker": "error"},
    ]


@pytest.mark.postgres_only(reason="readiness against the service mode's PostgreSQL and Redis")
def test_both_reachable_readiness_200(tmp_path):
    out = probe(tmp_path, DATABASE_URL=reachable_database(), REDIS_URL=os.environ["REDIS_URL"])
    assert out["live"] == [200, {"status": "ok"}]
    assert out["ready"] == [
        200,
        {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"},
    ]
