"""config.asgi, the application uvicorn's workers serve (``gunicorn config.asgi:application
--worker-class uvicorn_worker.UvicornWorker``; compared with the WSGI servers in
docs/performance.md): it answers through the same middleware as config.wsgi, its sync code in
threads of Django's ASGI handler."""

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import connections

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_persistent_connections(monkeypatch):
    """Under ASGI each request's sync code runs in a thread of its own, whose connection a
    persistent setting would keep open after the test (Django's docs: no persistent
    connections under ASGI; DATABASE_POOL instead): here it is closed at the request's end."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


def call(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def run():
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=20)
        body = b""
        while True:
            message = await communicator.receive_output(timeout=20)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait(timeout=5)
        return start["status"], {k.lower(): v for k, v in start["headers"]}, body

    return asyncio.run(run())


def test_the_asgi_application_answers_the_readiness_probe_with_the_request_id():
    status, headers, body = call("/api/health/", [(b"x-request-id", b"asgi-probe-1")])

    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    assert headers[b"x-request-id"] == b"asgi-probe-1"


def test_the_asgi_application_answers_an_unknown_api_path_in_the_error_shape():
    status, _, body = call("/api/no-such-thing/")

    assert status == 404
    assert set(json.loads(body)) == {"code", "message", "details"}
