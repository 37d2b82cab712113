"""SENTRY_DSN turns on error reports: a process started with it sends an error to the DSN's
server (a loopback HTTP server standing in for Sentry) with the Django and Celery
integrations on, no personal data and the request id as a tag; without it nothing is
initialised."""

import gzip
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, django
django.setup()
import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
client = sentry_sdk.get_client()
print("active", client.is_active())
if client.is_active():
    print("django", client.get_integration(DjangoIntegration) is not None)
    print("celery", client.get_integration(CeleryIntegration) is not None)
    print("pii", client.options["send_default_pii"])
    from core.request_id import request_id_set
    request_id_set("sentry-request-7")
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("reservaflow.test").exception("sentry-test-error")
    sentry_sdk.flush(timeout=5)
"""


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    Receiver.received = []
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port, Receiver.received
    finally:
        server.shutdown()
        server.server_close()


def run(env_extra: dict[str, str], tmp_path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATA_DIR=str(tmp_path), **env_extra)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split("\n")


def test_a_dsn_sends_errors_with_the_django_and_celery_integrations(sentry_server, tmp_path):
    port, received = sentry_server
    out = run({"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42"}, tmp_path)
    assert out[:4] == ["active True", "django True", "celery True", "pii False"]
    events = [body for path, body in received if path.startswith("/api/42/")]
    assert events, "no event reached the DSN's server"
    assert any(b"sentry-test-error" in body and b"ZeroDivisionError" in body for body in events)
    # The event is tagged with the request id, the key to the request's log lines.
    assert any(b'"request_id":"sentry-request-7"' in body.replace(b" ", b"") for body in events)


def test_without_a_dsn_nothing_is_sent(sentry_server, tmp_path):
    _, received = sentry_server
    out = run({}, tmp_path)
    assert out[0] == "active False"
    assert received == []
