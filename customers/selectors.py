"""Who may see which guest profiles, and the figures staff read about a guest.

Scope rules (issue 4):
- a superuser sees every profile;
- a staff member (manager or host) of restaurant R sees the guests with a reservation at R
  and the profiles R's staff created;
- everyone sees their own profile (and a plain customer only that one);
- anonymous callers see none.
Views look profiles up only through these querysets, so a profile outside the caller's scope
is a 404 and its id reveals nothing.

Staff notes belong to the restaurant that created the profile: in scope is not enough to read
or write them (see ``may_keep_notes``).
"""

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Value

from core.errors import ValidationFailed
from customers.models import Customer
from reservations.models import Reservation
from restaurants.models import Restaurant
from restaurants.selectors import staff_restaurant_ids


def _is_superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def _scope_restaurant_ids(user) -> set[int] | None:
    """The restaurants whose guests ``user`` sees as staff; None meaning every one."""
    if _is_superuser(user):
        return None
    return staff_restaurant_ids(user)


def customers_known_to(restaurant_ids: set[int]) -> QuerySet[Customer]:
    """The guests of ``restaurant_ids``: a reservation (of any status) at one of them, or a
    profile one of them created."""
    if not restaurant_ids:
        return Customer.objects.none()
    # A subquery rather than a join, so a guest with many reservations is one row and the
    # queryset can still be annotated and counted.
    with_reservation = Reservation.objects.filter(restaurant_id__in=restaurant_ids).values(
        "customer_id"
    )
    return Customer.objects.filter(
        Q(pk__in=with_reservation) | Q(created_by_restaurant_id__in=restaurant_ids)
    )


def _staff_scope(user, restaurant_ids: set[int] | None) -> QuerySet[Customer]:
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    if restaurant_ids is None:
        return Customer.objects.exclude(user=user)
    return customers_known_to(restaurant_ids).exclude(user=user)


def customers_in_staff_scope(user) -> QuerySet[Customer]:
    """The profiles ``user`` may read as staff (notes included): all for a superuser; for a
    manager or host, those with a reservation at or created by one of their restaurants.
    Never the caller's own profile: staff notes are not shown to the guest they describe,
    even when that guest works here (they read it as a guest, through ``customers/me/``)."""
    return _staff_scope(user, _scope_restaurant_ids(user))


def customers_visible_to(user) -> QuerySet[Customer]:
    """Every profile ``user`` may read: the staff scope plus their own profile."""
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    if _is_superuser(user):
        return Customer.objects.all()
    return Customer.objects.filter(
        Q(pk__in=customers_in_staff_scope(user).values("pk")) | Q(user=user)
    )


def restaurant_where_staff(user, restaurant_id: int) -> Restaurant | None:
    """The restaurant ``restaurant_id`` if ``user`` is on its staff (any, for a superuser);
    None otherwise, whether it exists or not."""
    restaurants = Restaurant.objects.all()
    if not _is_superuser(user):
        restaurants = restaurants.filter(pk__in=staff_restaurant_ids(user))
    return restaurants.filter(pk=restaurant_id).first()


def is_customer_staff(user) -> bool:
    """Whether ``user`` works with guest profiles at all (a superuser, manager or host)."""
    return _is_superuser(user) or bool(staff_restaurant_ids(user))


def with_visit_counts(
    queryset: QuerySet[Customer], *, restaurant_ids: set[int] | None
) -> QuerySet[Customer]:
    """Annotate ``visit_count`` (completed reservations) and ``no_show_count`` in the same
    query, derived from reservations, never stored. Only reservations at ``restaurant_ids``
    count (None: every restaurant), so one restaurant's history with a guest is not shown to
    another's staff."""
    at_restaurants = Q()
    if restaurant_ids is not None:
        at_restaurants = Q(reservations__restaurant_id__in=restaurant_ids)
    return queryset.annotate(
        visit_count=Count(
            "reservations",
            filter=at_restaurants & Q(reservations__status=Reservation.Status.COMPLETED),
        ),
        no_show_count=Count(
            "reservations",
            filter=at_restaurants & Q(reservations__status=Reservation.Status.NO_SHOW),
        ),
    )


def may_keep_notes(user, customer: Customer) -> bool:
    """Whether ``user`` may read and write ``customer``'s staff notes: a superuser always; a
    manager or host only when one of their restaurants created the profile. The notes are
    that restaurant's record (another restaurant with the guest in scope has its own history
    with them); a profile no restaurant created (a self-registered guest) has notes only a
    superuser keeps."""
    restaurant_ids = _scope_restaurant_ids(user)
    return restaurant_ids is None or customer.created_by_restaurant_id in restaurant_ids


def with_notes_access(
    queryset: QuerySet[Customer], *, restaurant_ids: set[int] | None
) -> QuerySet[Customer]:
    """Annotate ``may_keep_notes`` per row, the rule of ``may_keep_notes`` for a caller on the
    staff of ``restaurant_ids`` (None: a superuser), so a list decides it in its one query."""
    if restaurant_ids is None:
        keeps = Value(True)
    elif restaurant_ids:
        keeps = ExpressionWrapper(
            Q(created_by_restaurant_id__in=restaurant_ids), output_field=BooleanField()
        )
    else:
        keeps = Value(False)
    return queryset.annotate(may_keep_notes=keeps)


def customer_search(queryset: QuerySet[Customer], *, q: str) -> QuerySet[Customer]:
    """Narrow ``queryset`` to profiles matching every word of ``q`` in the first or last name,
    the e-mail or the phone (case-insensitive, substring). "ana lopez" finds Ana López's
    profile only if both words match one of those fields."""
    for word in (q or "").split():
        # Phones are stored without spaces or dashes; "+34 611" typed by staff is two words,
        # each of which still matches the stored "+34611...".
        digits = word.replace("-", "").replace("(", "").replace(")", "")
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
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
    the caller's restaurants (every one for a superuser) and ``may_keep_notes`` per row,
    ordered by ``ordering`` (one of CUSTOMER_ORDERINGS, ``-`` for descending; by name
    otherwise)."""
    order_by = ["last_name", "first_name", "pk"]
    if ordering:
        if ordering.removeprefix("-") not in CUSTOMER_ORDERINGS:
            allowed = ", ".join(CUSTOMER_ORDERINGS)
            raise ValidationFailed.field("ordering", f"Order by one of: {allowed}.")
        order_by = [ordering, "pk"]
    restaurant_ids = _scope_restaurant_ids(user)
    queryset = customer_search(_staff_scope(user, restaurant_ids), q=q)
    queryset = with_visit_counts(queryset, restaurant_ids=restaurant_ids)
    return with_notes_access(queryset, restaurant_ids=restaurant_ids).order_by(*order_by)


def customer_staff_detail(user, pk: int) -> Customer | None:
    """One profile of the caller's staff scope with its visit counts and ``may_keep_notes``,
    or None."""
    restaurant_ids = _scope_restaurant_ids(user)
    queryset = with_visit_counts(_staff_scope(user, restaurant_ids), restaurant_ids=restaurant_ids)
    queryset = with_notes_access(queryset, restaurant_ids=restaurant_ids)
    return queryset.filter(pk=pk).first()
