"""What one booking costs the database, counted so it cannot creep back (docs/performance.md):
staff naming a guest and a table through the API with a bearer token, once the restaurant's
booking setup and the account are in the cache, is 7 statements with BEGIN and COMMIT: the
guest in the staff's scope, BEGIN, the slot's place (one upsert), the reservation, its
occupancy row, its outbox row, COMMIT. No savepoint, no overlap query before the insert
(the exclusion constraint is the check; the conflict is read only when it refuses), no
lapsed-hold query unless a lapsed hold is in the way.

These run outside a test transaction (``transaction=True``), as a request does: inside a
caller's transaction the core keeps its savepoint and checks first."""

from datetime import date, timedelta

import pytest
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from core.locking import redis_client
from reservations.models import Occupancy, Reservation
from reservations.services.slot_taken import taken_key
from reservations.tests.factories import NOW
from restaurants.tests.factories import TableFactory

pytestmark = [
    pytest.mark.postgres_only(
        reason="the insert is the overlap check only where the exclusion constraint exists"
    ),
    pytest.mark.django_db(transaction=True),
]

URL = "/api/reservations/"


class Counted:
    """Every statement sent on the default connection while active, BEGIN, COMMIT and
    ROLLBACK included (they do not pass through cursor.execute)."""

    def __init__(self, monkeypatch):
        self.sql: list[str] = []
        self._open = False
        wrapper = connections["default"]
        for name, word in (("commit", "COMMIT"), ("rollback", "ROLLBACK")):
            original = getattr(wrapper, name)
            monkeypatch.setattr(wrapper, name, self._ending(original, word))
        self._wrapper = wrapper

    def _ending(self, original, word):
        def ended(*args, **kwargs):
            self.sql.append(word)
            self._open = False
            return original(*args, **kwargs)

        return ended

    def __call__(self, execute, sql, params, many, context):
        if not self._wrapper.get_autocommit() and not self._open:
            self._open = True
            self.sql.append("BEGIN")
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def during(self):
        return self._wrapper.execute_wrapper(self)


@pytest.fixture
def bearer(staff_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(staff_user)}")
    return client


def forget_taken(table) -> None:
    client = redis_client()
    if client is not None:
        client.delete(taken_key(table.pk, date(2025, 8, 30)))


def booking(restaurant, table, guest, at: str) -> dict:
    return {
        "restaurant_id": restaurant.pk,
        "customer_id": guest.pk,
        "table_id": table.pk,
        "reservation_date": "2025-08-30",
        "reservation_time": at,
        "party_size": 2,
    }


def test_one_booking_is_seven_statements_with_begin_and_commit(
    clock, bearer, restaurant, table, guest, monkeypatch
):
    other = TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=1)
    # The first booking fills the caches (the restaurant's setup, the account, its roles).
    assert (
        bearer.post(URL, booking(restaurant, other, guest, "13:00"), format="json").status_code
        == 201
    )
    counted = Counted(monkeypatch)
    with counted.during():
        response = bearer.post(URL, booking(restaurant, table, guest, "19:00"), format="json")
    assert response.status_code == 201, response.json()
    assert len(counted.sql) == 7, "\n".join(counted.sql)
    assert counted.sql[1] == "BEGIN" and counted.sql[-1] == "COMMIT"
    assert not any("SAVEPOINT" in sql for sql in counted.sql)
    reservation = Reservation.objects.get(pk=response.json()["id"])
    assert Occupancy.objects.filter(reservation=reservation, holds=True).count() == 1
    assert reservation.notifications.count() == 1


def test_a_refused_overlap_reads_the_conflict_only_after_the_insert_fails(
    clock, bearer, restaurant, table, guest, monkeypatch
):
    first = bearer.post(URL, booking(restaurant, table, guest, "19:00"), format="json")
    assert first.status_code == 201
    # Without the note the first booking left (slot_taken), the database answers.
    forget_taken(table)
    counted = Counted(monkeypatch)
    with counted.during():
        response = bearer.post(URL, booking(restaurant, table, guest, "19:30"), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_unavailable"
    assert body["details"]["table_id"] == table.pk
    assert body["details"]["conflict"]["reservation_time"] == "19:00"
    # The insert's refusal rolled the transaction back; the conflict was read after it.
    assert "ROLLBACK" in counted.sql
    assert counted.sql.index("ROLLBACK") < len(counted.sql) - 1
    assert Reservation.objects.filter(status__in=Reservation.ACTIVE_STATUSES).count() == 1


def test_a_lapsed_hold_in_the_way_is_expired_and_the_booking_made(
    clock, bearer, restaurant, table, guest
):
    hold = bearer.post(URL, booking(restaurant, table, guest, "19:00"), format="json")
    assert hold.status_code == 201 and hold.json()["status"] == "pending"
    clock.move_to(NOW + timedelta(minutes=restaurant.hold_minutes, seconds=1))
    response = bearer.post(URL, booking(restaurant, table, guest, "19:30"), format="json")
    assert response.status_code == 201, response.json()
    lapsed = Reservation.objects.get(pk=hold.json()["id"])
    assert lapsed.status == Reservation.Status.EXPIRED
    assert not Occupancy.objects.filter(reservation=lapsed, holds=True).exists()
    assert lapsed.notifications.filter(kind="expired").count() == 1


@pytest.mark.redis_only(reason="the note that a slot is taken lives in Redis")
def test_a_slot_just_taken_is_refused_from_its_note_without_a_statement(
    clock, bearer, restaurant, table, guest, monkeypatch
):
    first = bearer.post(URL, booking(restaurant, table, guest, "19:00"), format="json")
    assert first.status_code == 201
    counted = Counted(monkeypatch)
    with counted.during():
        noted = bearer.post(URL, booking(restaurant, table, guest, "19:30"), format="json")
    assert noted.status_code == 409
    # Only the caller's (the guest in the staff's scope): no transaction, no insert.
    assert len(counted.sql) == 1 and "customers_customer" in counted.sql[0], counted.sql
    forget_taken(table)
    from_database = bearer.post(URL, booking(restaurant, table, guest, "19:30"), format="json")
    # The same answer as the database's, word for word.
    assert noted.json() == from_database.json()
    assert noted.json()["details"]["conflict"]["reservation_time"] == "19:00"
