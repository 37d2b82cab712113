"""Races through the host stand's pages and the API, each client in its own thread and
database connection: two hosts seating or moving the same reservation at once, and a walk-in
at the host stand racing a guest's online booking for the last table. Exactly one wins where
only one may, the others get the page's refusal (never a 500), and no table is held twice."""

import threading
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from customers.tests.factories import CustomerFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory
from reservations.tests.overlaps import overlapping_holders
from restaurants.models import StaffMembership
from restaurants.tests.factories import TableFactory
from web.tests.conftest import madrid

pytestmark = [
    pytest.mark.postgres_only(reason="the exclusion constraint decides races between connections"),
    pytest.mark.django_db(transaction=True),
]
Status = Reservation.Status

# Thursday 20:07 in Madrid, in the dinner service.
EVENING = datetime(2025, 8, 28, 18, 7, tzinfo=UTC)
TONIGHT = date(2025, 8, 28)


def race(requests) -> list:
    """Send every request (a callable returning a response) at once, each in its own thread;
    the responses' status codes in the order given (an exception's repr instead)."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[n] = requests[n]().status_code
        except Exception as exc:  # a server error raised through the test client
            results[n] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def hosts(restaurant):
    """Two hosts of the restaurant, each signed in on a client of their own."""
    clients = []
    for n in range(2):
        user = UserFactory(email=f"host{n}@casa.example")
        StaffMembership.objects.create(
            user=user, restaurant=restaurant, role=StaffMembership.Role.HOST
        )
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_two_hosts_seating_the_same_reservation_seat_it_once(restaurant, hosts):
    with time_machine.travel(EVENING, tick=True):
        booked = ReservationFactory(
            table=restaurant.tables.get(), start_at=madrid(TONIGHT, time(20)),
            status=Status.CONFIRMED,
        )  # fmt: skip
        url = f"/host/casa/reservations/{booked.pk}/seat/"
        results = race([lambda c=c: c.post(url) for c in hosts])
    assert sorted(results) in ([302, 409], [302, 423]), results
    booked.refresh_from_db()
    assert booked.status == Status.SEATED


def test_two_hosts_moving_the_same_reservation_leave_one_move_and_no_table_held_twice(
    restaurant, hosts
):
    one = restaurant.tables.get()
    two = TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=1)
    with time_machine.travel(EVENING, tick=True):
        booked = ReservationFactory(
            table=one, start_at=madrid(TONIGHT, time(21)),
            status=Status.CONFIRMED,
        )  # fmt: skip
        url = f"/host/casa/reservations/{booked.pk}/move/"
        moves = [
            {"move-date": "2025-08-28", "move-time": "22:00", "move-party_size": "2",
             "move-tables": str(two.pk)},
            {"move-date": "2025-08-28", "move-time": "21:30", "move-party_size": "3",
             "move-tables": ""},
        ]  # fmt: skip
        results = race([lambda c=c, m=m: c.post(url, m) for c, m in zip(hosts, moves, strict=True)])
    # Each move is taken whole, one after the other (the later one wins), or refused whole.
    assert set(results) <= {302, 409}, results
    assert 302 in results
    booked.refresh_from_db()
    local = booked.start_at.astimezone(restaurant.tz).time()
    assert (local, booked.party_size) in {(time(22), 2), (time(21, 30), 3)}
    assert overlapping_holders() == 0


def test_a_walk_in_and_an_online_booking_racing_for_the_last_table_one_wins(restaurant, hosts):
    guest = UserFactory(email="lola@example.com")
    CustomerFactory(user=guest, email=guest.email)
    api = APIClient()
    api.force_authenticate(guest)
    # The walk-in stays 90 minutes from 20:07; the guest's 21:30 (the first time past the
    # hour's notice) overlaps it on the only table.
    body = {
        "restaurant_id": restaurant.pk,
        "reservation_date": "2025-08-28",
        "reservation_time": "21:30",
        "party_size": 2,
    }
    with time_machine.travel(EVENING, tick=True):
        results = race(
            [
                lambda: hosts[0].post("/host/casa/walk-in/", {"walk_in-party_size": "2"}),
                lambda: api.post("/api/reservations/", body, format="json"),
            ]
        )
    walk_in, online = results
    # Exactly one wins; the other is told the table is taken (409) or being booked (423).
    assert (walk_in == 302) != (online == 201), results
    assert (online if walk_in == 302 else walk_in) in {409, 423}, results
    holding = Reservation.objects.exclude(status=Status.CANCELLED)
    assert holding.count() == 1
    assert overlapping_holders() == 0
