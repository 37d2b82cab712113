"""One log line per request, with its request id, in the plain and the JSON format; the id
from a sane X-Request-ID or a new one, answered in the header."""

import io
import json
import logging

import pytest
from django.test import Client

from core.logs import JsonFormatter, RequestIdFilter
from core.request_id import request_id_from, request_id_reset, request_id_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The reservaflow.request logger written through the JSON formatter, as LOG_FORMAT=json
    configures the console handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("reservaflow.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_each_request_writes_one_json_line_with_its_id(json_log):
    response = Client().get("/api/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    lines = json_log.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO" and entry["logger"] == "reservaflow.request"
    assert entry["request_id"] == "abc-123"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/", 200)
    assert entry["view"] == "api-root" and entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")


def test_a_failing_request_is_one_line_too(json_log):
    Client().get("/api/reservations/")
    Client().get("/api/nowhere/")
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [(e["status"], e["view"]) for e in entries] == [
        (401, "reservation-list"),
        (404, "unmatched"),
    ]
    assert entries[0]["request_id"] != entries[1]["request_id"]


@pytest.mark.parametrize(
    "incoming",
    ["", "a b", "x" * 65, "semi;colon", "ünïcode", "new\nline", "<script>"],
)
def test_an_insane_request_id_is_replaced_by_a_new_one(incoming):
    response = Client().get("/api/", HTTP_X_REQUEST_ID=incoming)
    answered = response["X-Request-ID"]
    assert answered != incoming and len(answered) == 32 and answered.isalnum()


def test_without_a_header_each_request_gets_its_own_id():
    first = Client().get("/api/")["X-Request-ID"]
    second = Client().get("/api/")["X-Request-ID"]
    assert first != second


def test_sane_ids_are_kept():
    for value in ("a", "0f8fad5b-d9cb-469f-a165-70867728950e", "trace:1.2_3", "x" * 64):
        assert request_id_from(value) == value


def test_the_plain_format_shows_the_id_and_json_fields_any_extra():
    record = logging.makeLogRecord(
        {"name": "t", "levelno": logging.WARNING, "levelname": "WARNING", "msg": "hi %s"}
    )
    record.args = ("there",)
    record.table = 7
    token = request_id_set("req-9")
    try:
        RequestIdFilter().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_reset(token)
    assert record.request_id == "req-9"
    assert entry["message"] == "hi there" and entry["table"] == 7
    assert entry["request_id"] == "req-9" and entry["level"] == "WARNING"
