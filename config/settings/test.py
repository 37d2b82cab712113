"""Test settings: the real PostgreSQL and Redis on localhost unless the environment says
otherwise. The embedded-mode tests start their own processes with their own environment."""

import os

# RESERVAFLOW_TEST_EMBEDDED=1 runs the tests in the embedded mode (SQLite in DATA_DIR, no
# Redis) whatever else is set: the SQLite pass (config/tests/test_sqlite_pass.py, markers in
# core/tests/markers.py).
TEST_EMBEDDED = os.environ.get("RESERVAFLOW_TEST_EMBEDDED") == "1"
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")
if TEST_EMBEDDED:
    for name in SERVICE_VARIABLES:
        os.environ.pop(name, None)
else:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reservaflow")
    if "REDIS_URL" not in os.environ:
        # Cache and locks in Redis DB 15, the broker (for the tests with a real worker) in DB
        # 14. A REDIS_URL that is set gives the cache its next DB, as in service mode.
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/14"
        os.environ.setdefault("REDIS_CACHE_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-hmac-sha256")

from .base import *  # noqa: E402, F403

if TEST_EMBEDDED:
    # A file, not SQLite's in-memory default: threads then have their own connections to one
    # database, with the embedded mode's WAL and IMMEDIATE transactions.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
