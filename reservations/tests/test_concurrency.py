"""Races: many requests released at once by a barrier, each in its own thread with its own
database connection, booking one table at the same and at overlapping times, with Redis and
with Redis gone. Exactly one booking wins per free slot; every other answer is 409 (or 423
while the lock is held, which a client retries); nothing else, and no overlapping pair of
active reservations in the database."""

import random
import threading
import time as time_module
from collections import Counter
from datetime import time

import pytest
import redis
from django.db import connections

from core import locking
from reservations.models import Reservation
from reservations.tests.overlaps import overlapping_holders

THREADS = 50
URL = "/api/reservations/"
# Two groups of starts on one table. Within a group every pair overlaps (90-minute stays, at
# most 75 minutes apart); no start of one group overlaps a stay of the other. So whatever the
# order, exactly one booking per group can win.
EARLY = [time(18, 0), time(18, 15), time(18, 30), time(18, 45), time(19, 0), time(19, 15)]
LATE = [time(20, 45), time(21, 0), time(21, 15), time(21, 30), time(21, 45), time(22, 0)]


def race(user, body_for, threads: int) -> tuple[Counter, Counter, list[BaseException]]:
    """Release ``threads`` booking requests at once. A 423 is retried (as a client would after
    Retry-After) until the request ends in 201 or 409. Returns the final answers, the 423s
    seen on the way, and any exception raised in a thread."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(threads)
    finals: Counter = Counter()
    locked: Counter = Counter()
    errors: list[BaseException] = []
    guard = threading.Lock()

    def worker(n: int) -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=60)
            for _ in range(400):
                response = client.post(URL, body_for(n), format="json")
                if response.status_code != 423:
                    break
                assert response.headers["Retry-After"]
                with guard:
                    locked[response.json()["code"]] += 1
                time_module.sleep(random.uniform(0.005, 0.03))
            with guard:
                finals[(response.status_code, response.json().get("code"))] += 1
        except BaseException as exc:
            with guard:
                errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    return finals, locked, errors


@pytest.fixture
def body(restaurant, table, guest):
    def make(at: time) -> dict:
        return {
            "restaurant_id": restaurant.pk,
            "customer_id": guest.pk,
            "table_id": table.pk,
            "reservation_date": "2025-08-30",
            "reservation_time": at.strftime("%H:%M"),
            "party_size": 2,
        }

    return make


@pytest.fixture
def redis_down(monkeypatch):
    """Redis at a closed port with tiny timeouts: every lock attempt fails fast."""
    down = redis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.05, socket_timeout=0.05
    )
    monkeypatch.setattr(locking, "redis_client", lambda: down)


def assert_outcome(finals: Counter, errors: list, winners: int, threads: int) -> None:
    assert errors == []
    assert finals[(201, None)] == winners, finals
    assert finals[(409, "slot_unavailable")] == threads - winners, finals
    assert sum(finals.values()) == threads
    assert Reservation.objects.filter(status__in=Reservation.ACTIVE_STATUSES).count() == winners
    assert overlapping_holders() == 0


@pytest.mark.django_db(transaction=True)
def test_race_for_the_same_time(clock, staff_user, body):
    finals, locked, errors = race(staff_user, lambda n: body(time(19)), THREADS)
    assert_outcome(finals, errors, winners=1, threads=THREADS)
    assert set(locked) <= {"slot_locked"}


@pytest.mark.django_db(transaction=True)
def test_race_for_overlapping_times(clock, staff_user, body):
    times = EARLY + LATE
    finals, _, errors = race(staff_user, lambda n: body(times[n % len(times)]), THREADS)
    assert_outcome(finals, errors, winners=2, threads=THREADS)
    starts = sorted(r.reservation_time for r in Reservation.objects.all())
    assert starts[0] in EARLY and starts[1] in LATE


@pytest.mark.django_db(transaction=True)
def test_race_without_redis_for_the_same_time(clock, staff_user, body, redis_down):
    finals, locked, errors = race(staff_user, lambda n: body(time(19)), THREADS)
    assert locked == Counter()  # no lock at all: the database alone decided
    assert_outcome(finals, errors, winners=1, threads=THREADS)


@pytest.mark.django_db(transaction=True)
def test_race_without_redis_for_overlapping_times(clock, staff_user, body, redis_down):
    times = EARLY + LATE
    finals, locked, errors = race(staff_user, lambda n: body(times[n % len(times)]), THREADS)
    assert locked == Counter()
    assert_outcome(finals, errors, winners=2, threads=THREADS)


@pytest.mark.django_db(transaction=True)
def test_small_race_books_each_slot_once(clock, staff_user, body):
    """The same guarantee with fewer threads (in the SQLite pass too, where IMMEDIATE
    transactions serialize the writers)."""
    times = [time(19), time(19, 30), time(21), time(21, 15)]
    finals, _, errors = race(staff_user, lambda n: body(times[n % len(times)]), 12)
    assert_outcome(finals, errors, winners=2, threads=12)


@pytest.mark.django_db(transaction=True)
def test_race_for_one_slot_against_its_pacing_limit(clock, staff_user, restaurant, guest):
    """40 bookings of parties of 2 to 4 released at once on 40 tables at one start, against
    a limit of 30 guests: whatever the order, the guests starting then never pass it, the
    refused ones are 409 ``pacing_limit``, and the counter equals a recount. On PostgreSQL
    the counter's row lock decides; in the SQLite pass, the serialized write transactions."""
    from reservations.models import SlotPace
    from reservations.tests.factories import pace_counts
    from restaurants import services as restaurant_services
    from restaurants.tests.factories import TableFactory

    restaurant_services.restaurant_update(restaurant=restaurant, data={"max_covers_per_slot": 30})
    tables = [TableFactory(restaurant=restaurant, number=f"p{n}", capacity=4) for n in range(40)]
    parties = [2 + n % 3 for n in range(40)]

    def body(n: int) -> dict:
        return {
            "restaurant_id": restaurant.pk,
            "customer_id": guest.pk,
            "table_id": tables[n].pk,
            "reservation_date": "2025-08-30",
            "reservation_time": "19:00",
            "party_size": parties[n],
        }

    finals, locked, errors = race(staff_user, body, 40)
    assert errors == [] and locked == Counter()
    assert set(finals) <= {(201, None), (409, "pacing_limit")}, finals
    assert sum(finals.values()) == 40
    booked = list(Reservation.objects.values_list("party_size", flat=True))
    assert len(booked) == finals[(201, None)]
    # Full: a party of 2 refused found more than 28 guests booked; none refused means all
    # fourteen of them (28 guests) were booked.
    assert 28 <= sum(booked) <= 30
    [counter] = SlotPace.objects.filter(restaurant=restaurant)
    assert (counter.covers, counter.parties) == (sum(booked), len(booked))
    assert pace_counts(restaurant.pk) == {counter.slot_start: (counter.covers, counter.parties)}
