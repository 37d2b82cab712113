"""The guest pages in a real browser: Debian's Chromium driven by Playwright against a live
server of the app, with the guest's emails delivered the way the product sends them (the
booking's outbox row, a real Celery worker process on the test broker, SMTP to an aiosmtpd
server), so the test opens the manage link from the email the guest received.

One browser, one live server, one SMTP server and one worker for the module; a fresh browser
context (cookies, storage, viewport, language, JavaScript on or off) for each test.

Chromium is ``RESERVAFLOW_CHROMIUM`` (default ``/usr/bin/chromium``, the Debian package); it is
never downloaded. Missing, every browser test fails with one line that says what to install.
``RESERVAFLOW_SCREENSHOTS=1`` also writes each step's screenshot to docs/img/booking-page/."""

import os
import re
import time
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from core.tests.ports import free_port
from notifications.tests.conftest import RecordingHandler, Worker, worker_env

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("RESERVAFLOW_CHROMIUM", "/usr/bin/chromium")
DOCS_SHOTS = ROOT / "docs" / "img" / "booking-page"
MANAGE_LINK = re.compile(r"(https?://\S+/r/[^/\s]+/(?:\?lang=[a-z]+)?)")


def chromium_problem() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"Chromium not found at {CHROMIUM}: install Debian's chromium "
        "(`apt-get install -y chromium`) or set RESERVAFLOW_CHROMIUM to its path"
    )


@pytest.fixture(scope="module")
def live_server(django_db_blocker):
    """pytest-django's live server, on a port from RESERVAFLOW_TEST_PORTS."""
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer(f"127.0.0.1:{free_port()}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module. Playwright's sync API keeps an event loop running in this
    thread while it is started, which Django takes for async code: the ORM calls of these
    tests (and the database flush between them) are allowed for that time only."""
    problem = chromium_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def smtp():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, django_db_blocker, live_server, smtp, tmp_path_factory):
    """A Celery worker process on the test broker, delivering to ``smtp``; the manage links it
    writes point at the live server."""
    from config.celery import app

    with django_db_blocker.unblock():
        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()  # the test broker DB: no leftovers
        env = worker_env(smtp.port, PUBLIC_BASE_URL=live_server.url)
    worker = Worker(env, tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


class Mailbox:
    def __init__(self, handler: RecordingHandler, worker: Worker):
        self.handler = handler
        self.worker = worker

    def wait(self, to: str, subject: str, timeout: float = 30) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.handler.lock:
                found = [m for m in self.handler.messages if m["To"] == to]
            for message in found:
                if subject in str(make_header(decode_header(message["Subject"]))):
                    return message
            time.sleep(0.1)
        raise AssertionError(
            f"no email {subject!r} to {to} in {timeout} s; worker log:\n"
            + self.worker.log.read_text()[-3000:]
        )

    def manage_link(self, to: str, subject: str) -> str:
        """The link of the "please confirm" email (``subject``, in the guest's language) the
        booking sent to ``to``."""
        message = self.wait(to, subject)
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        found = MANAGE_LINK.search(text.get_payload(decode=True).decode())
        assert found, "the email carries no manage link"
        return found.group(1)


@pytest.fixture
def mailbox(smtp, mail_worker):
    with smtp.lock:
        smtp.messages.clear()
    return Mailbox(smtp, mail_worker)


@pytest.fixture
def casa(restaurant):
    """web/tests/conftest.py's restaurant (lunch and dinner but on Mondays, one table of
    four), with a name and a phone for the pages and the screenshots."""
    restaurant.name = "Casa Lola"
    restaurant.phone = "+34 910 000 000"
    restaurant.save()
    return restaurant


@pytest.fixture
def new_context(browser, live_server):
    """``new_context(**options)``: a fresh browser context on the live server (closed after
    the test)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def screenshots_into(folder: Path, tmp_path: Path):
    """``take(page, name)``: the whole page as a PNG, in ``tmp_path`` and, with
    RESERVAFLOW_SCREENSHOTS=1, in ``folder`` for the docs."""
    for_docs = os.environ.get("RESERVAFLOW_SCREENSHOTS") == "1"

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        if for_docs:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.png").write_bytes(path.read_bytes())
        return path

    return take


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, name)``: the whole page as a PNG, in the test's tmp_path and, with
    RESERVAFLOW_SCREENSHOTS=1, in docs/img/booking-page/ for the docs."""
    return screenshots_into(DOCS_SHOTS, tmp_path)
