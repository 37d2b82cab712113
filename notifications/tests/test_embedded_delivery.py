"""Embedded mode: ``reservaflow up`` delivers the guest's emails through its own worker (the
file-system broker) to the console, with no server of any kind, or to an SMTP server; its beat
records the reminders that come due."""

import json
import re
import sqlite3
import subprocess
import time
import urllib.request
from datetime import date, timedelta

import pytest

from core.tests.ports import free_port
from core.tests.up import ROOT, embedded_env, reservaflow, reservaflow_up

pytestmark = pytest.mark.slow


def call(port, method, path, body=None, token=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_up_in_embedded_mode_sends_the_emails_through_its_worker(tmp_path):
    log = tmp_path / "up.log"
    with reservaflow_up(embedded_env(tmp_path), log, stop_within=30) as up:
        port = up.port
        up.wait_healthy(90)
        output = log.read_text()
        email = re.search(r"email:\s+(\S+)", output).group(1)
        password = re.search(r"password:\s+(\S+)", output).group(1)
        _, tokens = call(port, "POST", "/api/auth/token/", {"email": email, "password": password})
        token = tokens["access"]
        _, restaurants = call(port, "GET", "/api/restaurants/", token=token)
        restaurant_id = restaurants["results"][0]["id"]
        day = date.today() + timedelta(days=7)
        status, reservation = call(
            port,
            "POST",
            "/api/reservations/",
            {
                "restaurant_id": restaurant_id,
                "customer": {"first_name": "Ana", "email": "ana@example.com"},
                "reservation_date": day.isoformat(),
                "reservation_time": "20:00",
                "party_size": 2,
            },
            token=token,
        )
        assert status == 201, reservation

        def wait_for_output(text):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and text not in log.read_text():
                time.sleep(0.5)

        wait_for_output("Please confirm")  # the guest reads it, then confirms
        call(port, "POST", f"/api/reservations/{reservation['id']}/confirm/", token=token)
        wait_for_output("is confirmed")
    output = log.read_text()
    assert "Subject: Please confirm your table at Casa Demo" in output
    assert "Subject: Your table at Casa Demo is confirmed" in output
    assert "To: ana@example.com" in output
    assert output.count("Subject: Your table at Casa Demo is confirmed") == 1
    # The manage link points at the port this server was started on.
    assert f"http://127.0.0.1:{port}/r/{reservation['manage_token']}/" in output


# A guest's confirmed reservation, booked and confirmed two days ago, that starts in two hours:
# its reminder (the demo restaurant's, 24 hours ahead) is due.
DUE_REMINDER = """
from datetime import timedelta

from django.utils import timezone

from customers.models import Customer
from reservations.models import Reservation
from restaurants.models import Restaurant

restaurant = Restaurant.objects.get(slug="casa-demo")
now = timezone.now()
start = now + timedelta(hours=2)
local = start.astimezone(restaurant.tz)
Reservation.objects.create(
    restaurant=restaurant,
    table=restaurant.tables.order_by("pk").first(),
    customer=Customer.objects.create(
        first_name="Ana", email="ana@example.com", created_by_restaurant=restaurant
    ),
    party_size=2,
    reservation_date=local.date(),
    reservation_time=local.time().replace(microsecond=0),
    start_at=start,
    end_at=start + timedelta(minutes=90),
    status="confirmed",
    confirmed_at=now - timedelta(days=2),
)
"""


def test_up_in_embedded_mode_sends_a_due_reminder_once_through_its_worker_and_beat(
    tmp_path, smtp_server
):
    port = free_port()
    scan_seconds = 2
    log = tmp_path / "up.log"
    env = embedded_env(tmp_path)
    env.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        REMINDER_SCAN_SECONDS=str(scan_seconds),
    )
    with reservaflow_up(env, log, port=port, stop_within=30) as up:
        up.wait_healthy(90)
        made = subprocess.run(
            reservaflow("shell", "-c", DUE_REMINDER),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not smtp_server.messages:
            time.sleep(0.2)
        assert smtp_server.messages, "no reminder within 60 s:\n" + log.read_text()[-3000:]
        time.sleep(3 * scan_seconds + 1)  # further scans, and a duplicate, would come now

    [message] = smtp_server.messages
    assert message["Subject"] == "Reminder: your table at Casa Demo"
    assert message["To"] == "ana@example.com"
    with sqlite3.connect(tmp_path / "reservaflow.sqlite3") as db:
        rows = db.execute("SELECT kind, status, attempts FROM notifications_notification")
        assert rows.fetchall() == [("reminder", "sent", 1)]
    output = log.read_text()
    assert up.proc.returncode == 0, output[-3000:]
    assert "notifications.record_reminders" in output  # beat sent the scan, the worker ran it
    assert "Traceback" not in output and " ERROR " not in output, output[-3000:]
