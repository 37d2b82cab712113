"""A database made by the release before the accounts app migrates to this one with every
account, password, group, permission and link intact, on PostgreSQL and on SQLite.

The databases in ``data/`` were made by that release's migrations and filled by
``data/previous_release_seed.py``; here the project's own ``migrate`` runs on a copy, in a
separate process, exactly as an operator upgrading would run it."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SERVICES = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")

pytestmark = pytest.mark.slow

# Printed by the upgraded release: what an operator would check after the upgrade.
INSPECT = """
import json
from django.contrib.admin.models import LogEntry
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from accounts.models import User
from customers.models import Customer
from reservations.models import Reservation
from restaurants.models import StaffMembership
passwords = {
    "admin@reservaflow.local": "admin-pass-123", "manager@example.com": "manager-pass-123",
    "host@example.com": "host-pass-123", "guest@example.com": "guest-pass-123",
}
host = User.objects.get(email="host@example.com")
print(json.dumps({
    "table": User._meta.db_table,
    "users": sorted(User.objects.values_list("id", "email")),
    "logins": sorted(e for e, p in passwords.items() if authenticate(email=e, password=p)),
    "staff": sorted(StaffMembership.objects.values_list("user__email", "role")),
    "profiles": sorted(
        Customer.objects.filter(user__isnull=False).values_list("email", "user__email")
    ),
    "created_by": sorted(Reservation.objects.values_list("created_by__email", flat=True)),
    "groups": sorted(host.groups.values_list("name", flat=True)),
    "permissions": sorted(host.get_all_permissions()),
    "admin_log": sorted(LogEntry.objects.values_list("user__email", flat=True)),
    "user_type": sorted(
        ContentType.objects.filter(model="user").values_list("app_label", flat=True)
    ),
    "new_user": User.objects.create_user(email="new@example.com", password="x" * 12).pk,
}))
"""

EXPECTED = {
    "table": "accounts_user",
    "users": [
        [1, "admin@reservaflow.local"],
        [2, "manager@example.com"],
        [3, "host@example.com"],
        [4, "guest@example.com"],
    ],
    "logins": sorted(
        ["admin@reservaflow.local", "manager@example.com", "host@example.com", "guest@example.com"]
    ),
    "staff": [["host@example.com", "host"], ["manager@example.com", "manager"]],
    "profiles": [["guest@example.com", "guest@example.com"]],
    "created_by": ["guest@example.com", "host@example.com"],
    "groups": ["front of house"],
    "permissions": ["restaurants.view_restaurant"],
    "admin_log": ["admin@reservaflow.local"],
    "user_type": ["accounts"],
    # The identity sequence carried on past the old rows.
    "new_user": 5,
}


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _upgrade_and_inspect(env: dict[str, str]) -> dict:
    first = _manage(env, "migrate", "--no-input")
    assert "Recorded accounts.0001_initial" in first
    assert "Applying accounts.0002_user_table... OK" in first
    # Nothing is left to migrate, and the models and the migrated state agree.
    assert "No migrations to apply" in _manage(env, "migrate", "--no-input")
    _manage(env, "makemigrations", "--check", "--dry-run")
    return json.loads(_manage(env, "shell", "-v", "0", "-c", INSPECT).strip().splitlines()[-1])


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SECRET_KEY="upgrade-test-secret-key-long-enough-for-hmac-sha256-signing",
    )
    return env


@pytest.mark.postgres_only(reason="loads a PostgreSQL dump of the previous release")
def test_a_postgresql_database_of_the_previous_release_migrates_with_its_accounts():
    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.strip('/') or 'reservaflow'}_previous_release"
    admin = dict(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
    )
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **admin) as conn:
            conn.execute((DATA / "previous_release.postgres.sql").read_text())
        env = _base_env()
        env.update(
            DATABASE_URL=urlunsplit(url._replace(path=f"/{name}")),
            REDIS_URL=os.environ["REDIS_URL"],
        )
        assert _upgrade_and_inspect(env) == EXPECTED
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_embedded_sqlite_database_of_the_previous_release_migrates_with_its_accounts(
    tmp_path,
):
    database = sqlite3.connect(tmp_path / "reservaflow.sqlite3")
    database.executescript((DATA / "previous_release.sqlite.sql").read_text())
    database.close()
    env = _base_env()
    env["DATA_DIR"] = str(tmp_path)
    assert _upgrade_and_inspect(env) == EXPECTED
