"""Real parts for delivery tests: an SMTP server (aiosmtpd) and a Celery worker process."""

import os
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

from core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class RecordingHandler:
    """Keeps every accepted message. ``reply`` may be set to an SMTP error reply (e.g.
    "451 try later") to refuse messages; ``delay`` holds each DATA before answering;
    ``after_accept`` (a callable) runs once a message is kept, before the 250 goes back."""

    def __init__(self):
        self.messages: list[Message] = []
        # The client's (address, port) of each kept message: one per SMTP connection.
        self.peers: list[tuple] = []
        # Recipients answered "550" at RCPT; replies to the n-th DATA (1-based) by number.
        self.refused_rcpts: set[str] = set()
        self.data_replies: dict[int, str] = {}
        self.data_count = 0
        # RCPT waits ``rcpt_delay`` only once this many messages were kept (0: always).
        self.rcpt_delay_after = 0
        self.reply: str | None = None
        self.delay = 0.0
        self.rcpt_delay = 0.0
        self.data_started = threading.Event()
        self.rcpt_started = threading.Event()
        self.after_accept = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        if address in self.refused_rcpts:
            return "550 5.1.1 No such user"
        if len(self.messages) >= self.rcpt_delay_after:
            self.rcpt_started.set()
            if self.rcpt_delay:
                await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.data_started.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        self.data_count += 1
        if self.data_count in self.data_replies:
            return self.data_replies[self.data_count]
        if self.reply:
            return self.reply
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.peers.append(session.peer)
        if self.after_accept:  # in a thread: it may use the ORM, which refuses the event loop
            await asyncio.get_running_loop().run_in_executor(None, self.after_accept)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def connections(self) -> int:
        """How many SMTP connections carried the kept messages."""
        with self.lock:
            return len(set(self.peers))


@pytest.fixture
def smtp_server():
    port = free_port()
    handler = RecordingHandler()
    handler.port = port
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def reservation_factory(db):
    """Reservations as test data (the booking service is tested in reservations/)."""
    from reservations.tests.factories import ReservationFactory

    return ReservationFactory


WORKER_DB_APPLICATION_NAME = "reservaflow-test-worker"


def worker_env(smtp_port: int, **extra: str) -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    login = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        # The worker reads and writes the test database the test process created, with the
        # credentials DATABASE_URL gave it.
        DATABASE_URL=(
            f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            f"?application_name={WORKER_DB_APPLICATION_NAME}"
        ),
        REDIS_URL=settings.CELERY_BROKER_URL,
        REDIS_CACHE_URL=settings.REDIS_CACHE_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        SECRET_KEY=settings.SECRET_KEY,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Worker:
    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b" ready." in self.log.read_bytes():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            time.sleep(0.2)
        raise RuntimeError("worker not ready: " + self.log.read_text()[-3000:])

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def celery_worker_process(tmp_path, smtp_server):
    """Start real worker processes against the local Redis broker (not eager mode)."""
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # the test broker DB: no leftovers
    workers: list[Worker] = []

    def start(**extra: str) -> Worker:
        worker = Worker(worker_env(smtp_server.port, **extra), tmp_path / f"w{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
