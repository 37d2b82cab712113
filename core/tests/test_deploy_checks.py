"""The deployment checks, one problem at a time: from a configuration that passes every check,
each case changes one setting and the check that names it must fire (Django's deploy checks
for what Django knows, ReservaFlow's own in core/checks.py for the rest); the one-beat check
with real schedulers writing their heartbeat into the broker's Redis."""

import os

import pytest
from django.core.checks import WARNING, Tags, run_checks

from core.tests.markers import sqlite_pass

HOST = "book.example.com"


@pytest.fixture
def deployed(settings):
    """The README's production settings, as the settings module reads them."""
    settings.DEBUG = False
    settings.SECRET_KEY = "k" + os.urandom(32).hex()
    settings.ALLOWED_HOSTS = [HOST]
    settings.CSRF_TRUSTED_ORIGINS = [f"https://{HOST}"]
    settings.PUBLIC_BASE_URL = f"https://{HOST}"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.EMAIL_HOST = "smtp.example.com"
    return settings


def problems() -> dict[str, str]:
    """What ``reservaflow check`` reports from the settings: id -> message."""
    found = run_checks(tags=[Tags.security], include_deployment_checks=True)
    return {issue.id: issue.msg for issue in found if issue.level >= WARNING}


# The embedded mode's parts, reported in the SQLite pass (no PostgreSQL, no Redis).
EMBEDDED_MODE = {"reservaflow.E009", "reservaflow.E010"}


def test_the_production_settings_pass_every_check(deployed):
    expected = EMBEDDED_MODE if sqlite_pass() else set()
    assert set(problems()) == expected


CASES = [
    # (setting, value, the check that must fire, a phrase of its message)
    (
        "SECRET_KEY",
        "change-me-in-production-please-a-long-random-string",
        "reservaflow.E001",
        "openssl rand -hex 32",
    ),
    ("SECRET_KEY", "Change-Me-" + os.urandom(32).hex(), "reservaflow.E001", "placeholder"),
    ("SECRET_KEY", "django-insecure-development-only-key", "security.W009", "SECRET_KEY"),
    ("SECRET_KEY", "abcdef" * 10, "reservaflow.E002", "only 6 distinct characters"),
    ("SECRET_KEY", "short-key", "security.W009", "SECRET_KEY"),
    ("DEBUG", True, "security.W018", "DEBUG"),
    ("ALLOWED_HOSTS", ["*"], "reservaflow.E003", "'*'"),
    ("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"], "reservaflow.E004", "only this"),
    ("ALLOWED_HOSTS", [], "security.W020", "ALLOWED_HOSTS"),
    ("PUBLIC_BASE_URL", f"http://{HOST}", "reservaflow.E005", "plain HTTP"),
    ("PUBLIC_BASE_URL", "https://elsewhere.example.com", "reservaflow.E006", "ALLOWED_HOSTS"),
    ("CSRF_TRUSTED_ORIGINS", [f"http://{HOST}"], "reservaflow.E007", "https://"),
    ("SECURE_PROXY_SSL_HEADER", None, "reservaflow.E008", "SECURE_PROXY_SSL_HEADER="),
    ("SECURE_SSL_REDIRECT", False, "security.W008", "SECURE_SSL_REDIRECT"),
    ("SECURE_HSTS_SECONDS", 0, "security.W004", "SECURE_HSTS_SECONDS"),
    ("SESSION_COOKIE_SECURE", False, "security.W012", "SESSION_COOKIE_SECURE"),
    ("CSRF_COOKIE_SECURE", False, "security.W016", "CSRF_COOKIE_SECURE"),
    ("EMAIL_HOST", "", "reservaflow.E011", "EMAIL_HOST"),
]


@pytest.mark.parametrize(
    ("name", "value", "check", "phrase"), CASES, ids=[f"{c[2]}-{c[0]}" for c in CASES]
)
def test_one_wrong_setting_is_one_problem_named_by_its_check(deployed, name, value, check, phrase):
    assert check not in problems()
    setattr(deployed, name, value)
    found = problems()
    assert check in found, found
    assert phrase in found[check]
    assert set(found) - EMBEDDED_MODE == {check}, "one setting, one problem"


def test_a_broker_that_does_not_answer_is_a_problem_not_a_crash(deployed):
    deployed.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    found = problems()
    assert "reservaflow.E012" in found
    assert "cannot count the running Celery beats" in found["reservaflow.E012"]


@pytest.mark.redis_only(reason="the beats' heartbeats live in the broker's Redis")
def test_a_second_beat_is_named_and_stopping_it_clears_the_problem(deployed, tmp_path):
    from config.celery import app
    from core.beat import BEAT_KEY_PREFIX, HeartbeatScheduler, broker_redis

    client = broker_redis()
    for key in client.scan_iter(match=f"{BEAT_KEY_PREFIX}*"):
        client.delete(key)
    first = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "one"), lazy=False)
    try:
        assert "reservaflow.E013" not in problems()
        second = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "two"), lazy=False)
        try:
            found = problems()
            assert "reservaflow.E013" in found
            assert found["reservaflow.E013"].startswith("2 Celery beats are running")
            assert f"pid {os.getpid()}" in found["reservaflow.E013"]
        finally:
            second.close()
        assert "reservaflow.E013" not in problems()
    finally:
        first.close()
    assert list(client.scan_iter(match=f"{BEAT_KEY_PREFIX}*")) == []


@pytest.mark.redis_only(reason="the beats' heartbeats live in the broker's Redis")
def test_a_heartbeat_lapses_when_its_beat_dies_without_stopping(deployed, tmp_path, settings):
    import time

    from config.celery import app
    from core.beat import HeartbeatScheduler, beats_running, broker_redis

    settings.BEAT_HEARTBEAT_SECONDS = 0.4  # lives 3 periods, rounded up to a second
    before = len(beats_running(broker_redis()))
    dead = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "dead"), lazy=False)
    assert len(beats_running(broker_redis())) == before + 1
    time.sleep(1.5)  # never ticks again, never closes: a beat killed with SIGKILL
    assert len(beats_running(broker_redis())) == before
    dead._heartbeat_client = None  # nothing left to delete
    dead.close()
