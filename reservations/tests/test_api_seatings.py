"""Staff seat a party at joined tables (issue 14): POST and PATCH /api/reservations/ take
``table_ids``, exactly one of the restaurant's active combinations, or any set of its tables
with ``override_tables`` from a manager; guests never name them; bad ids are 400 naming
``table_ids``; a party at a combination stays within its limits."""

from datetime import time

import pytest

from reservations.models import Occupancy, Reservation
from reservations.tests.factories import SEED_DATE, ReservationFactory
from restaurants.combinations import table_combination_create
from restaurants.models import StaffMembership
from restaurants.tests.factories import StaffMembershipFactory, TableFactory

pytestmark = pytest.mark.django_db
URL = "/api/reservations/"
SEED_TIME_LATER = time(19, 30)


@pytest.fixture
def t2(restaurant):
    return TableFactory(restaurant=restaurant, number="2", capacity=4)


@pytest.fixture
def t3(restaurant):
    return TableFactory(restaurant=restaurant, number="3", capacity=2)


@pytest.fixture
def joined(restaurant, table, t2):
    """Tables 1 and 2 joined for parties of 5 to 8."""
    return table_combination_create(
        restaurant=restaurant, table_ids=[table.pk, t2.pk], min_capacity=5, capacity=8
    )


@pytest.fixture
def manager(restaurant):
    return StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user


@pytest.fixture
def post(api_client, seed_body, staff_user, clock):
    """POST a booking as ``user`` (the host by default): the seed's body without its table,
    with ``changes``."""

    def send(user=None, **changes):
        api_client.force_authenticate(user or staff_user)
        body = {k: v for k, v in seed_body.items() if k != "table_id"}
        return api_client.post(URL, {**body, **changes}, format="json")

    return send


@pytest.fixture
def patch(api_client, staff_user):
    def send(reservation_id, user=None, **changes):
        api_client.force_authenticate(user or staff_user)
        return api_client.patch(f"{URL}{reservation_id}/", changes, format="json")

    return send


def held(reservation_id) -> list[int]:
    return list(
        Occupancy.objects.filter(reservation_id=reservation_id, holds=True)
        .order_by("table_id")
        .values_list("table_id", flat=True)
    )


def refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.json()
    assert field in response.json()["details"], response.json()


# --- booking -----------------------------------------------------------------------------------


def test_staff_book_a_combination_in_any_order(post, table, t2, joined):
    response = post(table_ids=[t2.pk, table.pk], party_size=6)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["table_ids"] == [table.pk, t2.pk] and body["table_id"] == table.pk
    assert held(body["id"]) == [table.pk, t2.pk]


def test_one_table_in_table_ids_is_that_table(post, t3):
    response = post(table_ids=[t3.pk], party_size=2)
    assert response.status_code == 201, response.json()
    assert response.json()["table_ids"] == [t3.pk]
    refused(post(table_ids=[t3.pk], party_size=3), 400, "party_size")


def test_a_set_that_is_no_combination_is_400_for_a_host(post, table, t3, joined):
    refused(post(table_ids=[table.pk, t3.pk], party_size=5), 400, "table_ids")
    assert not Reservation.objects.exists()


def test_an_inactive_combination_is_no_combination(post, table, t2, joined):
    joined.is_active = False
    joined.save()
    refused(post(table_ids=[table.pk, t2.pk], party_size=6), 400, "table_ids")


def test_a_combination_holds_parties_within_its_limits(post, table, t2, joined):
    for party in (4, 9):
        refused(post(table_ids=[table.pk, t2.pk], party_size=party), 400, "party_size")


def test_a_manager_overrides_with_any_set_whose_seats_hold_the_party(
    post, manager, table, t2, t3, joined
):
    response = post(manager, table_ids=[table.pk, t3.pk], party_size=6, override_tables=True)
    assert response.status_code == 201, response.json()
    assert held(response.json()["id"]) == [table.pk, t3.pk]
    refused(
        post(manager, table_ids=[t2.pk, t3.pk], party_size=7, override_tables=True),
        400,
        "party_size",
    )
    # Overriding a combination's own limits: a party of three at tables 1+2 (the first
    # booking holds table 1 from 19:00, so a later time).
    response = post(
        manager,
        table_ids=[table.pk, t2.pk],
        party_size=3,
        override_tables=True,
        reservation_time="21:00",
    )
    assert response.status_code == 201, response.json()


def test_a_host_may_not_override(post, table, t3):
    refused(
        post(table_ids=[table.pk, t3.pk], party_size=5, override_tables=True),
        403,
        "override_tables",
    )


def test_guests_never_name_tables(post, guest_user, table, t2, joined):
    refused(
        post(guest_user, customer_id=None, table_ids=[table.pk, t2.pk], party_size=6),
        403,
        "table_ids",
    )
    refused(
        post(guest_user, customer_id=None, table_id=table.pk, override_tables=True),
        403,
        "override_tables",
    )
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    "table_ids",
    [
        [],
        "1",
        ["1"],
        [True],
        [0],
        "duplicate",
        "unknown",
        "another restaurant's",
        "inactive",
        "too many",
    ],
)
def test_bad_table_ids_are_400_naming_them(post, manager, restaurant, table, t2, table_ids):
    if table_ids == "duplicate":
        table_ids = [table.pk, t2.pk, table.pk]
    elif table_ids == "unknown":
        table_ids = [table.pk, 2**40]
    elif table_ids == "another restaurant's":
        table_ids = [table.pk, TableFactory().pk]
    elif table_ids == "inactive":
        table_ids = [table.pk, TableFactory(restaurant=restaurant, is_active=False).pk]
    elif table_ids == "too many":
        table_ids = [table.pk + n for n in range(21)]
    response = post(manager, table_ids=table_ids, party_size=2, override_tables=True)
    refused(response, 400, "table_ids")
    assert response.json()["code"] == "validation_error"


def test_table_id_and_table_ids_together_are_400(post, table, t2, joined):
    refused(post(table_id=table.pk, table_ids=[table.pk, t2.pk], party_size=6), 400, "table_ids")


def test_override_without_table_ids_is_400(post, manager):
    refused(post(manager, override_tables=True), 400, "override_tables")


def test_a_combination_with_a_held_table_is_409(post, table, t2, joined):
    ReservationFactory(table=t2, reservation_date=SEED_DATE, reservation_time=SEED_TIME_LATER)
    response = post(table_ids=[table.pk, t2.pk], party_size=6)
    assert response.status_code == 409 and response.json()["code"] == "slot_unavailable"
    assert response.json()["details"]["table_id"] == t2.pk


# --- changing ----------------------------------------------------------------------------------


def test_staff_move_a_party_onto_a_combination_and_back(post, patch, table, t2, t3, joined):
    booked = post(table_id=t3.pk, party_size=2).json()
    response = patch(booked["id"], table_ids=[table.pk, t2.pk], party_size=6)
    assert response.status_code == 200, response.json()
    assert response.json()["table_ids"] == [table.pk, t2.pk]
    assert held(booked["id"]) == [table.pk, t2.pk]
    response = patch(booked["id"], table_ids=[t3.pk], party_size=2)
    assert response.status_code == 200, response.json()
    assert held(booked["id"]) == [t3.pk]


def test_the_same_tables_again_change_nothing(post, patch, table, t2, joined):
    booked = post(table_ids=[table.pk, t2.pk], party_size=6).json()
    response = patch(booked["id"], table_ids=[t2.pk, table.pk])
    assert response.status_code == 200
    assert response.json()["updated_at"] == booked["updated_at"]


def test_a_party_change_at_a_combination_keeps_its_limits(
    post, patch, manager, staff_user, table, t2, joined
):
    booked = post(table_ids=[table.pk, t2.pk], party_size=6).json()
    for party in (4, 9):
        refused(patch(booked["id"], party_size=party), 400, "party_size")
    assert patch(booked["id"], party_size=7).status_code == 200
    refused(patch(booked["id"], party_size=4, override_tables=True), 403, "override_tables")
    response = patch(booked["id"], manager, party_size=4, override_tables=True)
    assert response.status_code == 200, response.json()
    assert held(booked["id"]) == [table.pk, t2.pk]


def test_a_set_a_manager_chose_keeps_to_its_seats(post, patch, manager, table, t3):
    booked = post(manager, table_ids=[table.pk, t3.pk], party_size=5, override_tables=True)
    booked = booked.json()
    # The host changes the party: no combination to hold it to, the seats (six) do.
    assert patch(booked["id"], party_size=6).status_code == 200
    refused(patch(booked["id"], party_size=7), 400, "party_size")
    # Moving onto another set that is no combination is the manager's.
    refused(
        patch(
            booked["id"],
            table_ids=[table.pk, t3.pk, TableFactory(restaurant=table.restaurant, number="9").pk],
        ),
        400,
        "table_ids",
    )


def test_guests_never_move_onto_tables_of_their_choice(post, patch, guest_user, table, t2, joined):
    booked = post(guest_user, customer_id=None, party_size=2).json()
    refused(patch(booked["id"], guest_user, table_ids=[table.pk, t2.pk]), 403, "table_ids")
    refused(patch(booked["id"], guest_user, override_tables=True), 403, "override_tables")


def test_a_change_with_table_id_and_table_ids_is_400(post, patch, table, t2, joined):
    booked = post(table_id=table.pk, party_size=2).json()
    refused(patch(booked["id"], table_id=t2.pk, table_ids=[table.pk, t2.pk]), 400, "table_ids")
    refused(patch(booked["id"], table_ids=[]), 400, "table_ids")
