"""/metrics: who may read it (only the bearer of METRICS_TOKEN; nobody when it is empty), the
text format, the request counts and latencies, and the broker's queue length."""

import pytest
from django.test import Client

from core.tests.scrape import TOKEN, scrape

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_without_a_configured_token_metrics_do_not_exist(settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_a_token_the_answer_is_401(token):
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"reservaflow_" not in response.content


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer ",
        f"Basic {TOKEN}",
        TOKEN,
        f"Token {TOKEN}",
    ],
)
def test_a_wrong_token_is_401(token, header):
    response = Client().get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert b"reservaflow_" not in response.content


def test_the_token_is_answered_in_the_prometheus_text_format(token):
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    for name in (
        "reservaflow_outbox_due",
        "reservaflow_outbox_oldest_due_age_seconds",
        "reservaflow_celery_queue_length",
    ):
        assert f"# TYPE {name} gauge" in text


def test_requests_are_counted_by_view_and_status_with_their_latency(token):
    client = Client()
    before = scrape(client)
    assert client.get("/api/").status_code == 200
    assert client.get("/api/").status_code == 200
    assert client.get("/api/reservations/").status_code == 401
    assert client.get("/api/no-such-thing/").status_code == 404
    after = scrape(client)
    name = "reservaflow_http_requests_total"
    delta = after.value(name, view="api-root", method="GET", status="200") - before.value(
        name, view="api-root", method="GET", status="200"
    )
    assert delta == 2
    for labels in (
        {"view": "reservation-list", "method": "GET", "status": "401"},
        {"view": "unmatched", "method": "GET", "status": "404"},
    ):
        assert after.value(name, **labels) - before.value(name, **labels) == 1, labels
    seconds = "reservaflow_http_request_duration_seconds_count"
    assert after.value(seconds, view="api-root") - before.value(seconds, view="api-root") == 2


@pytest.mark.redis_only(reason="the queue of the Redis broker")
def test_the_celery_queue_length_is_what_waits_in_the_broker(token):
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # the test broker DB: no leftovers
    client = Client()
    assert scrape(client).value("reservaflow_celery_queue_length", queue="celery") == 0
    for _ in range(3):
        app.send_task("notifications.relay_outbox")
    assert scrape(client).value("reservaflow_celery_queue_length", queue="celery") == 3
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
