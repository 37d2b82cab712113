"""Delivery in batches against a real SMTP server (aiosmtpd): one claim statement takes many
due rows, one SMTP connection sends them, each outcome is recorded as the server answers for
that message; a crash, a refused recipient or a broken connection touches no more than it
must. The wake: many commits publish one task while it is pending, and a commit after the
task started publishes again."""

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from celery.signals import after_task_publish
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from notifications import delivery, recording, tasks
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def record(reservation, kind="confirmed"):
    return recording.notification_record(reservation=reservation, kind=kind)


@pytest.fixture
def no_wake(monkeypatch):
    """Deliveries run in-process here: nothing is published."""
    monkeypatch.setattr(tasks, "delivery_wake", lambda: None)
    monkeypatch.setattr(tasks, "delivery_enqueue", lambda pk, countdown=None: None)
    monkeypatch.setattr(tasks, "deliver_due_publish", lambda countdown=None: True)


def outbox(ids):
    return {n.pk: n for n in Notification.objects.filter(pk__in=ids)}


def test_n_rows_go_out_once_each_over_one_smtp_connection(
    reservation_factory, smtp_settings, no_wake
):
    ids = [record(reservation_factory()).pk for _ in range(6)]

    assert tasks.deliver_due() == 6

    rows = outbox(ids)
    assert {n.status for n in rows.values()} == {"sent"}
    assert sorted(smtp_settings.message_ids()) == sorted(n.message_id for n in rows.values())
    assert smtp_settings.connections() == 1, "one connection for the whole batch"
    assert {n.attempts for n in rows.values()} == {1}
    assert tasks.deliver_due() == 0, "nothing left to send"
    assert len(smtp_settings.messages) == 6


def test_batches_of_the_configured_size_each_on_its_connection(
    reservation_factory, smtp_settings, no_wake, settings
):
    settings.NOTIFICATION_BATCH_SIZE = 2
    ids = [record(reservation_factory()).pk for _ in range(5)]

    assert tasks.deliver_due() == 5

    assert smtp_settings.connections() == 3  # 2 + 2 + 1
    assert len(set(smtp_settings.message_ids())) == 5 == len(smtp_settings.messages)
    assert {n.status for n in outbox(ids).values()} == {"sent"}


@pytest.mark.parametrize("rows", [3, 9])
def test_one_claim_statement_takes_the_whole_batch(reservation_factory, rows, no_wake):
    from django.db import connection

    ids = [record(reservation_factory()).pk for _ in range(rows)]
    with CaptureQueriesContext(connection) as queries:
        claimed = delivery.notifications_claim(now=timezone.now(), limit=50)

    assert sorted(n.pk for n in claimed) == sorted(ids)
    updates = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    claims = [sql for sql in updates if "RETURNING" in sql.upper()]
    assert len(claims) == 1
    # The claim, the rows with what their messages need, their Message-IDs: the same
    # statements for 3 rows as for 9, in one transaction.
    statements = [
        q["sql"] for q in queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")
    ]
    assert len(statements) == 3, [sql[:80] for sql in statements]
    rows_now = outbox(ids).values()
    assert {n.status for n in rows_now} == {"sending"}
    assert len({n.claim_token for n in rows_now}) == 1
    assert all(n.message_id for n in rows_now)


def test_a_crash_after_k_sends_resends_nothing_already_recorded(
    reservation_factory, smtp_settings, no_wake, monkeypatch, settings
):
    """The worker's code dies (an exception it does not handle) while building the third
    message: the two sent are recorded, the rest is given back, and the next run sends only
    what had not gone out."""
    ids = [record(reservation_factory()).pk for _ in range(5)]
    real_build = delivery.build_email
    built = []

    class WorkerCrash(BaseException):
        pass

    def build_then_crash(notification):
        built.append(notification.pk)
        if len(built) == 3:
            raise WorkerCrash()
        return real_build(notification)

    monkeypatch.setattr(delivery, "build_email", build_then_crash)
    with pytest.raises(WorkerCrash):
        tasks.deliver_due()
    rows = outbox(ids)
    sent = [pk for pk in ids if rows[pk].status == "sent"]
    assert len(sent) == 2 == len(smtp_settings.messages)
    # Nothing of the rest went out; what was never tried is due again, its attempt uncounted.
    untried = [pk for pk in ids if pk not in built]
    assert {rows[pk].status for pk in untried} == {"pending"}
    assert {rows[pk].attempts for pk in untried} == {0}
    # The one in flight stays under its claim (it might have gone out).
    in_flight = rows[built[2]]
    assert in_flight.status == "sending"

    monkeypatch.setattr(delivery, "build_email", real_build)
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert tasks.deliver_due() == 3
    rows = outbox(ids)
    assert {n.status for n in rows.values()} == {"sent"}
    seen = smtp_settings.message_ids()
    assert sorted(seen) == sorted(n.message_id for n in rows.values()), "each exactly once"
    assert {rows[pk].attempts for pk in sent} == {1}, "the sent ones were never claimed again"


def test_a_short_batch_cut_by_the_deadline_hands_its_rest_to_a_new_task(
    reservation_factory, smtp_settings, no_wake, monkeypatch, settings
):
    """A batch shorter than NOTIFICATION_BATCH_SIZE whose sending outlasts the task's deadline
    (a slow SMTP server) gives its untried rest back and publishes the next task at once, as a
    full batch does: the rest does not wait for the relay."""
    settings.NOTIFICATION_BATCH_SIZE = 50
    settings.NOTIFICATION_CLAIM_SECONDS = 120
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 90  # the task's deadline: 45 s after it starts
    ids = [record(reservation_factory()).pk for _ in range(3)]
    clock = [0.0]
    slow_clock = SimpleNamespace(monotonic=lambda: clock[0], sleep=time.sleep)
    monkeypatch.setattr(tasks, "time", slow_clock)
    monkeypatch.setattr(delivery, "time", slow_clock)
    real_build = delivery.build_email

    def slow_build(notification):
        clock[0] += 40  # each message takes 40 s
        return real_build(notification)

    monkeypatch.setattr(delivery, "build_email", slow_build)
    published = []
    monkeypatch.setattr(
        tasks, "deliver_due_publish", lambda countdown=None: published.append(countdown) or True
    )

    assert tasks.deliver_due() == 2
    rows = outbox(ids)
    assert sorted(n.status for n in rows.values()) == ["pending", "sent", "sent"]
    assert published == [None], "the given-back row is handed to a new task at once"


def test_a_refused_recipient_fails_only_that_message(reservation_factory, smtp_settings, no_wake):
    good = [record(reservation_factory()).pk for _ in range(2)]
    bad = record(reservation_factory(customer=CustomerFactory(email="gone@example.com"))).pk
    good.append(record(reservation_factory()).pk)
    smtp_settings.refused_rcpts = {"gone@example.com"}

    assert tasks.deliver_due() == 3

    rows = outbox([*good, bad])
    assert rows[bad].status == "failed" and "550" in rows[bad].last_error
    assert {rows[pk].status for pk in good} == {"sent"}
    assert smtp_settings.connections() == 1, "the refusal did not end the conversation"
    assert sorted(smtp_settings.message_ids()) == sorted(rows[pk].message_id for pk in good)


def test_a_connection_that_breaks_mid_batch_sends_the_rest_back_with_backoff(
    reservation_factory, smtp_settings, no_wake, settings
):
    ids = [record(reservation_factory()).pk for _ in range(4)]
    smtp_settings.data_replies = {2: "421 4.3.2 Service shutting down"}
    before = timezone.now()

    assert tasks.deliver_due() == 1

    rows = [outbox(ids)[pk] for pk in ids]  # in claim order: oldest first
    assert rows[0].status == "sent"
    assert [n.status for n in rows[1:]] == ["pending"] * 3, "none failed"
    assert rows[1].attempts == 1 and "421" in rows[1].last_error
    assert [n.attempts for n in rows[2:]] == [0, 0], "never tried: the attempt is not counted"
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    for row in rows[1:]:
        assert row.scheduled_for >= before + timedelta(seconds=base / 2)
    assert len(smtp_settings.messages) == 1


def test_a_stale_row_in_a_batch_ends_failed_and_the_rest_goes_out(
    reservation_factory, smtp_settings, no_wake
):
    from reservations.models import Reservation

    cancelled = reservation_factory()
    stale = record(cancelled, "reminder").pk
    fresh = [record(reservation_factory()).pk for _ in range(2)]
    Reservation.objects.filter(pk=cancelled.pk).update(status="cancelled")

    assert tasks.deliver_due() == 2

    rows = outbox([stale, *fresh])
    assert rows[stale].status == "failed" and "no longer true" in rows[stale].last_error
    assert rows[stale].attempts == 0
    assert {rows[pk].status for pk in fresh} == {"sent"}
    assert len(smtp_settings.messages) == 2


@pytest.mark.postgres_only(reason="SKIP LOCKED: concurrent claims on PostgreSQL")
def test_a_second_claimer_skips_the_rows_a_first_one_holds(reservation_factory, no_wake):
    ids = [record(reservation_factory()).pk for _ in range(6)]
    held, release, first = threading.Event(), threading.Event(), {}

    def first_claimer():
        try:
            with transaction.atomic():  # its row locks last until this commits
                first["rows"] = delivery.notifications_claim(now=timezone.now(), limit=3)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_claimer)
    thread.start()
    try:
        assert held.wait(10)
        second = {}

        def second_claimer():
            try:
                second["rows"] = delivery.notifications_claim(now=timezone.now(), limit=50)
            finally:
                connections.close_all()

        other = threading.Thread(target=second_claimer)
        other.start()
        other.join(5)
        assert not other.is_alive(), "the second claim waited for the first one's locks"
    finally:
        release.set()
        thread.join(10)
    a = {n.pk for n in first["rows"]}
    b = {n.pk for n in second["rows"]}
    assert len(a) == 3 and a.isdisjoint(b) and a | b == set(ids)


@pytest.mark.postgres_only(reason="SKIP LOCKED: concurrent deliverers on PostgreSQL")
def test_two_concurrent_deliverers_never_send_one_row_twice(
    reservation_factory, smtp_settings, no_wake, settings
):
    settings.NOTIFICATION_BATCH_SIZE = 3
    ids = [record(reservation_factory()).pk for _ in range(24)]
    start = threading.Barrier(2)
    sent = []

    def deliverer():
        try:
            start.wait(10)
            sent.append(tasks.deliver_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    rows = outbox(ids)
    assert {n.status for n in rows.values()} == {"sent"}
    assert {n.attempts for n in rows.values()} == {1}, "no row was claimed twice"
    seen = smtp_settings.message_ids()
    assert len(seen) == 24 and sorted(seen) == sorted(n.message_id for n in rows.values())
    assert sum(sent) == 24


class TestWake:
    """The wake flag in the cache Redis: one published task while one is pending."""

    pytestmark = pytest.mark.redis_only(reason="the wake flag lives in the cache Redis")

    @pytest.fixture
    def published(self, monkeypatch):
        """The deliver_due tasks really published to the broker (the test's Redis)."""
        names = []

        def count(sender=None, **kwargs):
            names.append(sender)

        after_task_publish.connect(count, weak=False)
        yield names
        after_task_publish.disconnect(count)

    def commit_one(self, reservation_factory):
        reservation = reservation_factory()
        with transaction.atomic():
            return record(reservation).pk

    def test_many_commits_publish_one_task_then_a_commit_after_it_started_publishes_again(
        self, reservation_factory, smtp_settings, published, monkeypatch
    ):
        monkeypatch.setattr(tasks, "delivery_enqueue", lambda pk, countdown=None: None)
        ids = [self.commit_one(reservation_factory) for _ in range(5)]
        assert published.count("notifications.deliver_due") == 1

        # The task runs (here in-process): it clears the flag before its first claim, so a
        # row committed while it works, after it looked, publishes a new task.
        real_batch = tasks.notifications_deliver_batch
        during = []

        def batch_then_a_commit(**kwargs):
            outcome = real_batch(**kwargs)
            if not during:
                during.append(self.commit_one(reservation_factory))
            return outcome

        monkeypatch.setattr(tasks, "notifications_deliver_batch", batch_then_a_commit)
        tasks.deliver_due()
        assert published.count("notifications.deliver_due") == 2
        # That task (as the worker would run it next) sends the late row.
        monkeypatch.setattr(tasks, "notifications_deliver_batch", real_batch)
        tasks.deliver_due()
        assert {n.status for n in outbox([*ids, *during]).values()} == {"sent"}
        assert len(smtp_settings.messages) == 6

    def test_redis_down_publishes_anyway(self, reservation_factory, published, monkeypatch):
        from django.core.cache import cache

        def down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        monkeypatch.setattr(cache, "add", down)
        monkeypatch.setattr(cache, "delete", down)
        self.commit_one(reservation_factory)
        self.commit_one(reservation_factory)
        assert published.count("notifications.deliver_due") == 2

    def test_a_failed_publish_leaves_no_flag_behind(
        self, reservation_factory, published, monkeypatch
    ):
        def broker_down(*args, **kwargs):
            raise ConnectionError("broker is down")

        with monkeypatch.context() as patched:
            patched.setattr(tasks.deliver_due, "apply_async", broker_down)
            self.commit_one(reservation_factory)
        assert published == []
        self.commit_one(reservation_factory)  # the broker is back: this commit publishes
        assert published.count("notifications.deliver_due") == 1
