"""The periodic sweep marks lapsed holds expired, in batches, and records their email."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from reservations.actors import SYSTEM
from reservations.models import Reservation
from reservations.services import holds_expire_lapsed
from reservations.tests.factories import NOW

pytestmark = pytest.mark.django_db


def test_lapsed_holds_expire_and_live_ones_stay(book, clock, restaurant):
    from datetime import time

    early = book(reservation_time=time(19, 0))
    clock.move_to(NOW + timedelta(minutes=10))
    later = book(reservation_time=time(21, 0))
    clock.move_to(NOW + timedelta(minutes=16))  # the first hold lapsed, the second lives
    assert holds_expire_lapsed(actor=SYSTEM) == 1
    early.refresh_from_db()
    later.refresh_from_db()
    assert early.status == "expired" and later.status == "pending"
    assert Notification.objects.filter(reservation=early, kind="expired").count() == 1
    # A repeated sweep does nothing.
    assert holds_expire_lapsed(actor=SYSTEM) == 0
    assert Notification.objects.filter(kind="expired").count() == 1


@pytest.mark.postgres_only(reason="asserts the sweep's SKIP LOCKED, which SQLite has not")
def test_works_in_batches_of_short_locking_transactions(book, clock):
    from datetime import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = [book(reservation_time=time(12 + 2 * n, 0)) for n in range(5)]
    clock.move_to(NOW + timedelta(minutes=16))
    with CaptureQueriesContext(connection) as queries:
        assert holds_expire_lapsed(actor=SYSTEM, batch_size=2) == 5
    batches = [q["sql"] for q in queries.captured_queries if "SKIP LOCKED" in q["sql"]]
    assert len(batches) == 3  # 2 + 2 + 1 rows, each batch in its own transaction
    assert all("LIMIT 2" in sql for sql in batches)
    statuses = Reservation.objects.filter(pk__in=[r.pk for r in made]).values_list(
        "status", flat=True
    )
    assert set(statuses) == {"expired"}


def test_confirmed_and_cancelled_are_left_alone(book, clock, host_actor):
    from datetime import time

    from reservations.services import reservation_cancel, reservation_confirm

    confirmed = book()
    reservation_confirm(reservation=confirmed, actor=host_actor)
    clock.move_to(NOW + timedelta(hours=1))
    cancelled = book(reservation_time=time(21, 0))
    reservation_cancel(reservation=cancelled, actor=host_actor)
    assert holds_expire_lapsed(actor=SYSTEM, now=timezone.now()) == 0
    confirmed.refresh_from_db()
    cancelled.refresh_from_db()
    assert (confirmed.status, cancelled.status) == ("confirmed", "cancelled")
