"""A normal start says nothing alarming: ``reservaflow up`` in embedded mode, a guest who
registers and books (so the worker prints the hold's email on the console), and not one
warning from any process; the request and task lines in JSON carry the request's id."""

import json
import os
import time
import urllib.request
from datetime import date, timedelta

import pytest

from core.tests.test_processes import processes_with_env
from core.tests.up import embedded_env, reservaflow_up

# Celery's SecurityWarning about a worker running as root: this machine's tests run as root,
# a deployment does not (docs: the systemd units run as their own user).
ROOT_WARNING = ("SecurityWarning", "superuser privileges", "_warn_or_raise_security_error")


def call(base: str, path: str, body: dict | None = None, token: str = "") -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "X-Request-ID": "start-test-1"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["X-Request-ID"] == "start-test-1"
        return json.loads(response.read() or b"{}")


def book_as_a_new_guest(base: str) -> None:
    account = {"email": "ana@example.com", "password": "a-long-password-1", "first_name": "Ana"}
    call(base, "/api/auth/register/", {**account, "last_name": ""})
    token = call(
        base, "/api/auth/token/", {"email": account["email"], "password": "a-long-password-1"}
    )
    restaurant = call(base, "/api/restaurants/")["results"][0]
    for offset in range(1, 8):
        day = (date.today() + timedelta(days=offset)).isoformat()
        found = call(
            base, f"/api/restaurants/{restaurant['id']}/availability/?date={day}&party_size=2"
        )
        if found["slots"]:
            break
    booked = call(
        base,
        "/api/reservations/",
        {
            "restaurant_id": restaurant["id"],
            "reservation_date": day,
            "reservation_time": found["slots"][0]["time"],
            "party_size": 2,
        },
        token=token["access"],
    )
    assert booked["status"] == "pending"


def warnings_in(output: str) -> list[str]:
    lines = []
    for line in output.splitlines():
        if any(marker in line for marker in ROOT_WARNING) and os.geteuid() == 0:
            continue
        if "WARNING" in line or "Warning" in line or "ERROR" in line or "Traceback" in line:
            lines.append(line)
    return lines


@pytest.mark.slow
def test_a_normal_start_and_booking_log_no_warning_and_json_lines(tmp_path):
    env = embedded_env(tmp_path)
    # JSON: a warning would still say so ("level": "WARNING"), and the lines can be read.
    env["LOG_FORMAT"] = "json"
    with reservaflow_up(env, tmp_path / "up.log") as up:
        up.wait_healthy(90)
        book_as_a_new_guest(up.base)
        # The worker delivers the hold's email (the console backend prints it).
        time.sleep(8)
    output = up.output()
    assert "Please confirm your table" in output, output[-3000:]
    assert "X-Request-ID: start-test-1" in output, "the email lacks the request's id"
    assert warnings_in(output) == [], output[-4000:]
    request_lines = [
        json.loads(line.split("| ", 1)[1])
        for line in output.splitlines()
        if '"logger": "reservaflow.request"' in line
    ]
    assert any(entry["path"] == "/api/reservations/" for entry in request_lines)
    # The test's own requests carry its id (the health checks before them, a generated one).
    ours = [entry for entry in request_lines if entry["path"] != "/api/health/"]
    assert {entry["request_id"] for entry in ours} == {"start-test-1"}
    task_lines = [
        json.loads(line.split("| ", 1)[1])
        for line in output.splitlines()
        if '"logger": "reservaflow.task"' in line and "notifications.deliver" in line
    ]
    assert task_lines and task_lines[0]["request_id"] == "start-test-1"
    time.sleep(0.5)
    assert processes_with_env(f"DATA_DIR={tmp_path}") == [], "processes left behind"
