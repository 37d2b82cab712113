"""Migrations customers 0003 + 0004 (issue 11: guest records) over data in every shape, on
the real PostgreSQL: the test database is taken back to customers 0002, seeded with the
historical models, migrated forwards and checked, then migrated back (refused).

A transactional test: the migrations run in their own transactions, as ``migrate`` runs them,
and the tables are flushed afterwards. Whatever happens, the database is left fully migrated
for the tests that follow."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("customers", "0002_initial")


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _latest(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


# The account's move out of customers (accounts 0002 and the state-only 0002s) comes after
# customers 0004, so those apps go back to just before it; notifications too, to before its
# staff invitations (0004 needs restaurants 0006).
BEFORE_ACCOUNT_MOVE = [
    ("accounts", "0001_initial"),
    ("restaurants", "0001_initial"),
    ("reservations", "0001_initial"),
    ("notifications", "0003_request_id"),
]


def _before(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """customers at 0002, every other app at its latest migration before the account move."""
    held = {app for app, _ in [BEFORE, *BEFORE_ACCOUNT_MOVE]}
    latest = [node for node in _latest(executor) if node[0] not in held]
    return [BEFORE, *BEFORE_ACCOUNT_MOVE, *latest]


@pytest.fixture
def at_customers_0002():
    executor = _executor()
    executor.migrate(_before(executor))
    try:
        yield executor.loader.project_state(_before(executor)).apps
    finally:
        executor = _executor()
        executor.migrate(_latest(executor))


class Seed:
    """The profiles of every shape, as customers 0002 stored them."""

    def __init__(self, apps):
        self.apps = apps
        User = apps.get_model("customers", "User")
        Customer = apps.get_model("customers", "Customer")
        Restaurant = apps.get_model("restaurants", "Restaurant")
        self.r = Restaurant.objects.create(name="R", slug="r", timezone="Europe/Madrid")
        self.s = Restaurant.objects.create(name="S", slug="s", timezone="Europe/Madrid")
        self.host_s = User.objects.create(email="host@s.example.com")
        self.ana = User.objects.create(email="ana@example.com")
        self.made_for_r = User.objects.create(email="made@example.com")

        # Account profile, notes (superusers only before): booked at S first by S's host
        # (the hole of issue 11), then at R by herself.
        self.account = Customer.objects.create(
            user=self.ana, first_name="Ana", email="ana@example.com", notes="Account, root only"
        )
        self._reserve(self.account, self.s, days_ago=10, created_by=self.host_s)
        self._reserve(self.account, self.r, days_ago=5, created_by=self.ana)
        # Account profile made in the admin for R, notes R's staff read.
        self.account_of_r = Customer.objects.create(
            user=self.made_for_r,
            first_name="Made",
            email="made@example.com",
            created_by_restaurant=self.r,
            notes="R's note about an account",
        )
        # Local profile S keeps, with notes S read, first reservation at R.
        self.kept_by_s = Customer.objects.create(
            first_name="Kept", email="kept@example.com", created_by_restaurant=self.s, notes="S's"
        )
        self._reserve(self.kept_by_s, self.r, days_ago=9)
        # Local profile no restaurant keeps, booked at R first, then S, with notes.
        self.orphan_booked = Customer.objects.create(
            first_name="Orphan", email="orphan@example.com", notes="Orphan, root only"
        )
        self._reserve(self.orphan_booked, self.r, days_ago=8)
        self._reserve(self.orphan_booked, self.s, days_ago=2)
        # The same without notes (the keeper update, and nothing else).
        self.orphan_quiet = Customer.objects.create(first_name="Quiet", phone="+34611000009")
        self._reserve(self.orphan_quiet, self.s, days_ago=3)
        # Local profile no restaurant keeps, never booked, with notes.
        self.never_booked = Customer.objects.create(
            first_name="Never", email="never@example.com", notes="Walk-in, root only"
        )
        # No notes, no reservations, no keeper.
        self.plain = Customer.objects.create(first_name="Plain", email="plain@example.com")

    def _reserve(self, customer, restaurant, *, days_ago: int, created_by=None):
        Table = self.apps.get_model("restaurants", "Table")
        Reservation = self.apps.get_model("reservations", "Reservation")
        start = datetime(2024, 6, 1, 19, 0, tzinfo=UTC) - timedelta(days=days_ago)
        Reservation.objects.create(
            restaurant=restaurant,
            table=Table.objects.create(
                restaurant=restaurant, number=f"T{Table.objects.count()}", capacity=4
            ),
            customer=customer,
            party_size=2,
            reservation_date=start.date(),
            reservation_time=start.time(),
            start_at=start,
            end_at=start + timedelta(minutes=90),
            status="completed",
            created_by=created_by,
        )


def _records(apps) -> dict[tuple[int, int], str]:
    GuestRecord = apps.get_model("customers", "GuestRecord")
    return {
        (record.customer_id, record.restaurant_id): record.notes
        for record in GuestRecord.objects.all()
    }


def test_forwards_moves_every_shape_and_backwards_is_refused(at_customers_0002):
    seed = Seed(at_customers_0002)

    executor = _executor()
    executor.migrate(_latest(executor))  # failed before: "pending trigger events"
    apps = executor.loader.project_state(_latest(executor)).apps
    Customer = apps.get_model("customers", "Customer")
    after = {c.pk: c for c in Customer.objects.all()}
    assert "notes" not in {f.name for f in Customer._meta.get_fields()}

    # Notes go only to the restaurant whose staff read them before (the creating one).
    assert _records(apps) == {
        (seed.account_of_r.pk, seed.r.pk): "R's note about an account",
        (seed.kept_by_s.pk, seed.s.pk): "S's",
    }
    # Superuser-only notes stay superuser-only, none dropped; not handed to S (whose host
    # made the first reservation) nor to R (where Ana booked herself, or the new keeper).
    assert after[seed.account.pk].legacy_notes == "Account, root only"
    assert after[seed.orphan_booked.pk].legacy_notes == "Orphan, root only"
    assert after[seed.never_booked.pk].legacy_notes == "Walk-in, root only"
    for moved in (seed.account_of_r, seed.kept_by_s, seed.orphan_quiet, seed.plain):
        assert after[moved.pk].legacy_notes == ""
    # Keepers: a local profile no restaurant kept gets its first reservation's restaurant.
    keepers = {pk: c.created_by_restaurant_id for pk, c in after.items()}
    assert keepers == {
        seed.account.pk: None,
        seed.account_of_r.pk: seed.r.pk,
        seed.kept_by_s.pk: seed.s.pk,
        seed.orphan_booked.pk: seed.r.pk,
        seed.orphan_quiet.pk: seed.s.pk,
        seed.never_booked.pk: None,
        seed.plain.pk: None,
    }
    # The new constraints hold: R may now keep its own profile with Ana's address.
    Customer.objects.create(
        first_name="Ana", email="ANA@example.com", created_by_restaurant_id=seed.r.pk
    )

    # Backwards would lose notes and cannot restore the global unique e-mail: refused,
    # nothing changed.
    executor = _executor()
    with pytest.raises(IrreversibleError, match="cannot be reversed") as exc_info:
        executor.migrate(_before(executor))
    message = str(exc_info.value)
    assert "1 e-mail address(es)" in message
    assert "2 guest record(s)" in message
    assert "3 profile(s) hold legacy notes" in message
    executor = _executor()
    assert ("customers", "0004_guest_records_finish") in executor.loader.applied_migrations
    assert len(_records(apps)) == 2
    assert Customer.objects.exclude(legacy_notes="").count() == 3
