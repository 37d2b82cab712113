"""Who may use the admin and what each of them sees there (docs/admin.md).

The admin is for superusers and for the managers of restaurants (a ``StaffMembership`` with
the role ``manager``); hosts work at the host stand and everyone else has no business here.
Access is decided by that scope alone, never by the ``is_staff`` flag or Django's model
permissions: a flag or a permission granted by mistake cannot open a model, and the rule
is one that the API already uses (restaurants.selectors), so both stay in step.

* The site (``ReservaFlowAdminSite``, installed by ``config.admin_app``) lets in active
  superusers and active managers of at least one restaurant; the login form
  (customers.admin) applies the same rule.
* Every model admin says whose it is with one of the mixins below:
  ``RestaurantScopedAdmin`` (a restaurant's own rows: superusers see all, a manager only
  their restaurants', as if the others did not exist), its inline twin
  ``RestaurantScopedInline``, or ``SuperuserOnlyAdmin`` (accounts, groups, guest profiles,
  notifications: anything across restaurants or that grants scope).
  customers/tests/test_admin_access.py checks that every registered admin uses one.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError

from restaurants.selectors import MANAGER, staff_restaurant_ids

_SCOPE_CACHE = "_admin_managed_restaurant_ids"


def is_active_superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def managed_restaurant_ids(user) -> set[int]:
    """The restaurants ``user`` manages (empty for hosts, guests, inactive accounts)."""
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    return staff_restaurant_ids(user, roles=(MANAGER,))


def may_use_admin(user) -> bool:
    """The admin's door: an active superuser or an active manager of some restaurant."""
    return is_active_superuser(user) or bool(managed_restaurant_ids(user))


def admin_scope(request) -> set[int] | None:
    """The restaurant ids the request's user may act on in the admin; None means every
    restaurant (a superuser). Read once per request: every permission check asks it."""
    if not hasattr(request, _SCOPE_CACHE):
        user = request.user
        scope = None if is_active_superuser(user) else managed_restaurant_ids(user)
        setattr(request, _SCOPE_CACHE, scope)
    return getattr(request, _SCOPE_CACHE)


class ReservaFlowAdminSite(admin.AdminSite):
    site_header = "ReservaFlow administration"
    site_title = "ReservaFlow admin"

    def has_permission(self, request) -> bool:
        return may_use_admin(request.user)


def _in_scope(request, restaurant_id: int | None) -> bool:
    """Whether the user may act at ``restaurant_id`` (None: at some restaurant, as on a list)."""
    scope = admin_scope(request)
    if scope is None:
        return True
    if restaurant_id is None:
        return bool(scope)
    return restaurant_id in scope


class CheckedChangeList(ChangeList):
    """A list whose filters in the query string cannot hold a NUL character: PostgreSQL text
    cannot, so the query failed as a server error. Refused as Django refuses a filter it
    cannot read (the list again, with "?e=1")."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for values in lookup_params.values():
            for value in values if isinstance(values, list) else [values]:
                if "\x00" in str(value):
                    raise IncorrectLookupParameters("A NUL character in a filter.")
        return lookup_params


class CheckedListAdmin:
    """What every ReservaFlow model admin's list does on top of Django's: its filters are
    checked (CheckedChangeList), and an action's selection keeps only well-formed ids
    (Django filtered by them as given: "abc" for an integer id was a server error); the
    others are reported as not found and acted on by nobody."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        well_formed = []
        for value in selected:
            try:
                self.model._meta.pk.to_python(value)
            except (ValidationError, ValueError, TypeError):
                continue
            if "\x00" not in value:
                well_formed.append(value)
        if len(well_formed) != len(selected):
            self.message_user(
                request,
                f"{len(selected) - len(well_formed)} selected row(s) not found.",
                messages.ERROR,
            )
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, well_formed)
        return super().response_action(request, queryset)


class SuperuserOnlyAdmin(CheckedListAdmin):
    """A model admin for superusers alone, whatever permissions an account was given."""

    def has_module_permission(self, request) -> bool:
        return is_active_superuser(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_active_superuser(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return is_active_superuser(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_active_superuser(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_active_superuser(request.user) and super().has_delete_permission(request, obj)


class RestaurantScopedAdmin(CheckedListAdmin):
    """A model admin of rows that belong to one restaurant: superusers see every row, a
    manager only their restaurants' rows (others answer as missing rows do). Adding is
    allowed to whoever manages some restaurant; the form limits which (or, as for the
    restaurant itself, the admin refuses it to managers)."""

    # The lookup from a row to its restaurant's id.
    restaurant_lookup = "restaurant_id"

    def restaurant_id_of(self, obj) -> int:
        return getattr(obj, self.restaurant_lookup)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = admin_scope(request)
        if scope is None:
            return queryset
        return queryset.filter(**{f"{self.restaurant_lookup}__in": scope})

    def _allowed(self, request, obj) -> bool:
        return _in_scope(request, None if obj is None else self.restaurant_id_of(obj))

    def has_module_permission(self, request) -> bool:
        return _in_scope(request, None)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request) -> bool:
        return _in_scope(request, None)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)


class RestaurantScopedInline:
    """An inline of a restaurant's change page: whoever may change the restaurant (``obj``,
    None on the add page) may view, add, change and delete its rows."""

    def _allowed(self, request, obj) -> bool:
        return _in_scope(request, None if obj is None else obj.pk)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, obj)
