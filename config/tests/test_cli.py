"""``reservaflow check`` and ``reservaflow up``'s database creation, run as an operator runs
them: a fresh process with only the environment a deployment gives it."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from core.tests.ports import free_port
from core.tests.up import ROOT, reservaflow, reservaflow_up

KEEP = ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "UV_LINK_MODE", "RESERVAFLOW_TEST_PORTS")
HOST = "book.example.com"


def bare_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Nothing of the test run's environment but the basics, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update(DATA_DIR=str(tmp_path), **variables)
    return env


def server_url(dbname: str, user: str | None = None) -> str:
    """DATABASE_URL's server, with another database (and role)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    login = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else "postgres"
    if user is not None:
        login = user
    return f"postgres://{login}@{parts.hostname}:{parts.port or 5432}/{dbname}"


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = bare_env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="k" + os.urandom(32).hex(),
        # The server's maintenance database exists whatever the test run created.
        DATABASE_URL=server_url("postgres"),
        REDIS_URL=os.environ["REDIS_URL"],
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        PUBLIC_BASE_URL=f"https://{HOST}",
        NUM_PROXIES="1",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        SECURE_SSL_REDIRECT="true",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        EMAIL_HOST="smtp.example.com",
    )
    env.update(changes)
    return env


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        reservaflow("check"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


def problem_ids(result: subprocess.CompletedProcess) -> list[str]:
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith("reservaflow check: ") for line in lines), lines
    return [line.split(": ")[1] for line in lines]


def test_check_of_the_embedded_mode_names_every_part_a_deployment_lacks(tmp_path):
    result = run_check(bare_env(tmp_path))
    assert result.returncode == 1, result.stderr
    ids = problem_ids(result)
    assert {"reservaflow.E004", "reservaflow.E005", "reservaflow.E009", "reservaflow.E010"} <= set(
        ids
    )
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(ids)
    assert len(ids) == len(set(ids)), "each problem once"
    assert result.stderr.strip() == f"reservaflow check: {len(ids)} problem(s)"


@pytest.mark.postgres_only(reason="the production settings name PostgreSQL and Redis")
def test_check_passes_the_documented_production_settings(tmp_path):
    result = run_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [
        "reservaflow check: no problems (no Celery beat running now)"
    ]


@pytest.mark.postgres_only(reason="the production settings name PostgreSQL and Redis")
def test_check_fails_with_one_line_per_problem(tmp_path):
    result = run_check(
        production_env(tmp_path, DEBUG="true", ALLOWED_HOSTS="*", SECURE_HSTS_SECONDS="0")
    )
    assert result.returncode == 1
    assert sorted(problem_ids(result)) == ["reservaflow.E003", "security.W004", "security.W018"]
    assert result.stderr.strip() == "reservaflow check: 3 problem(s)"


@pytest.mark.redis_only(reason="a production configuration whose database does not answer")
def test_check_names_a_database_that_does_not_answer(tmp_path):
    closed = free_port()
    result = run_check(
        production_env(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/reservaflow")
    )
    assert result.returncode == 1
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("reservaflow check: cannot reach the database")
    assert f"127.0.0.1:{closed}" in line


def test_check_without_a_secret_key_in_the_service_mode_is_one_line(tmp_path):
    result = run_check(bare_env(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:1/db"))
    assert result.returncode == 2
    assert result.stderr.strip() == ("reservaflow check: SECRET_KEY must be set when DEBUG is off")


def start_beat(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
         "--schedule", str(log.with_suffix(".schedule"))],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "PYTHONUNBUFFERED": "1"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        assert proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged: " + log.read_text()[-3000:])


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.mark.slow
@pytest.mark.postgres_only(reason="the production settings name PostgreSQL and Redis")
def test_check_sees_a_second_celery_beat_and_its_end(tmp_path):
    from core.beat import BEAT_KEY_PREFIX, broker_redis

    client = broker_redis()
    for key in client.scan_iter(match=f"{BEAT_KEY_PREFIX}*"):
        client.delete(key)
    env = production_env(tmp_path)
    first = start_beat(env, tmp_path / "first.log")
    second = None
    try:
        wait_for_line(tmp_path / "first.log", "beat: Starting", first)
        deadline = time.monotonic() + 30
        while not list(client.scan_iter(match=f"{BEAT_KEY_PREFIX}*")):
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.2)
        alone = run_check(env)
        assert alone.returncode == 0, alone.stdout
        assert f"Celery beat: {os.uname().nodename} pid {first.pid}" in alone.stdout

        second = start_beat(env, tmp_path / "second.log")
        wait_for_line(tmp_path / "second.log", "another Celery beat is running", second)
        assert f"pid {first.pid}" in (tmp_path / "second.log").read_text()
        both = run_check(env)
        assert both.returncode == 1
        [line] = both.stdout.strip().splitlines()
        assert line.startswith("reservaflow check: reservaflow.E013: 2 Celery beats are running")
        assert f"pid {first.pid}" in line and f"pid {second.pid}" in line

        stop(second)  # a clean stop takes its heartbeat with it
        again = run_check(env)
        assert again.returncode == 0, again.stdout
    finally:
        stop(first)
        if second is not None:
            stop(second)


# --- reservaflow up creates the database --------------------------------------------------


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(server_url("postgres"), autocommit=True)


def drop_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def database_exists(name: str) -> bool:
    with admin_connection() as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


@pytest.mark.slow
@pytest.mark.postgres_only(reason="the service mode creates a PostgreSQL database")
def test_up_creates_a_missing_database_when_the_role_may(tmp_path):
    name = f"rf_created_{uuid.uuid4().hex[:10]}"
    env = bare_env(
        tmp_path,
        DATABASE_URL=server_url(name),
        REDIS_URL=os.environ["REDIS_URL"],
        SECRET_KEY="k" + os.urandom(32).hex(),
    )
    try:
        with reservaflow_up(env, tmp_path / "up.log", "--no-demo", "--web-workers", "1") as up:
            up.wait_healthy(90)
            assert database_exists(name)
    finally:
        drop_database(name)
    output = up.output()
    assert f'reservaflow: created the database "{name}"' in output
    assert "Applying reservations.0001" in output, "migrated the new database"


@pytest.mark.postgres_only(reason="a PostgreSQL role without CREATEDB")
def test_up_without_the_right_to_create_it_says_the_createdb_command(tmp_path):
    role = f"rf_nocreate_{uuid.uuid4().hex[:8]}"
    name = f"rf_missing_{uuid.uuid4().hex[:8]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    try:
        env = bare_env(
            tmp_path,
            DATABASE_URL=server_url(name, user=role),
            REDIS_URL=os.environ["REDIS_URL"],
            SECRET_KEY="k" + os.urandom(32).hex(),
        )
        result = subprocess.run(
            reservaflow("up"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        with admin_connection() as conn:
            conn.execute(f'DROP ROLE "{role}"')
    assert result.returncode == 2
    parts = urlsplit(os.environ["DATABASE_URL"])
    assert result.stderr.strip().splitlines() == [
        f'reservaflow: the database "{name}" does not exist and the role "{role}" may not '
        f"create it; as a PostgreSQL administrator run: createdb -h {parts.hostname} "
        f"-p {parts.port or 5432} -O {role} {name}"
    ]
    assert not database_exists(name)
