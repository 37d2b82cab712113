"""The deployment of docs/deploy.md in small, on this machine: two gunicorn servers on their
own ports (two web hosts), two Celery workers and exactly one beat, sharing one PostgreSQL
database and one Redis, mail to an SMTP server (aiosmtpd). Bookings raced across both
servers never overlap (checked in the database), each winner confirms through the other
server, and every email goes out exactly once (counted at the SMTP server, per
reservation), with beat's relay re-enqueueing due rows every second meanwhile."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from core.tests.ports import free_port
from notifications.tests.conftest import RecordingHandler, Worker, worker_env
from reservations.tests.overlaps import overlapping_holders

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only(reason="several processes share one PostgreSQL database"),
    pytest.mark.redis_only(reason="several processes share one Redis (broker, cache, locks)"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
ZONE = "Europe/Madrid"
# Two groups of starts: within a group every pair overlaps (90-minute stays, at most 45
# minutes apart), no start of one group overlaps a stay of the other. Two tables: exactly one
# winner per table and group, four in all, whatever the order.
EARLY = [clock_time(19, 0), clock_time(19, 15), clock_time(19, 30), clock_time(19, 45)]
LATE = [clock_time(21, 30), clock_time(21, 45), clock_time(22, 0)]
GUESTS = 24


class Processes:
    """Processes started in their own session, stopped together (SIGTERM, then SIGKILL)."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=(self.logs / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def assert_running(self) -> None:
        for name, proc in self.procs:
            assert proc.poll() is None, f"{name} ended: " + self.log(name)[-3000:]

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def request(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until(predicate, timeout: float, what: str, processes: Processes) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        processes.assert_running()
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout} s")


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def world():
    from rest_framework_simplejwt.tokens import AccessToken

    from customers.tests.factories import CustomerFactory, UserFactory
    from reservations.tests.factories import open_every_day
    from restaurants.tests.factories import RestaurantFactory, TableFactory

    restaurant = RestaurantFactory(
        timezone=ZONE,
        slot_interval_minutes=15,
        default_duration_minutes=90,
        min_party_size=1,
        max_party_size=8,
        min_notice_minutes=60,
        max_days_ahead=90,
        hold_minutes=15,
    )
    open_every_day(restaurant)
    tables = [TableFactory(restaurant=restaurant, number=str(n), capacity=4) for n in (1, 2)]
    guests = []
    for _ in range(GUESTS):
        user = UserFactory()
        CustomerFactory(user=user, email=user.email, first_name=user.first_name)
        guests.append(str(AccessToken.for_user(user)))
    day = timezone.now().astimezone(ZoneInfo(ZONE)).date() + timedelta(days=3)
    return restaurant, tables, guests, day


def test_two_web_servers_two_workers_one_beat_no_overlap_and_every_email_once(
    world, smtp_server, tmp_path
):
    from config.celery import app
    from core.beat import BEAT_KEY_PREFIX, beats_running, broker_redis
    from notifications.models import Notification
    from reservations.models import Reservation

    started = time.monotonic()
    restaurant, tables, tokens, day = world
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # the test broker DB: no leftovers, no old beats
    env = worker_env(
        smtp_server.port,
        # Every request comes from 127.0.0.1: no per-address booking limit here.
        BOOKING_ATTEMPTS_PER_ADDRESS="0",
        OUTBOX_RELAY_SECONDS="1",
        EXPIRY_SWEEP_SECONDS="1",
        REMINDER_SCAN_SECONDS="2",
        BEAT_HEARTBEAT_SECONDS="1",
        DATA_DIR=str(tmp_path),
        DEBUG="false",
    )
    processes = Processes(tmp_path)
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    workers: list[Worker] = []
    try:
        for n, port in enumerate(ports):
            processes.start(
                f"web{n}",
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                 f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-"],
                env,
            )  # fmt: skip
        processes.start(
            "beat",
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "celerybeat-schedule")],
            env,
        )  # fmt: skip
        workers = [Worker(env, tmp_path / f"worker{n}.log") for n in range(2)]
        for worker in workers:
            worker.wait_ready(timeout=45)
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        wait_until(
            lambda: all(answers_200(f"{base}/api/health/") for base in bases),
            30,
            "both web servers ready",
            processes,
        )
        wait_until(lambda: len(beats_running(broker_redis())) == 1, 15, "beat", processes)

        # --- the race: every guest books at once, half on each server ---------------------
        starts = EARLY + LATE
        barrier = threading.Barrier(GUESTS)
        answers: list[tuple[int, str | None, int | None]] = []
        guard = threading.Lock()

        def book(n: int) -> None:
            body = {
                "restaurant_id": restaurant.pk,
                "table_id": tables[n % 2].pk,
                "reservation_date": day.isoformat(),
                "reservation_time": starts[(n // 2) % len(starts)].strftime("%H:%M"),
                "party_size": 2,
            }
            barrier.wait(timeout=30)
            for _ in range(200):
                status, reply = request(
                    "POST", f"{bases[n % 2]}/api/reservations/", tokens[n], body
                )
                if status != 423:  # the booking lock is held: a client retries
                    break
                time.sleep(0.02)
            with guard:
                answers.append((status, reply.get("code"), reply.get("id"), n))

        threads = [threading.Thread(target=book, args=(n,)) for n in range(GUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        outcomes = Counter((status, code) for status, code, _, _ in answers)
        assert outcomes == {(201, None): 4, (409, "slot_unavailable"): GUESTS - 4}, answers
        assert overlapping_holders() == 0
        winners = Reservation.objects.filter(status__in=Reservation.ACTIVE_STATUSES)
        assert winners.count() == 4
        assert Reservation.objects.count() == 4, "a refused booking left nothing behind"

        # --- each winner reads the hold's email, then confirms through the other server ----
        # (a hold confirmed before its email went out makes that email untrue: it is not sent)
        def holds_mailed() -> bool:
            rows = Notification.objects.filter(reservation__in=winners, kind="hold_created")
            return rows.count() == 4 and all(r.status == "sent" for r in rows)

        wait_until(holds_mailed, 30, "every hold's email sent", processes)
        for status, _, reservation_id, n in answers:
            if status == 201:
                base = bases[(n + 1) % 2]
                confirmed = request(
                    "POST", f"{base}/api/reservations/{reservation_id}/confirm/", tokens[n], {}
                )
                assert confirmed[0] == 200, confirmed
        assert set(winners.values_list("status", flat=True)) == {"confirmed"}

        # --- every email once: two per reservation (please confirm, confirmed) ------------
        def all_sent() -> bool:
            rows = Notification.objects.filter(reservation__in=winners)
            return rows.count() == 8 and all(r.status == "sent" for r in rows)

        wait_until(all_sent, 30, "every email sent", processes)
        time.sleep(2.5)  # two more relay rounds: a duplicate would arrive now
        seen = Counter(smtp_server.message_ids())
        assert all(count == 1 for count in seen.values()), seen
        for reservation in winners:
            rows = Notification.objects.filter(reservation=reservation)
            assert sorted(rows.values_list("kind", flat=True)) == ["confirmed", "hold_created"]
            for row in rows:
                assert seen[row.message_id] == 1, (reservation.pk, row.kind)
        assert sum(seen.values()) == 8, "no message for anything else"
        # Both servers answered bookings, both workers delivered.
        assert sorted({n % 2 for _, _, _, n in answers}) == [0, 1]
        delivered = [w.log.read_text().count("notifications.deliver") for w in workers]
        assert all(delivered), delivered
        assert [b["pid"] for b in beats_running(broker_redis())] == [processes.procs[2][1].pid]
    finally:
        for worker in workers:
            worker.stop()
        processes.stop()
    client = broker_redis()
    assert list(client.scan_iter(match=f"{BEAT_KEY_PREFIX}*")) == [], "beat cleared its heartbeat"
    assert time.monotonic() - started < 60
