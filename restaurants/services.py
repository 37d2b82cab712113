"""Writes for restaurants, their policy, hours, closures, turn times, tables and staff.

Every function validates (field validators, cross-field rules, constraints, cross-row rules),
writes inside one transaction and returns the object. Cross-row rules (periods that must not
overlap) are checked under a row lock on the restaurant, so two concurrent edits of one
restaurant are serialized; the database's constraints remain the final guard.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from accounts.models import User
from accounts.phones import normalize_phone
from core.errors import (
    TableHasReservations,
    TableInCombination,
    TimezoneHasReservations,
    ValidationFailed,
)
from core.events import publish
from core.timezones import NON_CANONICAL_MESSAGE, is_canonical_timezone
from core.validation import apply_changes, validate_instance
from restaurants.embedding import normalize_embed_origins
from restaurants.events import RestaurantSetupChanged
from restaurants.hooks import reservation_guard
from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
    TableCombinationMember,
)

RESTAURANT_FIELDS = [
    "name",
    "slug",
    "timezone",
    "address",
    "phone",
    "email",
    "is_active",
    "slot_interval_minutes",
    "default_duration_minutes",
    "min_party_size",
    "max_party_size",
    "min_notice_minutes",
    "max_days_ahead",
    "hold_minutes",
    "reminder_minutes_before",
    "auto_confirm",
    "max_covers_per_slot",
    "max_parties_per_slot",
    "embed_origins",
]
TABLE_FIELDS = ["number", "capacity", "min_capacity", "area", "is_active"]
OPENING_HOURS_FIELDS = ["weekday", "opens_at", "closes_at", "name"]
CLOSURE_FIELDS = ["starts_on", "ends_on", "reason"]
DURATION_RULE_FIELDS = ["min_party", "max_party", "duration_minutes"]

# A constraint the checks could not foresee (a concurrent insert of the same value) is still
# reported on the field it concerns.
_CONSTRAINT_FIELDS = {
    "table_number_unique": "number",
    "durationrule_no_overlap": "min_party",
    "membership_unique": "user_id",
    "restaurants_restaurant_slug_key": "slug",
}

CrossFieldRules = Callable[[Any], dict[str, str]]


def _validate(
    instance: models.Model, *, rules: CrossFieldRules | None = None, exclude=None
) -> None:
    """Field validators first, so the rules compare clean, typed values; then the cross-field
    rules, each naming the field it concerns (the check constraints that back them would
    only say "non_field_errors"); then the model's unique and check constraints."""
    try:
        instance.clean_fields(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed(details=exc.message_dict) from exc
    errors = rules(instance) if rules else {}
    if errors:
        raise ValidationFailed(details={field: [message] for field, message in errors.items()})
    validate_instance(instance, exclude=exclude)


_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def _refused_field(exc: IntegrityError, model: type[models.Model]) -> str:
    """The field a refusal of the database concerns. PostgreSQL names the constraint; SQLite
    names the columns of the unique key instead ("UNIQUE constraint failed:
    restaurants_table.restaurant_id, restaurants_table.number"), which name the model's
    unique field or unique constraint."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    message = str(exc)
    if name is None and message.startswith(_SQLITE_UNIQUE):
        columns = {c.rsplit(".", 1)[-1] for c in message.removeprefix(_SQLITE_UNIQUE).split(", ")}
        for field in model._meta.concrete_fields:
            if field.unique and {field.column} == columns:
                return field.name
        for constraint in model._meta.total_unique_constraints:
            if {model._meta.get_field(f).column for f in constraint.fields} == columns:
                name = constraint.name
    return _CONSTRAINT_FIELDS.get(name or "", "non_field_errors")


# What a booking stands on: a change to any of these changes the restaurant's availability.
_SETUP_MODELS = (Restaurant, Table, OpeningHours, Closure, DurationRule)


def _setup_changed(instance: models.Model) -> None:
    """Tell the apps above (RestaurantSetupChanged): reservations makes every cached
    availability answer of the restaurant unreachable once the transaction commits."""
    if isinstance(instance, _SETUP_MODELS):
        restaurant_id = instance.pk if isinstance(instance, Restaurant) else instance.restaurant_id
        publish(RestaurantSetupChanged(restaurant_id=restaurant_id))


def _save(instance, *, rules: CrossFieldRules | None = None, exclude: list[str] | None = None):
    """Validate and save; an integrity error the checks did not foresee (a concurrent insert
    of the same unique value) is still a 400, never a 500."""
    _validate(instance, rules=rules, exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        message = "The change conflicts with existing data."
        field = _refused_field(exc, type(instance))
        raise ValidationFailed(message, details={field: [message]}) from exc
    _setup_changed(instance)
    return instance


def _delete(instance: models.Model) -> None:
    instance.delete()
    _setup_changed(instance)


def _lock_restaurant(restaurant: Restaurant) -> None:
    Restaurant.objects.select_for_update().filter(pk=restaurant.pk).first()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "restaurant"
    slug, n = base, 2
    while Restaurant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- restaurant -----------------------------------------------------------------------------


def _restaurant_rules(restaurant: Restaurant) -> dict[str, str]:
    if restaurant.min_party_size > restaurant.max_party_size:
        return {"min_party_size": "Must not be larger than max_party_size."}
    return {}


def _require_canonical_timezone(name: str) -> None:
    """A zone given now must be a canonical name (core.timezones); a zone a restaurant already
    has stays valid (the model accepts any zone ``zoneinfo`` loads), so only new values are
    checked."""
    if not is_canonical_timezone(name):
        raise ValidationFailed.field("timezone", NON_CANONICAL_MESSAGE)


@transaction.atomic
def restaurant_create(*, name: str, timezone: str, **fields: Any) -> Restaurant:
    """Create a restaurant with its booking policy; the slug is derived from the name when
    not given, the phone is stored in E.164, the time zone is a canonical IANA name, the
    embed origins are web origins in their normal form (400 ``invalid_embed_origins``)."""
    unknown = set(fields) - set(RESTAURANT_FIELDS)
    if unknown:
        raise ValidationFailed.unknown_fields(unknown)
    _require_canonical_timezone(timezone)
    if "embed_origins" in fields:
        fields["embed_origins"] = normalize_embed_origins(fields["embed_origins"])
    restaurant = Restaurant(name=name, timezone=timezone, **fields)
    restaurant.phone = normalize_phone(restaurant.phone)
    if not restaurant.slug:
        restaurant.slug = _unique_slug(name)
    return _save(restaurant, rules=_restaurant_rules)


def _refuse_zone_change_with_reservations_ahead(restaurant: Restaurant) -> None:
    """A reservation keeps its local date and time next to its UTC start; under another zone
    they would no longer match (lists by date, the admin, e-mails and changes read them)."""
    ahead = reservation_guard.get().reservations_ahead(restaurant)
    if ahead:
        raise TimezoneHasReservations(
            "The time zone cannot change while reservations are ahead: their local dates and "
            "times would no longer match their start. Change it once they are over or "
            "cancelled.",
            details={"timezone": [f"{ahead} pending, confirmed or seated reservation(s) ahead."]},
        )


@transaction.atomic
def restaurant_update(*, restaurant: Restaurant, data: dict[str, Any]) -> Restaurant:
    """Change the restaurant and its policy (party sizes stay a valid range). The time zone
    changes only to a canonical IANA name, and only while no pending, confirmed or seated
    reservation is still to end (409 ``timezone_has_reservations``). The embed origins are
    replaced as a whole, normalised (400 ``invalid_embed_origins``)."""
    _lock_restaurant(restaurant)
    if "phone" in data:
        data = {**data, "phone": normalize_phone(data["phone"])}
    if "embed_origins" in data:
        data = {**data, "embed_origins": normalize_embed_origins(data["embed_origins"])}
    changed = apply_changes(restaurant, data, RESTAURANT_FIELDS)
    if "timezone" in changed:
        _require_canonical_timezone(restaurant.timezone)
    if changed:
        _save(restaurant, rules=_restaurant_rules)
    if "timezone" in changed:
        # After the save's validation, so an unknown zone is a 400 first; the refusal rolls
        # the save back. A booking inserted but not yet committed holds a key-share lock on
        # the restaurant's row (its foreign key): the lock above waited for it, so it counts.
        _refuse_zone_change_with_reservations_ahead(restaurant)
    return restaurant


@transaction.atomic
def restaurant_deactivate(*, restaurant: Restaurant) -> Restaurant:
    """Hide the restaurant from the public and stop new bookings; its history stays."""
    return restaurant_update(restaurant=restaurant, data={"is_active": False})


# --- tables ---------------------------------------------------------------------------------


def _table_rules(table: Table) -> dict[str, str]:
    errors = {}
    if table.min_capacity > table.capacity:
        errors["min_capacity"] = "Must not be larger than capacity."
    same_number = Table.objects.filter(restaurant_id=table.restaurant_id, number=table.number)
    if same_number.exclude(pk=table.pk).exists():
        errors["number"] = "The restaurant already has a table with this number."
    return errors


@transaction.atomic
def table_create(*, restaurant: Restaurant, **fields: Any) -> Table:
    """A table's number is unique in its restaurant; it seats min_capacity..capacity."""
    table = Table(restaurant=restaurant, **{k: v for k, v in fields.items() if k in TABLE_FIELDS})
    return _save(table, rules=_table_rules)


@transaction.atomic
def table_update(*, table: Table, data: dict[str, Any]) -> Table:
    changed = apply_changes(table, data, TABLE_FIELDS)
    if changed:
        _save(table, rules=_table_rules)
    return table


def _refuse_deleting_a_combined_table(table: Table) -> None:
    """A combination cannot lose a table behind the manager's back (it might be left with
    one, or become another combination's set): they change or delete it first. Deactivating
    the table is allowed; its combinations are then not offered until it is active again.
    The table's row lock (taken by the caller) makes a concurrent write of a combination of
    it wait, or be seen here."""
    combination_ids = sorted(
        TableCombinationMember.objects.filter(table=table).values_list("combination_id", flat=True)
    )
    if combination_ids:
        raise TableInCombination(details={"combination_ids": combination_ids})


@transaction.atomic
def table_delete(*, table: Table) -> Table | None:
    """A table with reservations still ahead cannot be deleted (deactivate it instead), nor
    one that is part of a table combination (409 ``table_in_combination``); one with only
    past reservations is kept for their history, deactivated, and returned. None means the
    table is gone."""
    locked = Table.objects.select_for_update().get(pk=table.pk)
    if reservation_guard.get().table_has_reservations_ahead(locked):
        raise TableHasReservations()
    _refuse_deleting_a_combined_table(locked)
    try:
        _delete(locked)
    except ProtectedError:
        # Rows that refer to the table protect it (its past reservations): Django refuses
        # before deleting anything, and the table stays for their history.
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        _setup_changed(locked)
        return locked
    return None


# --- opening hours --------------------------------------------------------------------------

WEEK = 7 * 1440


def _week_interval(period: OpeningHours) -> tuple[int, int]:
    start = period.weekday * 1440 + period.opens_at.hour * 60 + period.opens_at.minute
    return start, start + period.length_minutes


def _overlaps_in_week(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # A period after midnight on Sunday runs into Monday: compare across the week's wrap.
    return any(a[0] < b[1] + shift and b[0] + shift < a[1] for shift in (-WEEK, 0, WEEK))


def opening_hours_overlap(
    period: OpeningHours, others: Iterable[OpeningHours]
) -> OpeningHours | None:
    """The first of ``others`` whose time overlaps ``period`` in the weekly cycle, counting
    the hours after midnight of a period that closes the next day (the admin checks a whole
    form set of periods with this too)."""
    mine = _week_interval(period)
    return next((o for o in others if _overlaps_in_week(mine, _week_interval(o))), None)


def _opening_hours_rules(period: OpeningHours) -> dict[str, str]:
    others = OpeningHours.objects.filter(restaurant_id=period.restaurant_id).exclude(pk=period.pk)
    other = opening_hours_overlap(period, others)
    return {"opens_at": f"Overlaps the period {other}."} if other else {}


@transaction.atomic
def opening_hours_create(*, restaurant: Restaurant, **fields: Any) -> OpeningHours:
    """Periods of one restaurant never overlap, including periods that run past midnight.
    Equal opening and closing times make a 24-hour period (it closes the next day)."""
    _lock_restaurant(restaurant)
    period = OpeningHours(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in OPENING_HOURS_FIELDS}
    )
    return _save(period, rules=_opening_hours_rules)


@transaction.atomic
def opening_hours_update(*, period: OpeningHours, data: dict[str, Any]) -> OpeningHours:
    _lock_restaurant(period.restaurant)
    if apply_changes(period, data, OPENING_HOURS_FIELDS):
        _save(period, rules=_opening_hours_rules)
    return period


@transaction.atomic
def opening_hours_delete(*, period: OpeningHours) -> None:
    _delete(period)


# --- closures -------------------------------------------------------------------------------


def _closure_rules(closure: Closure) -> dict[str, str]:
    if closure.ends_on < closure.starts_on:
        return {"ends_on": "Must not be before starts_on."}
    return {}


@transaction.atomic
def closure_create(*, restaurant: Restaurant, **fields: Any) -> Closure:
    """A closure spans starts_on..ends_on, both included, in the restaurant's local dates."""
    closure = Closure(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in CLOSURE_FIELDS}
    )
    return _save(closure, rules=_closure_rules)


@transaction.atomic
def closure_update(*, closure: Closure, data: dict[str, Any]) -> Closure:
    if apply_changes(closure, data, CLOSURE_FIELDS):
        _save(closure, rules=_closure_rules)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure) -> None:
    _delete(closure)


# --- duration rules -------------------------------------------------------------------------

_NO_UPPER_BOUND = 10**6


def duration_rules_overlap(
    rule: DurationRule, others: Iterable[DurationRule]
) -> DurationRule | None:
    """The first of ``others`` whose party-size range shares a size with ``rule``'s (an empty
    max_party is open-ended)."""
    upper = rule.max_party if rule.max_party is not None else _NO_UPPER_BOUND
    for other in others:
        other_upper = other.max_party if other.max_party is not None else _NO_UPPER_BOUND
        if rule.min_party <= other_upper and other.min_party <= upper:
            return other
    return None


def _duration_rule_rules(rule: DurationRule) -> dict[str, str]:
    if rule.max_party is not None and rule.max_party < rule.min_party:
        return {"max_party": "Must not be smaller than min_party."}
    others = DurationRule.objects.filter(restaurant_id=rule.restaurant_id).exclude(pk=rule.pk)
    other = duration_rules_overlap(rule, others)
    return {"min_party": f"Overlaps the rule {other}."} if other else {}


@transaction.atomic
def duration_rule_create(*, restaurant: Restaurant, **fields: Any) -> DurationRule:
    """Ranges of one restaurant never overlap (checked here, guarded by an exclusion
    constraint on PostgreSQL)."""
    _lock_restaurant(restaurant)
    rule = DurationRule(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in DURATION_RULE_FIELDS}
    )
    return _save(rule, rules=_duration_rule_rules)


@transaction.atomic
def duration_rule_update(*, rule: DurationRule, data: dict[str, Any]) -> DurationRule:
    _lock_restaurant(rule.restaurant)
    if apply_changes(rule, data, DURATION_RULE_FIELDS):
        _save(rule, rules=_duration_rule_rules)
    return rule


@transaction.atomic
def duration_rule_delete(*, rule: DurationRule) -> None:
    _delete(rule)


# --- staff ----------------------------------------------------------------------------------


@transaction.atomic
def membership_create(*, restaurant: Restaurant, user: User, role: str) -> StaffMembership:
    """A user holds at most one role per restaurant."""
    if StaffMembership.objects.filter(restaurant=restaurant, user=user).exists():
        raise ValidationFailed.field("user_id", "This user is already on the restaurant's staff.")
    return _save(StaffMembership(restaurant=restaurant, user=user, role=role))


@transaction.atomic
def membership_update(*, membership: StaffMembership, role: str) -> StaffMembership:
    membership.role = role
    return _save(membership)


@transaction.atomic
def membership_delete(*, membership: StaffMembership) -> None:
    membership.delete()
