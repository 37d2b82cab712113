"""Table combinations through the services: what a set of tables must be, the capacities and
their defaults, one set once per restaurant (also when two writes race), what happens to a
combination when one of its tables is deactivated or deleted, the selector the seating
choice reads, and the setup event every write publishes."""

import threading
from datetime import timedelta
from functools import partial

import pytest
from django.db import IntegrityError, connections, transaction
from django.db.models import RestrictedError

from core import events
from core.clock import now
from core.errors import (
    CombinationExists,
    InvalidTableIds,
    NotFound,
    TableHasReservations,
    TableInCombination,
    ValidationFailed,
)
from restaurants import combinations, selectors, services
from restaurants.events import RestaurantSetupChanged
from restaurants.models import Table, TableCombination, TableCombinationMember
from restaurants.selectors import CombinationSeating
from restaurants.tests.factories import RestaurantFactory, TableFactory

pytestmark = pytest.mark.django_db

create = combinations.table_combination_create


@pytest.fixture
def tables(restaurant):
    """Tables 1 (2-4 seats), 2 (2-4), 3 (1-6) and 4 (1-2) of R."""
    return [
        TableFactory(restaurant=restaurant, number="1", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="2", capacity=4, min_capacity=2),
        TableFactory(restaurant=restaurant, number="3", capacity=6, min_capacity=1),
        TableFactory(restaurant=restaurant, number="4", capacity=2, min_capacity=1),
    ]


def ids(*tables):
    return [table.pk for table in tables]


def refusal(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value


# --- what a set of tables must be -----------------------------------------------------------


def test_a_combination_of_two_tables_with_the_default_capacities(restaurant, tables):
    t1, t2, *_ = tables
    combination = create(restaurant=restaurant, table_ids=[t2.pk, t1.pk])
    combination.refresh_from_db()
    assert combination.table_ids == sorted([t1.pk, t2.pk])
    assert combination.table_key == f"{min(t1.pk, t2.pk)},{max(t1.pk, t2.pk)}"
    assert set(combination.tables.all()) == {t1, t2}
    assert (combination.min_capacity, combination.capacity) == (2, 8)
    assert combination.is_active is True
    assert str(combination) == "Tables 1+2 (2-8)"


def test_the_default_min_capacity_is_the_smallest_of_the_tables_never_above_capacity(
    restaurant, tables
):
    t1, _, t3, _ = tables
    assert create(restaurant=restaurant, table_ids=ids(t1, t3)).min_capacity == 1
    t2 = tables[1]
    tight = create(restaurant=restaurant, table_ids=ids(t1, t2), capacity=1)
    assert (tight.min_capacity, tight.capacity) == (1, 1)


def test_the_default_capacity_stops_at_the_largest_a_combination_seats(restaurant):
    big = [TableFactory(restaurant=restaurant, capacity=50) for _ in range(3)]
    assert create(restaurant=restaurant, table_ids=ids(*big)).capacity == 100


def test_given_capacities_are_kept(restaurant, tables):
    t1, t2, *_ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2), min_capacity=5, capacity=7)
    assert (combination.min_capacity, combination.capacity) == (5, 7)


@pytest.mark.parametrize(
    "value",
    [None, "1,2", 12, {"a": 1}],
    ids=["null", "a string", "a number", "an object"],
)
def test_table_ids_that_are_not_a_list(restaurant, tables, value):
    error = refusal(lambda: create(restaurant=restaurant, table_ids=value))
    assert isinstance(error, InvalidTableIds) and error.code == "invalid_table_ids"
    assert error.details == {"table_ids": ["Must be a list of table ids, e.g. [3, 4]."]}


@pytest.mark.parametrize("count", [0, 1, 21])
def test_fewer_than_two_or_more_than_twenty_tables(restaurant, count):
    many = [TableFactory(restaurant=restaurant, capacity=1) for _ in range(count)]
    error = refusal(lambda: create(restaurant=restaurant, table_ids=ids(*many)))
    assert error.code == "invalid_table_ids"
    assert error.details == {"table_ids": [f"A combination joins 2 to 20 tables; {count} given."]}
    assert not TableCombination.objects.exists()


def test_twenty_tables_are_allowed(restaurant):
    many = [TableFactory(restaurant=restaurant, capacity=1) for _ in range(20)]
    assert len(create(restaurant=restaurant, table_ids=ids(*many)).table_ids) == 20


def test_a_table_listed_twice(restaurant, tables):
    t1, t2, *_ = tables
    error = refusal(lambda: create(restaurant=restaurant, table_ids=[t1.pk, t2.pk, t1.pk]))
    assert error.code == "invalid_table_ids"
    assert error.details == {"table_ids": [f"Item 3: table {t1.pk} is listed more than once."]}


def test_the_same_table_twice_is_not_two_tables(restaurant, tables):
    t1 = tables[0]
    error = refusal(lambda: create(restaurant=restaurant, table_ids=[t1.pk, t1.pk]))
    assert error.code == "invalid_table_ids"
    assert not TableCombination.objects.exists()


@pytest.mark.parametrize("item", ["3", 2.0, True, 0, -4, 2**63, None, [1]], ids=repr)
def test_an_item_that_is_not_a_table_id(restaurant, tables, item):
    error = refusal(lambda: create(restaurant=restaurant, table_ids=[tables[0].pk, item]))
    assert error.code == "invalid_table_ids"
    assert error.details == {"table_ids": ["Item 2: must be a table id (a positive integer)."]}


def test_unknown_ids_and_tables_of_another_restaurant_are_refused_alike(
    restaurant, other_restaurant, tables
):
    theirs = TableFactory(restaurant=other_restaurant)
    unknown = max(Table.objects.values_list("pk", flat=True)) + 1000
    error = refusal(
        lambda: create(restaurant=restaurant, table_ids=[tables[0].pk, theirs.pk, unknown])
    )
    assert error.code == "invalid_table_ids"
    assert error.details == {
        "table_ids": [
            f"Table {theirs.pk} is not a table of this restaurant.",
            f"Table {unknown} is not a table of this restaurant.",
        ]
    }
    assert not TableCombination.objects.exists()


def test_an_inactive_table_is_refused(restaurant, tables):
    t1, t2, *_ = tables
    services.table_update(table=t2, data={"is_active": False})
    error = refusal(lambda: create(restaurant=restaurant, table_ids=ids(t1, t2)))
    assert error.code == "invalid_table_ids"
    assert error.details == {"table_ids": [f"Table {t2.pk} (number 2) is inactive."]}


# --- capacities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"min_capacity": 0}, "min_capacity"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 101}, "capacity"),
        ({"min_capacity": 101, "capacity": 100}, "min_capacity"),
        ({"min_capacity": 6, "capacity": 5}, "min_capacity"),
        ({"min_capacity": 9}, "min_capacity"),  # above the default capacity, 8
    ],
)
def test_capacities_out_of_range(restaurant, tables, given, field):
    t1, t2, *_ = tables
    error = refusal(lambda: create(restaurant=restaurant, table_ids=ids(t1, t2), **given))
    assert error.code == "validation_error"
    assert set(error.details) == {field}
    assert not TableCombination.objects.exists()


def test_the_database_guards_the_capacity_range_too(restaurant, tables):
    with pytest.raises(IntegrityError), transaction.atomic():
        TableCombination.objects.create(
            restaurant=restaurant, table_key="1,2", min_capacity=5, capacity=4
        )


# --- one set once per restaurant ------------------------------------------------------------


def test_the_same_set_twice_is_refused_in_any_order(restaurant, tables):
    t1, t2, *_ = tables
    first = create(restaurant=restaurant, table_ids=ids(t1, t2))
    error = refusal(lambda: create(restaurant=restaurant, table_ids=ids(t2, t1), capacity=6))
    assert isinstance(error, CombinationExists) and error.code == "combination_exists"
    assert error.details == {"table_ids": [f"Combination {first.pk} already joins these tables."]}
    assert TableCombination.objects.count() == 1


def test_a_superset_or_another_restaurants_same_numbers_are_other_sets(
    restaurant, other_restaurant, tables
):
    t1, t2, t3, _ = tables
    create(restaurant=restaurant, table_ids=ids(t1, t2))
    create(restaurant=restaurant, table_ids=ids(t1, t2, t3))
    theirs = [TableFactory(restaurant=other_restaurant, number=n) for n in ("1", "2")]
    create(restaurant=other_restaurant, table_ids=ids(*theirs))
    assert TableCombination.objects.count() == 3


def test_the_database_refuses_a_second_row_of_one_set(restaurant, tables):
    t1, t2, *_ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2))
    with pytest.raises(IntegrityError), transaction.atomic():
        TableCombination.objects.create(
            restaurant=restaurant, table_key=combination.table_key, min_capacity=1, capacity=8
        )


def test_moving_a_combination_onto_another_ones_set_is_refused(restaurant, tables):
    t1, t2, t3, _ = tables
    first = create(restaurant=restaurant, table_ids=ids(t1, t2))
    second = create(restaurant=restaurant, table_ids=ids(t1, t3))
    error = refusal(
        lambda: combinations.table_combination_update(
            combination=second, data={"table_ids": ids(t2, t1)}
        )
    )
    assert error.code == "combination_exists"
    assert error.details == {"table_ids": [f"Combination {first.pk} already joins these tables."]}
    second.refresh_from_db()
    assert second.table_ids == sorted(ids(t1, t3))


@pytest.mark.postgres_only(reason="threads with their own connections racing on row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_set_exactly_one_wins():
    restaurant = RestaurantFactory()
    t1, t2 = (TableFactory(restaurant=restaurant, number=n) for n in ("1", "2"))
    threads = 8
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    guard = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            order = [t1.pk, t2.pk] if n % 2 else [t2.pk, t1.pk]
            create(restaurant=restaurant, table_ids=order, capacity=6 + n % 2)
            outcome = "created"
        except CombinationExists:
            outcome = "combination_exists"
        except BaseException as exc:
            outcome = repr(exc)
        finally:
            connections.close_all()
        with guard:
            outcomes.append(outcome)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes) == ["combination_exists"] * (threads - 1) + ["created"]
    assert TableCombination.objects.count() == 1
    assert TableCombinationMember.objects.count() == 2


def run_together(**calls) -> dict[str, str]:
    """Run the calls at once, each in its own thread and connection: what each one ended
    with ("ok", or the error's code)."""
    barrier = threading.Barrier(len(calls))
    seen: dict[str, str] = {}

    def run(name, call) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            seen[name] = "ok"
        except BaseException as exc:
            seen[name] = getattr(exc, "code", repr(exc))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=item) for item in calls.items()]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return seen


@pytest.mark.postgres_only(reason="threads with their own connections racing on row locks")
@pytest.mark.django_db(transaction=True)
def test_a_table_deleted_while_a_combination_of_it_is_created_never_leaves_both():
    """Either the combination is created and the deletion refused (409), or the table is
    deleted and the combination refused (400): never a combination with a missing table, nor
    a database error at commit."""
    outcomes = set()
    for _ in range(6):
        restaurant = RestaurantFactory()
        t1, t2 = (TableFactory(restaurant=restaurant, number=n) for n in ("1", "2"))
        seen = run_together(
            combine=partial(create, restaurant=restaurant, table_ids=[t1.pk, t2.pk]),
            delete=partial(services.table_delete, table=t2),
        )
        outcomes.add((seen["combine"], seen["delete"]))
        combined = TableCombination.objects.filter(restaurant=restaurant).exists()
        assert combined == Table.objects.filter(pk=t2.pk).exists()
    assert outcomes <= {("ok", "table_in_combination"), ("invalid_table_ids", "ok")}, outcomes


# --- changing and deleting ------------------------------------------------------------------


def test_update_changes_only_what_it_is_given(restaurant, tables):
    t1, t2, t3, _ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2), capacity=6)
    changed = combinations.table_combination_update(
        combination=combination, data={"table_ids": ids(t1, t2, t3)}
    )
    assert changed.table_ids == sorted(ids(t1, t2, t3))
    assert (changed.min_capacity, changed.capacity) == (2, 6)  # kept, not re-derived
    assert set(TableCombination.objects.get().tables.all()) == {t1, t2, t3}
    assert TableCombinationMember.objects.count() == 3


def test_update_with_none_takes_the_default_from_the_tables(restaurant, tables):
    t1, t2, t3, _ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2), capacity=6, min_capacity=5)
    changed = combinations.table_combination_update(
        combination=combination, data={"capacity": None, "min_capacity": None}
    )
    assert (changed.min_capacity, changed.capacity) == (2, 8)
    changed = combinations.table_combination_update(
        combination=combination, data={"table_ids": ids(t1, t3), "capacity": None}
    )
    assert (changed.min_capacity, changed.capacity) == (2, 10)


def test_update_checks_the_values_together_with_the_stored_ones(restaurant, tables):
    t1, t2, *_ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2), capacity=6)
    error = refusal(
        lambda: combinations.table_combination_update(
            combination=combination, data={"min_capacity": 7}
        )
    )
    assert error.details == {"min_capacity": ["Must not be larger than capacity."]}
    error = refusal(
        lambda: combinations.table_combination_update(
            combination=combination, data={"table_ids": [t1.pk]}
        )
    )
    assert error.code == "invalid_table_ids"
    error = refusal(
        lambda: combinations.table_combination_update(
            combination=combination, data={"tables": ids(t1, t2)}
        )
    )
    assert error.details == {"tables": ["Unknown field."]}
    combination.refresh_from_db()
    assert (combination.table_ids, combination.capacity) == (sorted(ids(t1, t2)), 6)


def test_replace_derives_what_it_is_not_given(restaurant, tables):
    t1, t2, t3, _ = tables
    combination = create(
        restaurant=restaurant, table_ids=ids(t1, t2), capacity=6, min_capacity=5, is_active=False
    )
    replaced = combinations.table_combination_replace(
        combination=combination, table_ids=ids(t2, t3)
    )
    assert replaced.table_ids == sorted(ids(t2, t3))
    assert (replaced.min_capacity, replaced.capacity, replaced.is_active) == (1, 10, True)
    assert set(TableCombination.objects.get().tables.all()) == {t2, t3}


def test_a_combination_deleted_meanwhile_is_not_found(restaurant, tables):
    combination = create(restaurant=restaurant, table_ids=ids(*tables[:2]))
    TableCombination.objects.filter(pk=combination.pk).delete()
    with pytest.raises(NotFound):
        combinations.table_combination_update(combination=combination, data={"capacity": 5})


def test_delete_removes_the_combination_and_keeps_the_tables(restaurant, tables):
    combination = create(restaurant=restaurant, table_ids=ids(*tables[:2]))
    combinations.table_combination_delete(combination=combination)
    assert not TableCombination.objects.exists()
    assert not TableCombinationMember.objects.exists()
    assert Table.objects.filter(restaurant=restaurant).count() == 4


# --- the tables under a combination ---------------------------------------------------------


def test_a_table_in_a_combination_is_not_deleted(restaurant, tables):
    t1, t2, t3, t4 = tables
    first = create(restaurant=restaurant, table_ids=ids(t1, t2))
    second = create(restaurant=restaurant, table_ids=ids(t1, t3))
    with pytest.raises(TableInCombination) as caught:
        services.table_delete(table=t1)
    assert caught.value.status == 409 and caught.value.code == "table_in_combination"
    assert caught.value.details == {"combination_ids": sorted([first.pk, second.pk])}
    assert Table.objects.filter(pk=t1.pk, is_active=True).exists()
    assert services.table_delete(table=t4) is None  # in no combination: deleted
    combinations.table_combination_delete(combination=first)
    combinations.table_combination_delete(combination=second)
    assert services.table_delete(table=t1) is None


def test_reservations_ahead_are_named_before_combinations(restaurant, tables, book_table):
    t1, t2, *_ = tables
    create(restaurant=restaurant, table_ids=ids(t1, t2))
    book_table(table=t1, start_at=now() + timedelta(days=1))
    with pytest.raises(TableHasReservations):
        services.table_delete(table=t1)


def test_the_orm_refuses_to_delete_a_combined_table_too(restaurant, tables):
    """The member row restricts its table, so no path around the service drops a table
    from under a combination; a restaurant deleted as a whole still goes, with its tables
    and combinations."""
    create(restaurant=restaurant, table_ids=ids(*tables[:2]))
    with pytest.raises(RestrictedError), transaction.atomic():
        tables[0].delete()
    restaurant.delete()
    assert not TableCombination.objects.exists() and not Table.objects.exists()


def test_a_deactivated_table_keeps_its_combinations_out_of_the_seatings(restaurant, tables):
    t1, t2, t3, _ = tables
    kept = create(restaurant=restaurant, table_ids=ids(t1, t3))
    paused = create(restaurant=restaurant, table_ids=ids(t1, t2))
    services.table_update(table=t2, data={"is_active": False})
    assert [s.id for s in selectors.combinations_for(restaurant.pk)] == [kept.pk]
    assert TableCombination.objects.filter(pk=paused.pk).exists()
    services.table_update(table=t2, data={"is_active": True})
    assert {s.id for s in selectors.combinations_for(restaurant.pk)} == {kept.pk, paused.pk}


# --- the selector the seating choice reads --------------------------------------------------


def test_combinations_for_lists_the_active_ones_with_sorted_ids(
    restaurant, other_restaurant, tables, django_assert_num_queries
):
    t1, t2, t3, t4 = tables
    three = create(restaurant=restaurant, table_ids=[t3.pk, t1.pk, t2.pk], capacity=12)
    pair = create(restaurant=restaurant, table_ids=[t2.pk, t1.pk])
    small = create(restaurant=restaurant, table_ids=[t4.pk, t3.pk], capacity=8)
    create(restaurant=restaurant, table_ids=ids(t1, t4), is_active=False)
    theirs = [TableFactory(restaurant=other_restaurant) for _ in range(2)]
    create(restaurant=other_restaurant, table_ids=ids(*theirs))
    with django_assert_num_queries(1):
        seatings = selectors.combinations_for(restaurant.pk)
    # Capacity 8 twice, both of two tables: the older one first.
    assert seatings == [
        CombinationSeating(
            id=pair.pk, table_ids=tuple(sorted(ids(t1, t2))), min_capacity=2, capacity=8
        ),
        CombinationSeating(
            id=small.pk, table_ids=tuple(sorted(ids(t3, t4))), min_capacity=1, capacity=8
        ),
        CombinationSeating(
            id=three.pk, table_ids=tuple(sorted(ids(t1, t2, t3))), min_capacity=1, capacity=12
        ),
    ]
    assert selectors.combinations_for(RestaurantFactory().pk) == []


# --- the setup event ------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    seen = []
    subscribers = {
        event_type: list(handlers) for event_type, handlers in events._subscribers.items()
    }
    monkeypatch.setattr(events, "_subscribers", subscribers)
    events.subscribe(RestaurantSetupChanged, seen.append)
    return seen


def test_every_combination_write_publishes_the_setup_change(restaurant, tables, published):
    t1, t2, t3, _ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2))
    combinations.table_combination_update(combination=combination, data={"capacity": 6})
    combinations.table_combination_replace(combination=combination, table_ids=ids(t1, t3))
    combinations.table_combination_delete(combination=combination)
    assert published == [RestaurantSetupChanged(restaurant_id=restaurant.pk)] * 4


def test_refused_and_empty_writes_publish_nothing(restaurant, tables, published):
    t1, t2, *_ = tables
    combination = create(restaurant=restaurant, table_ids=ids(t1, t2))
    published.clear()
    combinations.table_combination_update(combination=combination, data={})
    combinations.table_combination_update(
        combination=combination, data={"table_ids": ids(t2, t1), "capacity": 8}
    )
    with pytest.raises(ValidationFailed):
        create(restaurant=restaurant, table_ids=[t1.pk])
    assert published == []
