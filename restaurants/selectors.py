"""Who may see what: permission scoping for restaurants, as selectors every view shares.

Scope rules (issue 4): superusers see everything; a staff member (manager or host) of a
restaurant sees it fully; everyone else sees active restaurants' public fields only. Anything
outside a caller's scope is answered 404 by the views (they look objects up through these
querysets), so ids of other restaurants' data reveal nothing.
"""

from django.db.models import QuerySet

from restaurants.models import Restaurant, StaffMembership

MANAGER = StaffMembership.Role.MANAGER
HOST = StaffMembership.Role.HOST


def staff_restaurant_ids(user, *, roles: tuple[str, ...] = (MANAGER, HOST)) -> set[int]:
    """Ids of the restaurants where ``user`` holds one of ``roles`` (empty for anonymous)."""
    if not user or not user.is_authenticated:
        return set()
    return set(
        StaffMembership.objects.filter(user=user, role__in=roles).values_list(
            "restaurant_id", flat=True
        )
    )


def is_staff_of(user, restaurant_id: int, *, roles: tuple[str, ...] = (MANAGER, HOST)) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return StaffMembership.objects.filter(
        user=user, restaurant_id=restaurant_id, role__in=roles
    ).exists()


def is_manager_of(user, restaurant_id: int) -> bool:
    return is_staff_of(user, restaurant_id, roles=(MANAGER,))


def restaurants_visible_to(user) -> QuerySet[Restaurant]:
    """Active restaurants for everyone, plus (active or not) those the user works at; all of
    them for superusers."""
    qs = Restaurant.objects.all()
    if user and user.is_authenticated and user.is_superuser:
        return qs
    staff_ids = staff_restaurant_ids(user)
    if staff_ids:
        from django.db.models import Q

        return qs.filter(Q(is_active=True) | Q(pk__in=staff_ids))
    return qs.filter(is_active=True)
