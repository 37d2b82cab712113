"""The commands as a user runs them: ``reservaflow up`` in embedded mode, its refusal to start
against an unreachable configured database, and createsuperuser from the environment."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.tests.up import ROOT, embedded_env, reservaflow, reservaflow_up


def processes_with_env(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_up_in_embedded_mode_serves_health_and_stops_cleanly(tmp_path):
    # A counter file an earlier run's process left: counted by every scrape until emptied.
    stale = tmp_path / "metrics" / "counter_99999999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"\0" * 16)
    with reservaflow_up(embedded_env(tmp_path), tmp_path / "up.log", stop_within=30) as up:
        body = up.wait_healthy(60)
        assert not stale.exists(), "up starts every process: it empties the metrics directory"
        assert '"database":"ok"' in body and '"broker":"ok"' in body, body
    output = up.output()
    assert up.proc.returncode == 0, output[-3000:]
    assert "Admin account (shown once)" in output
    assert f"http://127.0.0.1:{up.port}/api/docs/" in output
    assert f"Host stand: http://127.0.0.1:{up.port}/host/" in output
    assert (tmp_path / "reservaflow.sqlite3").exists()
    time.sleep(0.5)
    assert processes_with_env(f"DATA_DIR={tmp_path}") == [], "processes left behind"


@pytest.mark.postgres_only(reason="service mode: a configured PostgreSQL that does not answer")
def test_up_refuses_an_unreachable_database_with_one_line(tmp_path):
    env = embedded_env(tmp_path)
    env.update(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/reservaflow",
        REDIS_URL=os.environ["REDIS_URL"],
        SECRET_KEY="k" * 50,
    )
    result = subprocess.run(
        reservaflow("up"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach the database" in lines[0]
    assert "127.0.0.1:1" in lines[0]
    assert not (tmp_path / "reservaflow.sqlite3").exists(), "fell back to SQLite"


@pytest.mark.postgres_only(reason="service mode: starts against the reachable PostgreSQL")
def test_up_refuses_an_unreachable_redis_with_one_line(tmp_path):
    env = embedded_env(tmp_path)
    # The server's maintenance database exists whatever the test run created.
    reachable = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    env.update(DATABASE_URL=reachable, REDIS_URL="redis://127.0.0.1:1/0", SECRET_KEY="k" * 50)
    result = subprocess.run(
        reservaflow("up"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "cannot reach Redis" in result.stderr


@pytest.mark.postgres_only(reason="service mode: PostgreSQL and Redis from the environment")
def test_service_mode_without_secret_key_refuses_to_start(tmp_path):
    env = embedded_env(tmp_path)
    env.update(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    result = subprocess.run(
        reservaflow("up"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_settings_use_sqlite_wal_locmem_and_a_serverless_broker(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.conf import settings as s; from django.db import connection as c;"
        "c.ensure_connection(); cur = c.cursor();"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(cur.execute('PRAGMA journal_mode').fetchone()[0]);"
        "print(cur.execute('PRAGMA busy_timeout').fetchone()[0]);"
        "print(s.DATABASES['default']['OPTIONS']['transaction_mode']);"
        "print(s.CACHES['default']['BACKEND']); print(s.CELERY_BROKER_URL);"
        "print(s.EMAIL_BACKEND); print(s.DEBUG, s.USE_TZ)"
    )
    env = embedded_env(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:8] == [
        "django.db.backends.sqlite3",
        "wal",
        "20000",
        "IMMEDIATE",
        "django.core.cache.backends.locmem.LocMemCache",
        "filesystem://localhost/",
        "django.core.mail.backends.console.EmailBackend",
        "False True",
    ]


def test_service_settings_keep_cache_and_broker_in_separate_redis_dbs(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['LOCATION']); print(s.CELERY_BROKER_URL)"
    )
    env = embedded_env(tmp_path)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="postgres://u:secret@db:5432/rf",
        REDIS_URL="redis://redis:6379/0",
        SECRET_KEY="k" * 50,
    )
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["redis://redis:6379/1", "redis://redis:6379/0"]


@pytest.mark.django_db
def test_createsuperuser_noinput_from_environment(monkeypatch):
    from django.core.management import call_command

    from accounts.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-password")
    call_command("createsuperuser", interactive=False, verbosity=0)
    user = User.objects.get()
    assert user.email == "boss@example.com"
    assert user.is_superuser and user.is_staff
    assert user.check_password("a-long-enough-password")


def test_console_script_forwards_to_manage_py(tmp_path):
    import django

    env = embedded_env(tmp_path)
    out = subprocess.run(
        reservaflow("showmigrations", "core"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("core\n")
    version = subprocess.run(
        reservaflow("version"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == django.get_version()


@pytest.mark.postgres_only(reason="the PostgreSQL run's refusal to start without PostgreSQL")
def test_pytest_stops_with_one_line_when_postgres_is_down(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:1/reservaflow")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "core/tests/test_errors.py", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip().splitlines()
    assert len(output) == 1, output
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in output[0]
    assert "docker compose up -d db" in output[0]
