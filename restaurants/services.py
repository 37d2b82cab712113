"""Writes for restaurants, their policy, hours, closures, turn times, tables and staff.

Every function validates (field validators, constraints, cross-row rules), writes inside one
transaction and returns the object. Cross-row rules (periods that must not overlap) are checked
under a row lock on the restaurant, so two concurrent edits of one restaurant are serialized;
the database's constraints remain the final guard.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.clock import now
from core.errors import Conflict, ValidationFailed
from core.validation import apply_changes, validate_instance
from customers.models import User
from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffMembership,
    Table,
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
]
TABLE_FIELDS = ["number", "capacity", "min_capacity", "area", "is_active"]
OPENING_HOURS_FIELDS = ["weekday", "opens_at", "closes_at", "name"]
CLOSURE_FIELDS = ["starts_on", "ends_on", "reason"]
DURATION_RULE_FIELDS = ["min_party", "max_party", "duration_minutes"]


def _save(instance, *, exclude: list[str] | None = None):
    """Validate and save; an integrity error the checks did not foresee (a concurrent insert
    of the same unique value) is still a 400, never a 500."""
    validate_instance(instance, exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            "The change conflicts with existing data.",
            details={"non_field_errors": ["The change conflicts with existing data."]},
        ) from exc
    return instance


def _lock_restaurant(restaurant: Restaurant) -> None:
    Restaurant.objects.select_for_update().filter(pk=restaurant.pk).first()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "restaurant"
    slug, n = base, 2
    while Restaurant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- restaurant -----------------------------------------------------------------------------


@transaction.atomic
def restaurant_create(*, name: str, timezone: str, **fields: Any) -> Restaurant:
    """Create a restaurant with its booking policy; the slug is derived from the name when
    not given."""
    unknown = set(fields) - set(RESTAURANT_FIELDS)
    if unknown:
        raise ValidationFailed(details={f: ["Unknown field."] for f in sorted(unknown)})
    restaurant = Restaurant(name=name, timezone=timezone, **fields)
    if not restaurant.slug:
        restaurant.slug = _unique_slug(name)
    return _save(restaurant)


@transaction.atomic
def restaurant_update(*, restaurant: Restaurant, data: dict[str, Any]) -> Restaurant:
    _lock_restaurant(restaurant)
    changed = apply_changes(restaurant, data, RESTAURANT_FIELDS)
    if changed:
        _save(restaurant)
    return restaurant


@transaction.atomic
def restaurant_deactivate(*, restaurant: Restaurant) -> Restaurant:
    """Hide the restaurant from the public and stop new bookings; its history stays."""
    return restaurant_update(restaurant=restaurant, data={"is_active": False})


# --- tables ---------------------------------------------------------------------------------


@transaction.atomic
def table_create(*, restaurant: Restaurant, **fields: Any) -> Table:
    table = Table(restaurant=restaurant, **{k: v for k, v in fields.items() if k in TABLE_FIELDS})
    return _save(table)


@transaction.atomic
def table_update(*, table: Table, data: dict[str, Any]) -> Table:
    changed = apply_changes(table, data, TABLE_FIELDS)
    if changed:
        _save(table)
    return table


@transaction.atomic
def table_delete(*, table: Table) -> None:
    """A table with reservations still ahead cannot be deleted (deactivate it instead); one
    with only past reservations is kept for their history and deactivated."""
    from reservations.models import Reservation

    locked = Table.objects.select_for_update().get(pk=table.pk)
    reservations = Reservation.objects.filter(table=locked)
    if reservations.filter(end_at__gt=now(), status__in=Reservation.ACTIVE_STATUSES).exists():
        raise Conflict(
            "The table has reservations ahead; deactivate it instead.",
            code="table_has_reservations",
        )
    if reservations.exists():
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        return
    locked.delete()


# --- opening hours --------------------------------------------------------------------------

WEEK = 7 * 1440


def _week_interval(period: OpeningHours) -> tuple[int, int]:
    start = period.weekday * 1440 + period.opens_at.hour * 60 + period.opens_at.minute
    return start, start + period.length_minutes


def _overlaps_in_week(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # A period after midnight on Sunday runs into Monday: compare across the week's wrap.
    return any(a[0] < b[1] + shift and b[0] + shift < a[1] for shift in (-WEEK, 0, WEEK))


def _check_opening_hours(period: OpeningHours) -> None:
    # Equal opening and closing times make a 24-hour period (it closes the next day).
    validate_instance(period, exclude=["restaurant"])
    others = OpeningHours.objects.filter(restaurant_id=period.restaurant_id).exclude(pk=period.pk)
    mine = _week_interval(period)
    for other in others:
        if _overlaps_in_week(mine, _week_interval(other)):
            raise ValidationFailed(
                "The period overlaps another opening period.",
                details={"opens_at": [f"Overlaps the period {other}."]},
            )


@transaction.atomic
def opening_hours_create(*, restaurant: Restaurant, **fields: Any) -> OpeningHours:
    """Periods of one restaurant never overlap, including periods that run past midnight."""
    _lock_restaurant(restaurant)
    period = OpeningHours(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in OPENING_HOURS_FIELDS}
    )
    _check_opening_hours(period)
    period.save()
    return period


@transaction.atomic
def opening_hours_update(*, period: OpeningHours, data: dict[str, Any]) -> OpeningHours:
    _lock_restaurant(period.restaurant)
    if apply_changes(period, data, OPENING_HOURS_FIELDS):
        _check_opening_hours(period)
        period.save()
    return period


@transaction.atomic
def opening_hours_delete(*, period: OpeningHours) -> None:
    period.delete()


# --- closures -------------------------------------------------------------------------------


@transaction.atomic
def closure_create(*, restaurant: Restaurant, **fields: Any) -> Closure:
    closure = Closure(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in CLOSURE_FIELDS}
    )
    return _save(closure)


@transaction.atomic
def closure_update(*, closure: Closure, data: dict[str, Any]) -> Closure:
    if apply_changes(closure, data, CLOSURE_FIELDS):
        _save(closure)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure) -> None:
    closure.delete()


# --- duration rules -------------------------------------------------------------------------


def _check_duration_rule(rule: DurationRule) -> None:
    validate_instance(rule, exclude=["restaurant"])
    upper = rule.max_party if rule.max_party is not None else 10**6
    for other in DurationRule.objects.filter(restaurant_id=rule.restaurant_id).exclude(pk=rule.pk):
        other_upper = other.max_party if other.max_party is not None else 10**6
        if rule.min_party <= other_upper and other.min_party <= upper:
            raise ValidationFailed(
                "The party-size range overlaps another rule.",
                details={"min_party": [f"Overlaps the rule {other}."]},
            )


@transaction.atomic
def duration_rule_create(*, restaurant: Restaurant, **fields: Any) -> DurationRule:
    """Ranges of one restaurant never overlap (checked here, guarded by an exclusion
    constraint on PostgreSQL)."""
    _lock_restaurant(restaurant)
    rule = DurationRule(
        restaurant=restaurant, **{k: v for k, v in fields.items() if k in DURATION_RULE_FIELDS}
    )
    _check_duration_rule(rule)
    return _save(rule)


@transaction.atomic
def duration_rule_update(*, rule: DurationRule, data: dict[str, Any]) -> DurationRule:
    _lock_restaurant(rule.restaurant)
    if apply_changes(rule, data, DURATION_RULE_FIELDS):
        _check_duration_rule(rule)
        _save(rule)
    return rule


@transaction.atomic
def duration_rule_delete(*, rule: DurationRule) -> None:
    rule.delete()


# --- staff ----------------------------------------------------------------------------------


@transaction.atomic
def membership_create(*, restaurant: Restaurant, user: User, role: str) -> StaffMembership:
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
