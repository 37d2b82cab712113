"""DATABASE_POOL: the web tier on psycopg's connection pool (Django's ``OPTIONS["pool"]``)
instead of one persistent connection per thread.

The settings are read once per process, so each case runs a fresh Python process on the test
database: it builds the settings from the environment, and with the pool on serves requests
from threads through Django's WSGI handler, a booking among them,
then reports what the pool did."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from customers.tests.factories import CustomerFactory
from reservations.models import Reservation
from restaurants.models import StaffMembership
from restaurants.tests.factories import (
    OpeningHoursFactory,
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only(reason="psycopg's pool is PostgreSQL's"),
]

SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
print(json.dumps({
    "conn_max_age": db["CONN_MAX_AGE"],
    "health_checks": db["CONN_HEALTH_CHECKS"],
    "pool_options": db["OPTIONS"].get("pool"),
    "pool": connection.pool is not None,
}))
"""

# Eight threads, each with its own Django connection, share one pool of at most two
# connections: 40 reads of the API and one booking, through Django's WSGI handler as a server
# calls it (the test client keeps a connection across requests; a server does not).
REQUESTS_PROBE = """
import io, json, os, threading
from wsgiref.util import setup_testing_defaults
from django.core.wsgi import get_wsgi_application
from django.db import connection

application = get_wsgi_application()
token = os.environ["PROBE_TOKEN"]
statuses, backends, lock = [], set(), threading.Lock()

def call(method, path, body=b""):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver", "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    started = []
    response = application(environ, lambda status, headers: started.append(status))
    content = b"".join(response)
    response.close()  # request_finished: the connection goes back to the pool
    return int(started[0].split()[0]), content

def reads():
    for _ in range(5):
        status, _ = call("GET", "/api/reservations/")
        with lock:
            statuses.append(status)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        with lock:
            backends.add(cursor.fetchone()[0])
    connection.close()

threads = [threading.Thread(target=reads) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
booking_status, booking = call("POST", "/api/reservations/", os.environ["PROBE_BODY"].encode())
stats = connection.pool.get_stats()
print(json.dumps({
    "pool": connection.pool is not None,
    "statuses": statuses,
    "booking": booking_status,
    "booking_id": json.loads(booking).get("id"),
    "backends": len(backends),
    "after_request_connection": connection.connection is not None,
    "pool_max": stats["pool_max"],
    "connections_num": stats.get("connections_num", 0),
    "requests_num": stats.get("requests_num", 0),
}))
"""


def run_probe(code: str, tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_POOL", "CONN_MAX"))}
    db = connection.settings_dict
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        ),
        SECRET_KEY="test-only-secret-key-that-is-long-enough-for-hmac-sha256",
        ALLOWED_HOSTS="testserver",
        # The booking's notification goes to a broker of its own, not the tests' Redis.
        CELERY_BROKER_URL="filesystem://localhost/",
        DATA_DIR=str(tmp_path),
        LOG_LEVEL="WARNING",
        **extra,
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_the_setting_connections_are_persistent_and_there_is_no_pool(tmp_path):
    got = run_probe(SETTINGS_PROBE, tmp_path)

    assert got == {"conn_max_age": 60, "health_checks": True, "pool_options": None, "pool": False}


def test_database_pool_sets_django_pool_options_and_no_persistent_connections(tmp_path):
    got = run_probe(
        SETTINGS_PROBE,
        tmp_path,
        DATABASE_POOL="1",
        DATABASE_POOL_MIN_SIZE="2",
        DATABASE_POOL_MAX_SIZE="6",
        DATABASE_POOL_TIMEOUT="3",
        CONN_MAX_AGE="60",  # ignored: Django refuses persistent connections with a pool
    )

    assert got == {
        "conn_max_age": 0,
        "health_checks": True,
        "pool_options": {"min_size": 2, "max_size": 6, "timeout": 3.0},
        "pool": True,
    }


def test_requests_from_threads_share_the_pool_on_postgresql(tmp_path):
    restaurant = RestaurantFactory(min_notice_minutes=60, max_days_ahead=90, hold_minutes=15)
    for weekday in range(7):
        OpeningHoursFactory(restaurant=restaurant, weekday=weekday)
    table = TableFactory(restaurant=restaurant, capacity=4)
    user = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user
    guest = CustomerFactory(created_by_restaurant=restaurant)
    day = datetime.now(ZoneInfo(restaurant.timezone)).date() + timedelta(days=2)
    body = {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": day.isoformat(),
        "reservation_time": "19:00:00",
        "party_size": 2,
    }

    got = run_probe(
        REQUESTS_PROBE,
        tmp_path,
        DATABASE_POOL="1",
        DATABASE_POOL_MAX_SIZE="2",
        PROBE_TOKEN=str(AccessToken.for_user(user)),
        PROBE_BODY=json.dumps(body),
    )

    assert got["pool"] is True
    assert got["statuses"] == [200] * 40
    assert got["booking"] == 201
    # Eight threads were served by at most the pool's two connections, lent again and again
    # (a thread's connection is given back when its request ends).
    assert got["pool_max"] == 2
    assert 1 <= got["connections_num"] <= 2
    assert 1 <= got["backends"] <= 2
    assert got["requests_num"] >= 41
    assert got["after_request_connection"] is False
    assert Reservation.objects.filter(pk=got["booking_id"], table=table).exists()
