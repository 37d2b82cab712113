"""Readiness of the parts a request needs: the database, the cache and the Celery broker."""

import logging
import uuid

from celery import current_app
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _check_broker() -> None:
    # The project's Celery app, which config makes the default of every thread at start-up
    # (core imports no app, config included).
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def health_report() -> tuple[bool, dict[str, str]]:
    """Run every check; a failure is logged with its cause but reported only as "error"."""
    report: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            report[name] = "ok"
        except Exception as exc:  # any failure of a dependency makes the service unready
            logger.warning("health check %s failed: %s", name, exc)
            report[name] = "error"
    return all(v == "ok" for v in report.values()), report
