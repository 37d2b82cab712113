"""Who may see what: permission scoping for restaurants, as selectors every view shares.

Scope rules (issue 4):

* superusers see and change everything;
* a staff member (manager or host) of a restaurant sees it fully, inactive or not, with its
  inactive tables, past closures and staff-only fields;
* everyone else (anonymous callers, guests, staff of other restaurants) sees active
  restaurants only, with their public fields, active tables and closures ahead;
* only managers of a restaurant (and superusers) change it, its hours, closures, turn times,
  tables, table combinations and staff;
* a restaurant's table combinations are read by its staff only (hosts too).

The views resolve every request through ``restaurant_access`` and look children up in the
querysets below, so scope cannot be forgotten in one view. What a caller may not see answers
404, so ids of other restaurants' data reveal nothing.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from accounts.account_cache import account_cached_part
from accounts.emails import normalize_email
from accounts.models import User
from core.clock import now
from core.errors import NotFound, PermissionDenied, ValidationFailed
from restaurants.models import (
    Closure,
    DurationRule,
    OpeningHours,
    Restaurant,
    StaffInvitation,
    StaffMembership,
    Table,
    TableCombination,
    staff_roles_cache_key,
    table_ids_of_key,
)

logger = logging.getLogger(__name__)

MANAGER = StaffMembership.Role.MANAGER
HOST = StaffMembership.Role.HOST


def _memberships(user, roles: tuple[str, ...]) -> QuerySet[StaffMembership]:
    if not user or not user.is_authenticated:
        return StaffMembership.objects.none()
    return StaffMembership.objects.filter(user=user, role__in=roles)


def staff_restaurant_ids(user, *, roles: tuple[str, ...] = (MANAGER, HOST)) -> set[int]:
    """Ids of the restaurants where ``user`` holds one of ``roles`` (empty for anonymous)."""
    return set(_memberships(user, roles).values_list("restaurant_id", flat=True))


def is_active_superuser(user) -> bool:
    """A signed-in superuser whose account is active: the one "sees everything" predicate
    (the API's scope, the admin, the host stand)."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def restaurants_staffed_by(user) -> QuerySet[Restaurant]:
    """The restaurants ``user`` works at, as host or manager, active or not (one query, the
    memberships a subquery); every restaurant for a superuser. Where their host stand opens."""
    if is_active_superuser(user):
        return Restaurant.objects.all()
    return Restaurant.objects.filter(
        pk__in=_memberships(user, (MANAGER, HOST)).values("restaurant_id")
    )


def restaurants_visible_to(user) -> QuerySet[Restaurant]:
    """Active restaurants for everyone, plus (active or not) those the user works at; all of
    them for superusers."""
    qs = Restaurant.objects.all()
    if is_active_superuser(user):
        return qs
    staff_ids = staff_restaurant_ids(user)
    if staff_ids:
        return qs.filter(Q(is_active=True) | Q(pk__in=staff_ids))
    return qs.filter(is_active=True)


def restaurant_ids_seen_fully_by(user) -> set[int] | None:
    """Restaurants whose staff-only fields ``user`` may read: None means all of them (a
    superuser), otherwise the ids of the restaurants the user works at."""
    if is_active_superuser(user):
        return None
    return staff_restaurant_ids(user)


@dataclass(frozen=True)
class RestaurantAccess:
    """One caller's standing at one restaurant they can see."""

    restaurant: Restaurant
    role: str | None  # the caller's membership role here; None without one
    is_superuser: bool = False

    @property
    def sees_everything(self) -> bool:
        """Staff-only fields, inactive tables and past closures."""
        return self.is_superuser or self.role is not None

    @property
    def can_manage(self) -> bool:
        return self.is_superuser or self.role == MANAGER

    def require_staff(self) -> None:
        """Reading what only the restaurant's staff work with (its table combinations): a
        caller without a role here has no standing at all: 404, as for its staff list."""
        if not self.sees_everything:
            raise NotFound("Restaurant not found.")

    def require_manager(self) -> None:
        """Changing a restaurant (or reading its staff) is for its managers. A host sees all
        of the restaurant, so a refusal tells them nothing new: 403. Anyone else has no
        standing here at all, even when the public page is visible: 404, as if it were
        outside their scope (it is)."""
        if self.can_manage:
            return
        if self.role == HOST:
            raise PermissionDenied("Only the restaurant's managers may do this.")
        raise NotFound("Restaurant not found.")


def restaurant_access(*, user, restaurant_id: int) -> RestaurantAccess:
    """The restaurant ``restaurant_id`` as ``user`` may see it; NotFound when it is outside the
    user's scope (or does not exist)."""
    restaurant = restaurants_visible_to(user).filter(pk=restaurant_id).first()
    if restaurant is None:
        raise NotFound("Restaurant not found.")
    if is_active_superuser(user):
        return RestaurantAccess(restaurant=restaurant, role=None, is_superuser=True)
    role = None
    if user and user.is_authenticated:
        role = (
            StaffMembership.objects.filter(user=user, restaurant=restaurant)
            .values_list("role", flat=True)
            .first()
        )
    return RestaurantAccess(restaurant=restaurant, role=role)


def restaurant_local_today(restaurant: Restaurant) -> date:
    """Today's date where the restaurant is, which is what its closure dates mean."""
    return now().astimezone(restaurant.tz).date()


def closures_ahead(restaurant: Restaurant) -> QuerySet[Closure]:
    """Closures not yet over: their last day is today or later, in the restaurant's zone."""
    return Closure.objects.filter(
        restaurant=restaurant, ends_on__gte=restaurant_local_today(restaurant)
    )


def tables_visible(*, access: RestaurantAccess) -> QuerySet[Table]:
    tables = Table.objects.filter(restaurant=access.restaurant)
    return tables if access.sees_everything else tables.filter(is_active=True)


def table_combinations_visible(*, access: RestaurantAccess) -> QuerySet[TableCombination]:
    """A restaurant's table combinations are for its staff: its hosts read them, its
    managers (and superusers) change them; anyone else is answered 404."""
    access.require_staff()
    return TableCombination.objects.filter(restaurant=access.restaurant)


@dataclass(frozen=True)
class CombinationSeating:
    """A combination that may seat a party: ``table_ids`` sorted."""

    id: int
    table_ids: tuple[int, ...]
    min_capacity: int
    capacity: int


def combinations_for(restaurant_id: int) -> list[CombinationSeating]:
    """The restaurant's combinations that may seat a party: active, with every one of their
    tables active. Smallest capacity first, then fewest tables, then oldest. One query: the
    table ids come from the combination's sorted key."""
    rows = (
        TableCombination.objects.filter(restaurant_id=restaurant_id, is_active=True)
        .exclude(tables__is_active=False)
        .values_list("pk", "table_key", "min_capacity", "capacity")
    )
    seatings = [
        CombinationSeating(
            id=pk,
            table_ids=tuple(table_ids_of_key(key)),
            min_capacity=min_capacity,
            capacity=capacity,
        )
        for pk, key, min_capacity, capacity in rows
    ]
    return sorted(seatings, key=lambda s: (s.capacity, len(s.table_ids), s.id))


def opening_hours_visible(*, access: RestaurantAccess) -> QuerySet[OpeningHours]:
    return OpeningHours.objects.filter(restaurant=access.restaurant)


def closures_visible(*, access: RestaurantAccess) -> QuerySet[Closure]:
    """Staff see the whole history; the public only what is still ahead."""
    if access.sees_everything:
        return Closure.objects.filter(restaurant=access.restaurant)
    return closures_ahead(access.restaurant)


def duration_rules_visible(*, access: RestaurantAccess) -> QuerySet[DurationRule]:
    return DurationRule.objects.filter(restaurant=access.restaurant)


def memberships_visible(*, access: RestaurantAccess) -> QuerySet[StaffMembership]:
    """A restaurant's staff list is for its managers (and superusers) only."""
    access.require_manager()
    return StaffMembership.objects.filter(restaurant=access.restaurant).select_related("user")


def staff_candidate(*, user_id: int | None = None, email: str | None = None) -> User:
    """The existing, active account to add to a restaurant's staff, by id or by email (in its
    normal form, as the login compares it); ValidationFailed naming the field used when there
    is none."""
    if user_id is not None:
        field, matches = "user_id", User.objects.filter(pk=user_id)
    else:
        field, matches = "email", User.objects.filter(email=normalize_email(email))
    user = matches.first()
    if user is None:
        raise ValidationFailed.field(field, "No user account matches.")
    if not user.is_active:
        raise ValidationFailed.field(field, "This user account is inactive.")
    return user


def restaurant_embed_origins(restaurant_id: int) -> list[str]:
    """The origins whose pages may embed an active restaurant's booking page and read its
    public data from the browser; empty for an unknown or inactive restaurant."""
    origins = (
        Restaurant.objects.filter(pk=restaurant_id, is_active=True)
        .values_list("embed_origins", flat=True)
        .first()
    )
    return origins or []


def party_sizes_seated(restaurant: Restaurant) -> list[int]:
    """The party sizes, within the restaurant's policy, that one of its active tables or
    combinations seats (``min_capacity..capacity``; a combination while it and its tables
    are active): what a guest may choose online. Others could never be booked, so offering
    them would only show every day as fully booked."""
    ranges = list(
        Table.objects.filter(restaurant=restaurant, is_active=True).values_list(
            "min_capacity", "capacity"
        )
    )
    ranges += [(c.min_capacity, c.capacity) for c in combinations_for(restaurant.pk)]
    seated = {size for low, high in ranges for size in range(low, high + 1)}
    policy = range(restaurant.min_party_size, restaurant.max_party_size + 1)
    return [size for size in policy if size in seated]


def invitations_visible(*, access: RestaurantAccess) -> QuerySet[StaffInvitation]:
    """A restaurant's invitations are for its managers (and superusers) only, like its staff."""
    access.require_manager()
    return StaffInvitation.objects.filter(restaurant=access.restaurant)


def invitations_open(*, restaurant: Restaurant) -> QuerySet[StaffInvitation]:
    """The restaurant's invitations that can still be accepted, newest first (the caller has
    checked that its user manages the restaurant)."""
    return StaffInvitation.objects.filter(
        restaurant=restaurant,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now(),
    ).order_by("-created_at")


def invitation_status(invitation: StaffInvitation) -> str:
    """open, accepted, withdrawn or expired: one reading of the invitation's dates."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "withdrawn"
    if invitation.expires_at <= now():
        return "expired"
    return "open"


def staff_roles_read(user) -> dict[int, str]:
    """``user``'s roles by restaurant id, from the database."""
    return dict(StaffMembership.objects.filter(user=user).values_list("restaurant_id", "role"))


def staff_roles_of(user) -> dict[int, str]:
    """``user``'s roles by restaurant id (manager or host), kept in the cache for
    ``AUTH_ACCOUNT_CACHE_SECONDS``: for a bearer token's request in the account's entry
    (accounts.authentication, ``account_entry_part`` registered by RestaurantsConfig), for
    any other in their own. A membership's save or deletion forgets both
    (StaffMembership.save). A cache that fails is skipped."""
    if not user or not user.is_authenticated:
        return {}
    kept = account_cached_part(user, "staff_roles")
    if kept is not None:
        return kept
    key = staff_roles_cache_key(user.pk)
    seconds = settings.AUTH_ACCOUNT_CACHE_SECONDS
    if seconds:
        try:
            roles = cache.get(key)
        except Exception as exc:
            logger.warning("Staff roles cache: read failed (%s)", exc)
            roles = None
        if roles is not None:
            return roles
    roles = staff_roles_read(user)
    if seconds:
        try:
            cache.set(key, roles, timeout=seconds)
        except Exception as exc:
            logger.warning("Staff roles cache: write failed (%s)", exc)
    return roles
