"""Migration reservations 0004 (issue 14: table occupancy rows) over reservations in every
status: the test database is taken back to reservations 0003, seeded with the historical
model, migrated forwards and checked: one row per reservation on its table, holding exactly
for the active statuses, and the exclusion constraint now on those rows.

A transactional test: the migrations run in their own transactions, as ``migrate`` runs them,
and the tables are flushed afterwards. Whatever happens, the database is left fully migrated
for the tests that follow."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from customers.tests.factories import CustomerFactory
from restaurants.tests.factories import RestaurantFactory, TableFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("reservations", "0003_guest_language_and_allergies")
START = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)
EVERY_STATUS = ["pending", "confirmed", "seated", "completed", "cancelled", "expired", "no_show"]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.fixture
def at_reservations_0003():
    executor = _executor()
    executor.migrate([BEFORE])
    try:
        yield executor.loader.project_state([BEFORE]).apps
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _seed(apps) -> dict[str, tuple]:
    """One reservation per status, all on one table at overlapping times (allowed: only
    three of them are active, and those three at different hours), plus a second table."""
    Reservation = apps.get_model("reservations", "Reservation")
    restaurant = RestaurantFactory()
    table, other = TableFactory(restaurant=restaurant), TableFactory(restaurant=restaurant)
    customer = CustomerFactory()
    made = {}
    for n, status in enumerate(EVERY_STATUS):
        start = START + timedelta(
            hours=2 * n if status in ("pending", "confirmed", "seated") else 0
        )
        reservation = Reservation.objects.create(
            restaurant_id=restaurant.pk,
            table_id=(other if status == "seated" else table).pk,
            customer_id=customer.pk,
            party_size=2,
            reservation_date=start.date(),
            reservation_time=start.time(),
            start_at=start,
            end_at=start + timedelta(minutes=90),
            status=status,
            expires_at=start if status == "pending" else None,
            manage_token=f"token-{status}-{'x' * 20}",
        )
        made[status] = (reservation.pk, reservation.table_id, start)
    return made


def test_every_reservation_gets_its_tables_row_holding_only_while_active(at_reservations_0003):
    made = _seed(at_reservations_0003)
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from reservations.models import Occupancy, Reservation

    rows = {o.reservation_id: o for o in Occupancy.objects.all()}
    assert len(rows) == Reservation.objects.count() == len(EVERY_STATUS)
    for status, (pk, table_id, start) in made.items():
        row = rows[pk]
        assert (row.table_id, row.start_at, row.end_at) == (
            table_id,
            start,
            start + timedelta(minutes=90),
        ), status
        assert row.holds is (status in ("pending", "confirmed", "seated")), status


@pytest.mark.postgres_only(reason="the exclusion constraint exists on PostgreSQL only")
def test_the_exclusion_constraint_moved_onto_the_occupancy_rows(at_reservations_0003):
    made = _seed(at_reservations_0003)
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from reservations.models import Occupancy

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid IN "
            "('reservations_reservation'::regclass, 'reservations_occupancy'::regclass)"
        )
        assert [name for (name,) in cursor.fetchall()] == ["occupancy_no_overlap"]
    confirmed_pk, table_id, start = made["confirmed"]
    pending_pk = made["pending"][0]
    # The pending reservation's row moved onto the confirmed one's table and time: refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Occupancy.objects.filter(reservation_id=pending_pk).update(
            table_id=table_id, start_at=start, end_at=start + timedelta(minutes=90)
        )
    assert Occupancy.objects.get(reservation_id=confirmed_pk).holds
