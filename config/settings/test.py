"""Test settings: the real PostgreSQL and Redis on localhost unless the environment says
otherwise. The embedded-mode tests start their own processes with their own environment."""

import os

# RESERVAFLOW_TEST_EMBEDDED=1 runs the tests in the embedded mode (SQLite in DATA_DIR, no
# Redis): the `embedded`-marked tests run that way in a subprocess
# (reservations/tests/test_embedded.py).
TEST_EMBEDDED = os.environ.get("RESERVAFLOW_TEST_EMBEDDED") == "1"
if not TEST_EMBEDDED:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reservaflow")
    # Cache and locks in Redis DB 15, the broker (for the tests with a real worker) in DB 14.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("REDIS_CACHE_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-hmac-sha256")

from .base import *  # noqa: E402, F403

if TEST_EMBEDDED:
    # A file, not SQLite's in-memory default: threads then have their own connections to one
    # database, with the embedded mode's WAL and IMMEDIATE transactions.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
