"""Migration reservations 0005 (issue 14: pacing counters) over reservations in every
status at two restaurants: the test database is taken back to reservations 0004, seeded with
the historical model, migrated forwards and checked: one counter per (restaurant, start)
with the guests and parties of its reservations that count (all but cancelled and expired).

A transactional test, like the occupancy migration's: the migrations run in their own
transactions and the database is left fully migrated for the tests that follow."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.tests.factories import CustomerFactory
from restaurants.tests.factories import RestaurantFactory, TableFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("reservations", "0004_occupancy")
START = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)
EVERY_STATUS = ["pending", "confirmed", "seated", "completed", "cancelled", "expired", "no_show"]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.fixture
def at_reservations_0004():
    executor = _executor()
    executor.migrate([BEFORE])
    try:
        yield executor.loader.project_state([BEFORE]).apps
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _reserve(apps, restaurant, table, customer, start, status, party_size, n):
    apps.get_model("reservations", "Reservation").objects.create(
        restaurant_id=restaurant.pk,
        table_id=table.pk,
        customer_id=customer.pk,
        party_size=party_size,
        reservation_date=start.date(),
        reservation_time=start.time(),
        start_at=start,
        end_at=start + timedelta(minutes=90),
        status=status,
        expires_at=start if status == "pending" else None,
        manage_token=f"token-{n}-{'x' * 20}",
    )


def test_every_slot_counts_the_reservations_that_start_then(at_reservations_0004):
    first, second = RestaurantFactory(), RestaurantFactory()
    customer = CustomerFactory()
    # At the first restaurant, one reservation per status at 19:00, each on its own table
    # and party size n + 1; two more at 21:00.
    for n, status in enumerate(EVERY_STATUS):
        table = TableFactory(restaurant=first)
        _reserve(at_reservations_0004, first, table, customer, START, status, n + 1, n)
    later = START + timedelta(hours=2)
    for k, status in enumerate(["confirmed", "cancelled", "pending"]):
        table = TableFactory(restaurant=first)
        _reserve(at_reservations_0004, first, table, customer, later, status, 2, 10 + k)
    # At the second, only a cancelled one at the same instant: no guests counted there.
    _reserve(
        at_reservations_0004,
        second,
        TableFactory(restaurant=second),
        customer,
        START,
        "cancelled",
        4,
        20,
    )

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from reservations.models import SlotPace

    counters = {
        (row.restaurant_id, row.slot_start): (row.covers, row.parties)
        for row in SlotPace.objects.all()
    }
    # pending 1, confirmed 2, seated 3, completed 4, no_show 7: 17 guests in 5 parties.
    assert counters == {
        (first.pk, START): (1 + 2 + 3 + 4 + 7, 5),
        (first.pk, later): (4, 2),
    }
