"""Where a test runs. Every test runs in the service mode (PostgreSQL and Redis) and again in the
SQLite pass, the embedded mode (SQLite in DATA_DIR, no Redis, ``RESERVAFLOW_TEST_EMBEDDED=1``),
so a query that only PostgreSQL understands cannot land unnoticed. A test that needs what only
the service mode has says so with a reason, and the SQLite pass leaves it out:

- ``@pytest.mark.postgres_only(reason="...")``: the exclusion constraint firing, SKIP LOCKED,
  ``pg_terminate_backend``, a service-mode configuration naming PostgreSQL;
- ``@pytest.mark.redis_only(reason="...")``: the booking locks, which live in Redis (the
  embedded mode serializes writes in SQLite instead);
- ``@pytest.mark.slow``: tests that start processes of their own (the embedded-mode ones start
  ``reservaflow up`` themselves; the SQLite pass is one of them) or run for minutes (the
  schema fuzz), run once;
- ``@pytest.mark.browser``: the guest pages in Chromium (web/tests/browser), against a live
  server with a Celery worker on the Redis broker and PostgreSQL delivering the emails; run
  once, in the service mode (``-m "not browser"`` leaves them out where Chromium is missing)."""

import os

import pytest

NEEDS_REASON = ("postgres_only", "redis_only")
LEFT_OUT_OF_THE_SQLITE_PASS = (*NEEDS_REASON, "slow", "browser")


def sqlite_pass() -> bool:
    return os.environ.get("RESERVAFLOW_TEST_EMBEDDED") == "1"


def pytest_collection_modifyitems(config, items):
    missing = sorted(
        f'{item.nodeid}: @pytest.mark.{mark.name} needs reason="..."'
        for item in items
        for name in NEEDS_REASON
        for mark in item.iter_markers(name)
        if not str(mark.kwargs.get("reason", "")).strip()
    )
    if missing:
        raise pytest.UsageError("\n".join(missing))
    if not sqlite_pass():
        return
    kept, left_out = [], []
    for item in items:
        marked = any(item.get_closest_marker(name) for name in LEFT_OUT_OF_THE_SQLITE_PASS)
        (left_out if marked else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
