"""Embedded mode: ``reservaflow up`` delivers the guest's emails through its own worker (the
file-system broker) to the console, with no server of any kind."""

import json
import re
import signal
import subprocess
import time
import urllib.request
from datetime import date, timedelta

import pytest

from core.tests.test_processes import ROOT, embedded_env, free_port, reservaflow

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
    port = free_port()
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        reservaflow("up", "--port", str(port)),
        cwd=ROOT,
        env=embedded_env(tmp_path),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if call(port, "GET", "/api/health/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
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
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    output = log.read_text()
    assert "Subject: Please confirm your table at Casa Demo" in output
    assert "Subject: Your table at Casa Demo is confirmed" in output
    assert "To: ana@example.com" in output
    assert output.count("Subject: Your table at Casa Demo is confirmed") == 1
    # The manage link points at the port this server was started on.
    assert f"http://127.0.0.1:{port}/r/{reservation['manage_token']}/" in output
