"""Writes for table combinations: two or more of a restaurant's tables joined for one party.

The rules (docs/api-restaurants.md, "Table combinations"):

* ``table_ids`` lists 2 to MAX_COMBINATION_TABLES distinct ids of the restaurant's active
  tables; anything else is InvalidTableIds naming each id refused. An id of another
  restaurant's table is refused like an unknown one, so it reveals nothing.
* ``capacity`` defaults to the sum of the tables' capacities (at most
  MAX_COMBINATION_CAPACITY), ``min_capacity`` to the smallest ``min_capacity`` of the tables
  (never above ``capacity``); ``None`` asks for the default. ``min_capacity`` is at least 1
  and at most ``capacity``.
* A set of tables is defined once per restaurant (CombinationExists). The check gives the
  clear answer; the unique key on (restaurant, table_key) is the guard. Of two concurrent
  writes of one set the second waits on the tables' locks for the first to commit, then the
  check sees it; should anything write around the check (SQLite, which takes no row locks,
  serializes writers instead), the key refuses the second insert with the same error.
* The tables are locked (``FOR NO KEY UPDATE``, in id order) while a combination of them is
  written, so a concurrent deletion or deactivation of one of them either waits for the write
  or is seen by it. Bookings inserting rows that refer to the tables are not blocked.

Every write publishes RestaurantSetupChanged in its transaction, as table edits do, so the
restaurant's cached availability is dropped once it commits.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core.errors import CombinationExists, InvalidTableIds, NotFound, ValidationFailed
from core.events import publish
from core.serializers import BIGINT_MAX
from restaurants.events import RestaurantSetupChanged
from restaurants.models import (
    MAX_COMBINATION_CAPACITY,
    Restaurant,
    Table,
    TableCombination,
    TableCombinationMember,
    table_key_of,
)

MIN_COMBINATION_TABLES = 2
MAX_COMBINATION_TABLES = 20
COMBINATION_FIELDS = ["table_ids", "min_capacity", "capacity", "is_active"]

_UNIQUE_SET = "tablecombination_tables_unique"


# --- checks ---------------------------------------------------------------------------------


def _is_table_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= BIGINT_MAX


def _checked_table_ids(value: object) -> list[int]:
    """``value`` as a list of 2 to MAX_COMBINATION_TABLES distinct table ids, in the order
    given; InvalidTableIds naming each item refused otherwise."""
    if not isinstance(value, list | tuple):
        raise InvalidTableIds.field("table_ids", "Must be a list of table ids, e.g. [3, 4].")
    if not MIN_COMBINATION_TABLES <= len(value) <= MAX_COMBINATION_TABLES:
        raise InvalidTableIds.field(
            "table_ids",
            f"A combination joins {MIN_COMBINATION_TABLES} to {MAX_COMBINATION_TABLES} tables; "
            f"{len(value)} given.",
        )
    ids: list[int] = []
    problems: list[str] = []
    for position, item in enumerate(value, start=1):
        if not _is_table_id(item):
            problems.append(f"Item {position}: must be a table id (a positive integer).")
        elif item in ids:
            problems.append(f"Item {position}: table {item} is listed more than once.")
        else:
            ids.append(item)
    if problems:
        raise InvalidTableIds(details={"table_ids": problems})
    return ids


def _restaurant_tables(restaurant_id: int, ids: list[int], *, lock: bool) -> list[Table]:
    """The active tables of the restaurant with these ids, in id order (locked when
    ``lock``); InvalidTableIds naming each id that is not one."""
    tables = Table.objects.filter(restaurant_id=restaurant_id, pk__in=ids).order_by("pk")
    if lock:
        tables = tables.select_for_update(no_key=True)
    found = {table.pk: table for table in tables}
    problems = []
    for pk in ids:
        table = found.get(pk)
        if table is None:
            problems.append(f"Table {pk} is not a table of this restaurant.")
        elif not table.is_active:
            problems.append(f"Table {pk} (number {table.number}) is inactive.")
    if problems:
        raise InvalidTableIds(details={"table_ids": problems})
    return list(found.values())


def _default_capacity(tables: Iterable[Table]) -> int:
    """The seats of the tables together, at most the largest combination's."""
    return min(sum(table.capacity for table in tables), MAX_COMBINATION_CAPACITY)


def _default_min_capacity(tables: Iterable[Table], capacity: int) -> int:
    """A party any one of the tables would take may sit at the combination too."""
    return max(1, min(min(table.min_capacity for table in tables), capacity))


def _refuse_same_set(combination: TableCombination) -> None:
    same = (
        TableCombination.objects.filter(
            restaurant_id=combination.restaurant_id, table_key=combination.table_key
        )
        .exclude(pk=combination.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if same is not None:
        raise _exists(same)


def _exists(other_pk: int | None) -> CombinationExists:
    which = f"Combination {other_pk}" if other_pk else "Another combination"
    return CombinationExists.field("table_ids", f"{which} already joins these tables.")


def _validate(combination: TableCombination) -> None:
    try:
        combination.clean_fields(exclude=["restaurant", "table_key"])
    except DjangoValidationError as exc:
        raise ValidationFailed(details=exc.message_dict) from exc
    if combination.min_capacity > combination.capacity:
        raise ValidationFailed.field("min_capacity", "Must not be larger than capacity.")
    _refuse_same_set(combination)


def _resolve(
    combination: TableCombination,
    *,
    tables: list[Table] | None,
    values: dict[str, Any],
) -> None:
    """Set the combination's tables (``tables``, None: unchanged) and the given values; a
    capacity given as None takes its default from the tables."""
    if tables is not None:
        combination.table_key = table_key_of(table.pk for table in tables)
    if "is_active" in values:
        combination.is_active = values["is_active"]
    needs_tables = values.get("capacity", 0) is None or values.get("min_capacity", 0) is None
    if tables is None and needs_tables:
        tables = list(combination.tables.all())
    if "capacity" in values:
        capacity = values["capacity"]
        combination.capacity = _default_capacity(tables) if capacity is None else capacity
    if "min_capacity" in values:
        minimum = values["min_capacity"]
        combination.min_capacity = (
            _default_min_capacity(tables, combination.capacity) if minimum is None else minimum
        )


def _stored_values(combination: TableCombination) -> tuple:
    return (
        combination.table_key,
        combination.min_capacity,
        combination.capacity,
        combination.is_active,
    )


def _prepared(
    *,
    restaurant_id: int,
    combination: TableCombination | None,
    data: dict[str, Any],
    lock: bool,
) -> tuple[TableCombination, list[Table] | None, bool]:
    """The combination with ``data`` applied, not yet validated as a whole: a new one when
    ``combination`` is None (what ``data`` leaves out takes its default), else the stored row
    (locked when ``lock``, as are the new tables). Also its new tables (None: unchanged) and
    whether anything changed."""
    unknown = set(data) - set(COMBINATION_FIELDS)
    if unknown:
        raise ValidationFailed.unknown_fields(unknown)
    if combination is None:
        target = TableCombination(restaurant_id=restaurant_id)
        data = {"table_ids": None, "capacity": None, "min_capacity": None, **data}
    else:
        rows = TableCombination.objects.filter(pk=combination.pk)
        target = (rows.select_for_update() if lock else rows).first()
        if target is None:
            raise NotFound("The combination is gone.")
    before = _stored_values(target)
    tables = None
    if "table_ids" in data:
        ids = _checked_table_ids(data["table_ids"])
        tables = _restaurant_tables(restaurant_id, ids, lock=lock)
    _resolve(target, tables=tables, values=data)
    return target, tables, target.pk is None or _stored_values(target) != before


def table_combination_validate(
    *,
    restaurant: Restaurant,
    data: dict[str, Any],
    combination: TableCombination | None = None,
) -> None:
    """Raise what writing ``data`` (the fields of a new combination, or the changed ones of
    ``combination``) would raise, writing nothing: the admin's forms check with it before
    anything is saved."""
    target, _, _ = _prepared(
        restaurant_id=restaurant.pk, combination=combination, data=data, lock=False
    )
    _validate(target)


# --- writes ---------------------------------------------------------------------------------


def _write(combination: TableCombination, *, tables: list[Table] | None) -> TableCombination:
    """Save the validated combination and, when ``tables`` is given, make them its members."""
    _validate(combination)
    try:
        with transaction.atomic():
            combination.save()
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if name == _UNIQUE_SET or "restaurants_tablecombination.table_key" in str(exc):
            # The same set, committed by a concurrent write after the check above.
            raise _exists(None) from exc
        raise
    if tables is not None:
        ids = [table.pk for table in tables]
        members = TableCombinationMember.objects.filter(combination=combination)
        members.exclude(table_id__in=ids).delete()
        kept = set(members.values_list("table_id", flat=True))
        TableCombinationMember.objects.bulk_create(
            TableCombinationMember(combination=combination, table=table)
            for table in tables
            if table.pk not in kept
        )
    publish(RestaurantSetupChanged(restaurant_id=combination.restaurant_id))
    return combination


@transaction.atomic
def table_combination_create(
    *,
    restaurant: Restaurant,
    table_ids: object,
    min_capacity: int | None = None,
    capacity: int | None = None,
    is_active: bool = True,
) -> TableCombination:
    """Define a combination of the restaurant's tables (the rules: the module's docstring)."""
    combination, tables, _ = _prepared(
        restaurant_id=restaurant.pk,
        combination=None,
        data={
            "table_ids": table_ids,
            "min_capacity": min_capacity,
            "capacity": capacity,
            "is_active": is_active,
        },
        lock=True,
    )
    return _write(combination, tables=tables)


@transaction.atomic
def table_combination_update(
    *, combination: TableCombination, data: dict[str, Any]
) -> TableCombination:
    """Change what ``data`` names (a PATCH): new ``table_ids`` keep the stored capacities
    unless they are given too (None: the default from the tables); the values together must
    still hold. Nothing changed, nothing is written."""
    locked, tables, changed = _prepared(
        restaurant_id=combination.restaurant_id, combination=combination, data=data, lock=True
    )
    return _write(locked, tables=tables) if changed else locked


@transaction.atomic
def table_combination_replace(
    *,
    combination: TableCombination,
    table_ids: object,
    min_capacity: int | None = None,
    capacity: int | None = None,
    is_active: bool = True,
) -> TableCombination:
    """Replace the whole combination (a PUT): what is left out takes its default, as when
    the combination is created."""
    return table_combination_update(
        combination=combination,
        data={
            "table_ids": table_ids,
            "capacity": capacity,
            "min_capacity": min_capacity,
            "is_active": is_active,
        },
    )


@transaction.atomic
def table_combination_delete(*, combination: TableCombination) -> None:
    """Nothing refers to a combination (reservations hold tables), so it simply goes."""
    restaurant_id = combination.restaurant_id
    combination.delete()
    publish(RestaurantSetupChanged(restaurant_id=restaurant_id))
