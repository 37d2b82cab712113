"""The guest's emails end to end through a real Celery worker process and a real SMTP server:
booked and confirmed, a hold that lapses, a reminder that comes due."""

import time as clock
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
def restaurant():
    restaurant = restaurant_services.restaurant_create(
        name="Casa Lola",
        timezone="Europe/Madrid",
        address="Calle Mayor 1, Madrid",
        min_notice_minutes=0,
    )
    for weekday in range(7):
        restaurant_services.opening_hours_create(
            restaurant=restaurant, weekday=weekday, opens_at=time(0, 0), closes_at=time(0, 0)
        )
    restaurant_services.table_create(restaurant=restaurant, number="1", capacity=4)
    return restaurant


def kinds_delivered(smtp_server):
    return sorted(m["Subject"] for m in smtp_server.messages)


def test_book_then_confirm_sends_each_email_once_with_the_ics(
    api_client, restaurant, smtp_server, celery_worker_process
):
    celery_worker_process()
    staff = StaffMembershipFactory(restaurant=restaurant).user
    guest = CustomerFactory(created_by_restaurant=restaurant)
    api_client.force_authenticate(staff)
    tomorrow = (timezone.now().astimezone(restaurant.tz) + timedelta(days=1)).date()
    created = api_client.post(
        "/api/reservations/",
        {
            "restaurant_id": restaurant.pk,
            "customer_id": guest.pk,
            "reservation_date": tomorrow.isoformat(),
            "reservation_time": "20:00",
            "party_size": 2,
        },
    )
    assert created.status_code == 201, created.json()
    reservation_id = created.json()["id"]
    # The guest reads "please confirm" before confirming (a hold email still queued when the
    # guest confirms is rightly not sent: tested in test_services_outbox).
    wait_for(
        lambda: Notification.objects.filter(reservation_id=reservation_id, status="sent").exists()
    )
    confirmed = api_client.post(f"/api/reservations/{reservation_id}/confirm/")
    assert confirmed.status_code == 200

    wait_for(
        lambda: (
            Notification.objects.filter(reservation_id=reservation_id, status="sent").count() == 2
        )
    )
    clock.sleep(0.5)  # a duplicate would arrive now
    assert kinds_delivered(smtp_server) == [
        "Please confirm your table at Casa Lola",
        "Your table at Casa Lola is confirmed",
    ]
    confirmation = next(m for m in smtp_server.messages if "confirmed" in m["Subject"])
    assert confirmation["To"] == guest.email
    ics = [p for p in confirmation.walk() if p.get_content_type() == "text/calendar"]
    assert len(ics) == 1 and reservation_id.encode() in ics[0].get_payload(decode=True)
    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == 2


def test_a_lapsed_hold_expires_by_the_sweep_and_its_email_arrives(
    restaurant, reservation_factory, smtp_server, celery_worker_process
):
    from reservations.tasks import expire_lapsed_holds

    celery_worker_process()
    # A hold whose time ran out (arranged).
    hold = reservation_factory(table=restaurant.tables.get(), lapsed=True)
    expire_lapsed_holds.delay()  # what beat sends every EXPIRY_SWEEP_SECONDS
    wait_for(lambda: Notification.objects.filter(reservation=hold, status="sent").exists())
    hold.refresh_from_db()
    assert hold.status == "expired"
    assert kinds_delivered(smtp_server) == ["Your hold at Casa Lola has expired"]


def test_a_reminder_comes_due_and_goes_out_once(
    restaurant, reservation_factory, smtp_server, celery_worker_process
):
    from notifications.tasks import record_reminders

    celery_worker_process()
    reservation = reservation_factory(  # confirmed days ago (arranged)
        table=restaurant.tables.get(),
        start_at=timezone.now() + timedelta(hours=3),
        confirmed_at=timezone.now() - timedelta(days=3),
    )
    record_reminders.delay()
    record_reminders.delay()  # beat's next tick
    wait_for(lambda: Notification.objects.filter(reservation=reservation, status="sent").exists())
    clock.sleep(1)
    assert Notification.objects.filter(reservation=reservation).count() == 1
    assert kinds_delivered(smtp_server) == ["Reminder: your table at Casa Lola"]
