"""Who may see which guest profiles, and the figures staff read about a guest.

Scope rules (issue 4, narrowed by issue 11):
- a superuser sees every profile;
- a staff member (manager or host) of restaurant R sees R's guests (``customers_known_to``):
  the local profiles R keeps, local profiles with a reservation at R, and account profiles
  of guests who booked at R themselves (a reservation at R the account made) or that R's
  staff made before registration linked nothing (``created_by_restaurant``). A reservation
  staff made for an account's profile never widens the scope;
- everyone sees their own profile (and a plain customer only that one);
- anonymous callers see none.
Views look profiles up only through these querysets, so a profile outside the caller's scope
is a 404 and its id reveals nothing.

Who may change a profile (``staff_edit_refusal``): its owner. An account profile is its
guest's; a local profile is its restaurant's. What a restaurant records about a guest is in
its own ``GuestRecord`` (``guest_record_scope``), never on the profile.
"""

import re
import unicodedata

from django.db.models import Q, QuerySet

from core.errors import (
    ApplicationError,
    NotRestaurantGuest,
    ProfileKeptElsewhere,
    ProfileOwnedByGuest,
    ValidationFailed,
)
from customers.hooks import guest_history
from customers.models import Customer, GuestRecord
from restaurants.models import Restaurant
from restaurants.selectors import is_active_superuser, staff_restaurant_ids


def _scope_restaurant_ids(user) -> set[int] | None:
    """The restaurants whose guests ``user`` sees as staff; None meaning every one."""
    if is_active_superuser(user):
        return None
    return staff_restaurant_ids(user)


def customers_known_to(restaurant_ids: set[int]) -> QuerySet[Customer]:
    """The guests of ``restaurant_ids``: the profiles one of them made (local profiles, and
    the few account profiles made in the admin for them), local profiles with a reservation
    (of any status) at one of them, and account profiles whose owner booked there
    themselves. A reservation staff made for an account profile does not count, so a
    booking (or one made before issue 11, when staff bookings by e-mail reached accounts)
    never brings an account's profile into a restaurant's view."""
    if not restaurant_ids:
        return Customer.objects.none()
    # Subqueries rather than joins, so a guest with many reservations is one row and the
    # queryset can still be annotated and counted.
    history = guest_history.get()
    return Customer.objects.filter(
        Q(created_by_restaurant_id__in=restaurant_ids)
        | Q(user__isnull=True, pk__in=history.guests_with_reservations_at(restaurant_ids))
        | Q(pk__in=history.guests_who_booked_at(restaurant_ids))
    )


def local_profiles_kept_by(restaurant_id: int) -> QuerySet[Customer]:
    """The profiles restaurant ``restaurant_id`` keeps: local profiles (no account) its staff
    made. Never an account's profile, not even one made in the admin for the restaurant:
    without e-mail verification an account's address or phone says nothing about who the
    guest is, so these are the only profiles a staff booking by e-mail or phone may use."""
    return Customer.objects.filter(created_by_restaurant_id=restaurant_id, user__isnull=True)


def guest_record_refusal(*, restaurant_id: int, customer_id: int) -> ApplicationError | None:
    """Why restaurant ``restaurant_id`` may not keep a record about guest ``customer_id``, or
    None when it may: only about its own guests (``customers_known_to``), 403
    ``not_restaurant_guest`` otherwise."""
    if customers_known_to({restaurant_id}).filter(pk=customer_id).exists():
        return None
    return NotRestaurantGuest()


def _staff_scope(user, restaurant_ids: set[int] | None) -> QuerySet[Customer]:
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    if restaurant_ids is None:
        return Customer.objects.exclude(user=user)
    return customers_known_to(restaurant_ids).exclude(user=user)


def customers_in_staff_scope(user) -> QuerySet[Customer]:
    """The profiles ``user`` may read as staff: all for a superuser; for a
    manager or host, those with a reservation at or created by one of their restaurants.
    Never the caller's own profile: they read it as a guest, through ``customers/me/``."""
    return _staff_scope(user, _scope_restaurant_ids(user))


def customers_visible_to(user) -> QuerySet[Customer]:
    """Every profile ``user`` may read: the staff scope plus their own profile."""
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    if is_active_superuser(user):
        return Customer.objects.all()
    return Customer.objects.filter(
        Q(pk__in=customers_in_staff_scope(user).values("pk")) | Q(user=user)
    )


def customers_bookable_at(user, restaurant_id: int) -> QuerySet[Customer]:
    """The profiles ``user``, as staff of ``restaurant_id``, may name by id for a booking
    there: every profile for a superuser; otherwise that restaurant's own guests
    (``customers_known_to``) and their own profile. A guest of another of their restaurants
    is not one: booking them here would bring that restaurant's local profile into this
    one's view."""
    if is_active_superuser(user):
        return Customer.objects.all()
    return Customer.objects.filter(
        Q(pk__in=customers_known_to({restaurant_id}).values("pk")) | Q(user=user)
    )


def restaurant_where_staff(user, restaurant_id: int) -> Restaurant | None:
    """The restaurant ``restaurant_id`` if ``user`` is on its staff (any, for a superuser);
    None otherwise, whether it exists or not."""
    restaurants = Restaurant.objects.all()
    if not is_active_superuser(user):
        restaurants = restaurants.filter(pk__in=staff_restaurant_ids(user))
    return restaurants.filter(pk=restaurant_id).first()


def is_customer_staff(user) -> bool:
    """Whether ``user`` works with guest profiles at all (a superuser, manager or host)."""
    return is_active_superuser(user) or bool(staff_restaurant_ids(user))


def with_visit_counts(
    queryset: QuerySet[Customer], *, restaurant_ids: set[int] | None
) -> QuerySet[Customer]:
    """Annotate ``visit_count`` (completed reservations) and ``no_show_count`` in the same
    query, derived from reservations (``guest_history``), never stored. Only reservations at
    ``restaurant_ids`` count (None: every restaurant), so one restaurant's history with a
    guest is not shown to another's staff."""
    history = guest_history.get()
    return queryset.annotate(
        visit_count=history.visit_count(restaurant_ids),
        no_show_count=history.no_show_count(restaurant_ids),
    )


def staff_edit_refusal(user, customer: Customer) -> ApplicationError | None:
    """Why ``user``, as staff, may not change ``customer``'s profile, or None when they may.
    Only a profile's owner changes it: an account profile is its guest's (403
    ``profile_owned_by_guest``, superusers included: the operator's tool is the admin); a
    local profile is the restaurant's that keeps it, so only that restaurant's staff (and
    superusers) change it (403 ``profile_kept_elsewhere``; also for a local profile no
    restaurant keeps, which only superusers change). ``user`` must already see the profile
    (a selector of this module said so)."""
    if customer.user_id is not None:
        return ProfileOwnedByGuest()
    restaurant_ids = _scope_restaurant_ids(user)
    if restaurant_ids is None or customer.created_by_restaurant_id in restaurant_ids:
        return None
    return ProfileKeptElsewhere()


def guest_record_scope(user, *, restaurant_id: int, customer_id: int):
    """The restaurant and guest of a staff record ``user`` may read and write, as
    ``(restaurant, customer, record or None)``; None when it is not theirs, whether or not
    it exists. The caller must be on ``restaurant_id``'s staff (or a superuser) and the guest
    must be that restaurant's (``customers_known_to``); never the caller's own profile (staff
    never read what their restaurant records about them)."""
    restaurant = restaurant_where_staff(user, restaurant_id)
    if restaurant is None:
        return None
    customer = customers_known_to({restaurant.pk}).exclude(user=user).filter(pk=customer_id).first()
    if customer is None:
        return None
    record = GuestRecord.objects.filter(restaurant=restaurant, customer=customer).first()
    return restaurant, customer, record


# The letters a typed word matches with or without its accent (and in either case): "lopez"
# finds López, "pérez" finds Perez. Hosts type fast, on tablets, often without accents.
_ACCENTED = {
    "a": "aáàâäãå",
    "e": "eéèêë",
    "i": "iíìîï",
    "o": "oóòôöõ",
    "u": "uúùûü",
    "n": "nñ",
    "c": "cç",
    "y": "yý",
}


def _accent_pattern(word: str) -> str:
    """A regular expression (understood alike by PostgreSQL and SQLite's REGEXP) matching
    ``word`` anywhere, each letter with or without its accent."""
    parts = []
    for char in word.lower():
        base = unicodedata.normalize("NFD", char)[0]
        letters = _ACCENTED.get(base)
        parts.append(f"[{letters}{letters.upper()}]" if letters else re.escape(char))
    return "".join(parts)


def customer_search(queryset: QuerySet[Customer], *, q: str) -> QuerySet[Customer]:
    """Narrow ``queryset`` to profiles matching every word of ``q`` in the first or last name,
    the e-mail or the phone (case-insensitive, substring; names also without their accents).
    "ana lopez" finds Ana López's profile only if both words match one of those fields."""
    for word in (q or "").split():
        # Phones are stored without spaces or dashes; "+34 611" typed by staff is two words,
        # each of which still matches the stored "+34611...".
        digits = word.replace("-", "").replace("(", "").replace(")", "")
        pattern = _accent_pattern(word)
        queryset = queryset.filter(
            Q(first_name__iregex=pattern)
            | Q(last_name__iregex=pattern)
            | Q(email__icontains=word)
            | Q(phone__icontains=digits or word)
        )
    return queryset


CUSTOMER_ORDERINGS = (
    "last_name",
    "first_name",
    "email",
    "created_at",
    "visit_count",
    "no_show_count",
)


def customer_staff_list(user, *, q: str = "", ordering: str = "") -> QuerySet[Customer]:
    """The staff list: the caller's staff scope, searched by ``q``, with the visit counts of
    the caller's restaurants (every one for a superuser), ordered by ``ordering`` (one of
    CUSTOMER_ORDERINGS, ``-`` for descending; by name otherwise)."""
    order_by = ["last_name", "first_name", "pk"]
    if ordering:
        if ordering.removeprefix("-") not in CUSTOMER_ORDERINGS:
            allowed = ", ".join(CUSTOMER_ORDERINGS)
            raise ValidationFailed.field("ordering", f"Order by one of: {allowed}.")
        order_by = [ordering, "pk"]
    restaurant_ids = _scope_restaurant_ids(user)
    queryset = customer_search(_staff_scope(user, restaurant_ids), q=q)
    return with_visit_counts(queryset, restaurant_ids=restaurant_ids).order_by(*order_by)


def customer_staff_detail(user, pk: int) -> Customer | None:
    """One profile of the caller's staff scope with its visit counts, or None."""
    restaurant_ids = _scope_restaurant_ids(user)
    queryset = with_visit_counts(_staff_scope(user, restaurant_ids), restaurant_ids=restaurant_ids)
    return queryset.filter(pk=pk).first()
