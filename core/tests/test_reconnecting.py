"""A bookkeeping write whose database connection breaks is retried on a new connection,
bounded, and never inside a caller's transaction. Real PostgreSQL, real pg_terminate_backend."""

import pytest
from django.db import OperationalError, connection, transaction

from core.reconnecting import retry_on_new_connection
from core.tests.faults import terminate_backends

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _usable_connection_at_teardown():
    yield
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgres_only(reason="kills the connection with pg_terminate_backend")
def test_a_write_on_a_killed_connection_runs_again_on_a_new_one():
    killed = backend_pid()
    terminate_backends(pid=killed)
    pids = []

    def write():
        pids.append(None)
        return backend_pid()

    pid = retry_on_new_connection(write, retries=3, backoff_seconds=0.01, what="test write")

    assert len(pids) == 2  # the dead connection's try, then one on a new connection
    assert pid != killed


def test_the_retries_are_bounded_and_the_last_error_is_raised():
    calls = []

    def write():
        calls.append(None)
        terminate_backends(pid=backend_pid())
        backend_pid()  # the query on the killed connection fails

    with pytest.raises(OperationalError):
        retry_on_new_connection(write, retries=2, backoff_seconds=0.01, what="test write")
    assert len(calls) == 3


def test_inside_a_transaction_nothing_is_retried():
    calls = []

    def write():
        calls.append(None)
        terminate_backends(pid=backend_pid())
        backend_pid()

    with pytest.raises(OperationalError), transaction.atomic():
        retry_on_new_connection(write, retries=3, backoff_seconds=0.01, what="test write")
    assert len(calls) == 1
