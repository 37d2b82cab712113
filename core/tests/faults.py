"""Database faults for the tests: a PostgreSQL backend killed as an operator's
``pg_terminate_backend`` or a failover would, and a connection made usable again after it."""

import time

import psycopg
import pytest
from django.db import connection, connections


def terminate_backends(*, pid: int | None = None, application_name: str | None = None) -> int:
    """Kill PostgreSQL backends of the test database from a connection of our own, as an
    operator's ``pg_terminate_backend`` or a failover would, and wait until they are gone."""
    db = connections["default"].settings_dict
    where = "datname = %s AND pid <> pg_backend_pid() AND " + (
        "pid = %s" if pid is not None else "application_name = %s"
    )
    params = [db["NAME"], pid if pid is not None else application_name]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        # In the select list, not the WHERE clause: only the rows that match are terminated.
        rows = admin.execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}", params
        ).fetchall()
        deadline = time.monotonic() + 10
        remaining = f"SELECT count(*) FROM pg_stat_activity WHERE {where}"
        while admin.execute(remaining, params).fetchone()[0]:
            if time.monotonic() > deadline:
                raise AssertionError("the backend did not exit")
            time.sleep(0.01)
    return sum(1 for (terminated,) in rows if terminated)


def terminate_own_backend() -> None:
    """Kill the backend of Django's own connection (the next query on it fails)."""
    assert terminate_backends(pid=connection.connection.info.backend_pid) == 1


@pytest.fixture
def usable_connection_at_teardown(transactional_db):
    """A test that fails midway may leave the killed connection behind; the database's
    teardown (flush) then needs a fresh one."""
    yield
    if connection.connection is not None and not connection.is_usable():
        connection.close()
