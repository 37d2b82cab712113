"""Bench-only middleware.

* ``X-Bench-Cold: 1`` bumps the availability version of the asked day before the view runs, so
  every such request is answered from the database (the uncached path).
* ``X-Bench-Count: 1`` counts what the request costs outside Python and answers it in headers:
  ``X-Bench-SQL`` (statements sent to the database, BEGIN, COMMIT, ROLLBACK and savepoints
  included, the connection health check apart in ``X-Bench-SQL-Health``), ``X-Bench-Redis``
  (Redis round trips: one per command, one per pipeline) and ``X-Bench-Publish`` (Celery
  messages published). The benchmark sends a few such requests after the timed runs, so the
  counting never weighs on what is timed.
"""

import threading
from datetime import date

import redis
from celery.signals import after_task_publish
from django.db import connection, connections

from reservations.availability import availability_invalidate

_counting = threading.local()


def _active() -> dict | None:
    return getattr(_counting, "counts", None)


def _bump(name: str) -> None:
    counts = _active()
    if counts is not None:
        counts[name] += 1


def _wrap(cls, method: str, counter: str, closes: bool = False) -> None:
    original = getattr(cls, method)

    def counted(self, *args, **kwargs):
        counts = _active()
        if counts is not None:
            counts[counter] += 1
            if closes:
                counts["open"] = False
        return original(self, *args, **kwargs)

    setattr(cls, method, counted)


# BEGIN is sent by the driver before the first statement of a transaction, COMMIT and ROLLBACK
# by Django's transaction handling: none of them passes through cursor.execute, so BEGIN is
# counted at the first statement outside autocommit, COMMIT and ROLLBACK where Django hands
# them to the driver.
_database_wrapper = type(connections["default"])
_wrap(_database_wrapper, "_commit", "commit", closes=True)
_wrap(_database_wrapper, "_rollback", "rollback", closes=True)
_wrap(_database_wrapper, "is_usable", "health")
_wrap(redis.Redis, "execute_command", "redis")
_wrap(redis.client.Pipeline, "execute", "redis")


@after_task_publish.connect
def _published(**kwargs) -> None:
    counts = _active()
    if counts is not None:
        counts["publish"] += 1


def _count_statement(execute, sql, params, many, context):
    counts = _active()
    if counts is not None:
        if not connection.get_autocommit() and not counts["open"]:
            counts["open"] = True
            counts["begin"] += 1
        counts["statements"] += 1
    return execute(sql, params, many, context)


class BenchCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Bench-Count") != "1":
            return self.get_response(request)
        counts = dict.fromkeys(
            ("statements", "begin", "commit", "rollback", "health", "redis", "publish"), 0
        )
        counts["open"] = False
        _counting.counts = counts
        try:
            with connection.execute_wrapper(_count_statement):
                response = self.get_response(request)
        finally:
            _counting.counts = None
        sql = counts["statements"] + counts["begin"] + counts["commit"] + counts["rollback"]
        response["X-Bench-SQL"] = str(sql)
        response["X-Bench-SQL-Detail"] = (
            f"statements={counts['statements']} begin={counts['begin']} "
            f"commit={counts['commit']} rollback={counts['rollback']}"
        )
        response["X-Bench-SQL-Health"] = str(counts["health"])
        response["X-Bench-Redis"] = str(counts["redis"])
        response["X-Bench-Publish"] = str(counts["publish"])
        return response


class ColdAvailabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Bench-Cold") == "1":
            restaurant_id = int(request.path.split("/")[3])
            day = date.fromisoformat(request.GET["date"])
            availability_invalidate(restaurant_id=restaurant_id, dates=[day])
        return self.get_response(request)
