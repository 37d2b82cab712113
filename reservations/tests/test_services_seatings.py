"""Choosing a seating (issue 14): without a table, the smallest free single table that seats
the party; else the combination that seats it with the fewest spare seats, then the fewest
tables, then the sorted table numbers, all of whose tables are free; availability offers the
same seatings in the same order."""

from datetime import UTC, datetime, time, timedelta

import pytest

from core import locking
from core.errors import Conflict, ValidationFailed
from reservations.availability import compute_days
from reservations.models import Occupancy
from reservations.selectors import seatings_free_for
from reservations.services import table_guard
from reservations.services.booking import AUTO_PICK_ATTEMPTS
from reservations.tests.factories import NOW, SEED_DATE, ReservationFactory
from restaurants import services as restaurant_services
from restaurants.combinations import table_combination_create, table_combination_update
from restaurants.selectors import party_sizes_seated
from restaurants.tests.factories import TableFactory

pytestmark = pytest.mark.django_db
SEED_START = datetime(2025, 8, 30, 17, 0, tzinfo=UTC)  # 19:00 in Madrid


@pytest.fixture
def floor(restaurant, table, clock):
    """Four tables and four combinations. For a party of six (no table seats it alone) the
    order is: 1+2 (no spare seat, two tables), 2+3+4 (no spare seat, three tables), 1+3 and
    3+4 (two spare seats each, two tables; "1","3" sorts before "3","4")."""
    t1 = table  # number "1", four seats
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=2)
    t3 = TableFactory(restaurant=restaurant, number="3", capacity=4)
    t4 = TableFactory(restaurant=restaurant, number="4", capacity=4)
    made = {
        "1+2": table_combination_create(restaurant=restaurant, table_ids=[t2.pk, t1.pk]),
        "3+4": table_combination_create(restaurant=restaurant, table_ids=[t3.pk, t4.pk]),
        "1+3": table_combination_create(restaurant=restaurant, table_ids=[t1.pk, t3.pk]),
        "2+3+4": table_combination_create(
            restaurant=restaurant, table_ids=[t2.pk, t3.pk, t4.pk], capacity=6
        ),
    }
    return {"1": t1, "2": t2, "3": t3, "4": t4}, made


def ids(*tables) -> list[int]:
    return sorted(table.pk for table in tables)


def seated_at(reservation) -> list[int]:
    return list(
        Occupancy.objects.filter(reservation=reservation)
        .order_by("table_id")
        .values_list("table_id", flat=True)
    )


def free(restaurant, party_size, limit=None, start=SEED_START) -> list[list[int]]:
    found = seatings_free_for(
        restaurant_id=restaurant.pk,
        party_size=party_size,
        start_at=start,
        end_at=start + timedelta(minutes=90),
        now=NOW,
        limit=limit,
    )
    return [[table.pk for table in seating] for seating in found]


def test_a_free_single_table_comes_before_any_combination(book, restaurant, floor):
    tables, _ = floor
    reservation = book(table_id=None, party_size=2)
    # The 2-seat table, though 1+2 would also seat two.
    assert seated_at(reservation) == [tables["2"].pk]


def test_without_a_single_table_the_combination_with_the_fewest_spare_seats(
    book, restaurant, floor
):
    tables, _ = floor
    reservation = book(table_id=None, party_size=6)
    assert seated_at(reservation) == ids(tables["1"], tables["2"])
    assert reservation.table_id == min(ids(tables["1"], tables["2"]))


def test_combinations_are_ordered_by_spare_seats_then_tables_then_numbers(restaurant, floor):
    t = floor[0]
    assert free(restaurant, 6) == [
        ids(t["1"], t["2"]),
        ids(t["2"], t["3"], t["4"]),
        ids(t["1"], t["3"]),
        ids(t["3"], t["4"]),
    ]
    # Singles first, smallest first, then every combination that seats four.
    assert free(restaurant, 4)[:3] == [[t["1"].pk], [t["3"].pk], [t["4"].pk]]
    assert free(restaurant, 4)[3] == ids(t["1"], t["2"])
    assert len(free(restaurant, 6, limit=AUTO_PICK_ATTEMPTS)) == AUTO_PICK_ATTEMPTS


def test_numbers_break_ties_as_text(restaurant, clock):
    """Equal spare seats and table counts: the sorted tuple of the tables' numbers decides,
    compared as text ("10" before "9")."""
    nine, ten, a, b = (
        TableFactory(restaurant=restaurant, number=number, capacity=3)
        for number in ("9", "10", "a", "b")
    )
    table_combination_create(restaurant=restaurant, table_ids=[a.pk, b.pk])
    table_combination_create(restaurant=restaurant, table_ids=[nine.pk, ten.pk])
    assert free(restaurant, 6) == [ids(nine, ten), ids(a, b)]


def test_a_combination_with_a_held_table_is_passed_over(book, restaurant, floor):
    tables, _ = floor
    ReservationFactory(table=tables["2"], start_at=SEED_START + timedelta(minutes=30))
    # A lapsed hold holds nothing.
    ReservationFactory(table=tables["4"], start_at=SEED_START, lapsed=True)
    assert free(restaurant, 6) == [ids(tables["1"], tables["3"]), ids(tables["3"], tables["4"])]
    reservation = book(table_id=None, party_size=6)
    assert seated_at(reservation) == ids(tables["1"], tables["3"])


def test_inactive_combinations_and_tables_are_not_offered(restaurant, floor):
    tables, made = floor
    table_combination_update(combination=made["1+2"], data={"is_active": False})
    assert free(restaurant, 6)[0] == ids(tables["2"], tables["3"], tables["4"])
    restaurant_services.table_update(table=tables["2"], data={"is_active": False})
    assert free(restaurant, 6) == [ids(tables["1"], tables["3"]), ids(tables["3"], tables["4"])]


def test_a_combination_seats_only_parties_within_its_limits(restaurant, floor):
    tables, made = floor
    table_combination_update(combination=made["1+2"], data={"min_capacity": 6})
    assert ids(tables["1"], tables["2"]) not in free(restaurant, 5)
    assert ids(tables["1"], tables["2"]) in free(restaurant, 6)
    assert ids(tables["1"], tables["2"]) not in free(restaurant, 7)


def test_a_party_nothing_seats_is_400_and_a_full_house_409(book, restaurant, floor):
    tables, _ = floor
    with pytest.raises(ValidationFailed) as refused:
        book(table_id=None, party_size=9)  # within the policy (12), but no seating
    assert list(refused.value.details) == ["party_size"]
    for table in (tables["1"], tables["3"]):
        ReservationFactory(table=table, start_at=SEED_START)
    with pytest.raises(Conflict) as taken:
        book(table_id=None, party_size=6)
    assert taken.value.code == "slot_unavailable"


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_a_booking_moves_on_when_a_table_of_its_first_seating_is_locked(book, floor):
    tables, _ = floor
    with locking.redis_lock(table_guard.lock_name(tables["1"].pk, SEED_DATE)):
        reservation = book(table_id=None, party_size=6)
    # 1+2 is locked (table 1): the next seating, 2+3+4.
    assert seated_at(reservation) == ids(tables["2"], tables["3"], tables["4"])


def test_the_choice_takes_a_bounded_number_of_queries(
    restaurant, clock, django_assert_max_num_queries
):
    """However many combinations: the free single tables, and when fewer than the limit are
    free, the combinations and which of their tables are free."""
    tables = [TableFactory(restaurant=restaurant, number=str(n), capacity=4) for n in range(30)]
    for n in range(29):
        table_combination_create(restaurant=restaurant, table_ids=[tables[n].pk, tables[n + 1].pk])
    for table in tables[::2]:
        ReservationFactory(table=table, start_at=SEED_START)
    with django_assert_max_num_queries(3):
        assert len(free(restaurant, 8)) == 0  # every pair has a held table
    with django_assert_max_num_queries(3):
        assert len(free(restaurant, 6, limit=AUTO_PICK_ATTEMPTS)) == 0
    with django_assert_max_num_queries(1):
        assert len(free(restaurant, 2, limit=AUTO_PICK_ATTEMPTS)) == AUTO_PICK_ATTEMPTS


def test_availability_offers_the_same_seatings_in_the_same_order(book, restaurant, floor):
    tables, made = floor
    ReservationFactory(table=tables["4"], start_at=SEED_START)
    [day] = compute_days(
        restaurant=restaurant, days=[SEED_DATE], party_size=6, area=None, now=NOW
    ).values()
    slot = next(s for s in day.slots if s["time"] == "19:00")
    assert slot["tables"] == []  # no single table seats six
    assert slot["seatings"] == [
        {
            "table_ids": ids(tables["1"], tables["2"]),
            "numbers": ["1", "2"],
            "capacity": 6,
            "combination_id": made["1+2"].pk,
        },
        {
            "table_ids": ids(tables["1"], tables["3"]),
            "numbers": ["1", "3"],
            "capacity": 8,
            "combination_id": made["1+3"].pk,
        },
    ]
    assert free(restaurant, 6) == [s["table_ids"] for s in slot["seatings"]]
    # A single table is a seating too, listed first and in tables as before.
    [day] = compute_days(
        restaurant=restaurant, days=[SEED_DATE], party_size=4, area=None, now=NOW
    ).values()
    slot = next(s for s in day.slots if s["time"] == "19:00")
    assert [t["number"] for t in slot["tables"]] == ["1", "3"]
    assert slot["seatings"][:2] == [
        {"table_ids": [tables["1"].pk], "numbers": ["1"], "capacity": 4, "combination_id": None},
        {"table_ids": [tables["3"].pk], "numbers": ["3"], "capacity": 4, "combination_id": None},
    ]
    assert book(table_id=None, party_size=6, reservation_time=time(19)).table_id == tables["1"].pk


def test_availability_offers_a_combination_in_an_area_only_when_all_its_tables_are(
    restaurant, floor
):
    tables, _ = floor
    restaurant_services.table_update(table=tables["3"], data={"area": "outdoor"})
    restaurant_services.table_update(table=tables["4"], data={"area": "outdoor"})
    [day] = compute_days(
        restaurant=restaurant, days=[SEED_DATE], party_size=6, area="outdoor", now=NOW
    ).values()
    assert {tuple(s["table_ids"]) for s in day.slots[0]["seatings"]} == {
        tuple(ids(tables["3"], tables["4"]))
    }


def test_a_guest_may_choose_a_party_only_a_combination_seats(restaurant, floor):
    assert party_sizes_seated(restaurant) == list(range(1, 9))
