"""The request id follows a booking into the worker and the email: the API request's
X-Request-ID is stored on the outbox row, travels in the delivery task's headers, is the id of
the worker's log lines for that task, and is the email's X-Request-ID header. Real worker
process, real SMTP server."""

import json
from datetime import time, timedelta

import pytest
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from notifications.models import Notification
from notifications.tests.conftest import wait_for
from restaurants import services as restaurant_services
from restaurants.tests.factories import StaffMembershipFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def booking(restaurant_with_a_table):
    restaurant = restaurant_with_a_table
    guest = CustomerFactory(created_by_restaurant=restaurant)
    tomorrow = (timezone.now().astimezone(restaurant.tz) + timedelta(days=1)).date()
    return StaffMembershipFactory(restaurant=restaurant).user, {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "reservation_date": tomorrow.isoformat(),
        "reservation_time": "20:00",
        "party_size": 2,
    }


@pytest.fixture
def restaurant_with_a_table():
    restaurant = restaurant_services.restaurant_create(
        name="Casa Lola", timezone="Europe/Madrid", address="Calle Mayor 1", min_notice_minutes=0
    )
    for weekday in range(7):
        restaurant_services.opening_hours_create(
            restaurant=restaurant, weekday=weekday, opens_at=time(0, 0), closes_at=time(0, 0)
        )
    restaurant_services.table_create(restaurant=restaurant, number="1", capacity=4)
    return restaurant


def test_the_request_id_reaches_the_task_and_the_email(
    api_client, booking, smtp_server, celery_worker_process
):
    worker = celery_worker_process(LOG_FORMAT="json")
    staff, body = booking
    api_client.force_authenticate(staff)
    created = api_client.post("/api/reservations/", body, HTTP_X_REQUEST_ID="booking-abc.123")
    assert created.status_code == 201, created.json()
    assert created["X-Request-ID"] == "booking-abc.123"
    row = Notification.objects.get(reservation_id=created.json()["id"])
    assert row.request_id == "booking-abc.123"

    wait_for(lambda: smtp_server.messages)
    assert smtp_server.messages[0]["X-Request-ID"] == "booking-abc.123"
    wait_for(lambda: b"reservaflow.task" in worker.log.read_bytes())
    lines = [json.loads(line) for line in worker.log.read_text().splitlines() if '"level"' in line]
    task_line = next(
        e
        for e in lines
        if e["logger"] == "reservaflow.task" and e["task"] == "notifications.deliver_due"
    )
    assert task_line["request_id"] == "booking-abc.123"
    assert task_line["state"] == "SUCCESS" and task_line["result"] == 1  # one message sent
    # A service-mode worker (Redis broker) starts and delivers without a warning either.
    assert [e for e in lines if e["level"] in ("WARNING", "ERROR", "CRITICAL")] == []


def test_a_request_without_an_id_gets_one_that_its_email_carries(
    api_client, booking, smtp_server, celery_worker_process
):
    celery_worker_process()
    staff, body = booking
    api_client.force_authenticate(staff)
    created = api_client.post("/api/reservations/", body, HTTP_X_REQUEST_ID="no spaces; allowed")
    assert created.status_code == 201
    generated = created["X-Request-ID"]
    assert len(generated) == 32 and generated != "no spaces; allowed"
    wait_for(lambda: smtp_server.messages)
    assert smtp_server.messages[0]["X-Request-ID"] == generated
