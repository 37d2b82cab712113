"""What changes while a batch is out: a reservation cancelled after its row was claimed, before
its turn on the batch's SMTP connection, is not told what is no longer true; odd recipient
addresses in the middle of a batch fail alone."""

import pytest

from customers.tests.factories import CustomerFactory
from notifications import delivery, recording, tasks
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_wake(monkeypatch):
    monkeypatch.setattr(tasks, "delivery_wake", lambda: None)
    monkeypatch.setattr(tasks, "delivery_enqueue", lambda pk, countdown=None: None)
    monkeypatch.setattr(tasks, "deliver_due_publish", lambda countdown=None: True)


def test_a_reservation_cancelled_while_its_reminder_waits_in_a_claimed_batch_is_not_reminded(
    reservation_factory, smtp_settings, no_wake, monkeypatch
):
    from reservations.models import Reservation

    first = reservation_factory()
    later = reservation_factory()
    ids = [recording.notification_record(reservation=r, kind="reminder").pk for r in (first, later)]
    real_build = delivery.build_email

    def cancel_the_later_one_meanwhile(notification):
        if notification.reservation_id == first.pk:
            Reservation.objects.filter(pk=later.pk).update(status="cancelled")
        return real_build(notification)

    monkeypatch.setattr(delivery, "build_email", cancel_the_later_one_meanwhile)
    tasks.deliver_due()

    rows = {n.pk: n for n in Notification.objects.filter(pk__in=ids)}
    assert rows[ids[0]].status == "sent"
    assert rows[ids[1]].status == "failed" and "no longer true" in rows[ids[1]].last_error
    assert len(smtp_settings.messages) == 1


@pytest.mark.parametrize(
    "address",
    ["nobody@ex\u00e4mple.com", "j\u00f6rg@example.com", "a" * 64 + "@" + "b" * 180 + ".com"],
)
def test_an_odd_address_in_the_middle_of_a_batch_fails_alone(
    reservation_factory, smtp_settings, no_wake, address
):
    before = recording.notification_record(reservation=reservation_factory(), kind="confirmed")
    odd = recording.notification_record(
        reservation=reservation_factory(customer=CustomerFactory(email=address)), kind="confirmed"
    )
    after = recording.notification_record(reservation=reservation_factory(), kind="confirmed")
    tasks.deliver_due()
    rows = {n.pk: n for n in Notification.objects.filter(pk__in=[before.pk, odd.pk, after.pk])}
    assert rows[before.pk].status == "sent" and rows[after.pk].status == "sent"
    assert rows[odd.pk].status in ("sent", "failed", "pending")
