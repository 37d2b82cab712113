"""The admin: a superuser, or a restaurant's manager for its reservations, books and changes
through the booking core as the API's staff do."""

from datetime import date, time

from core.errors import PermissionDenied
from reservations.actors import Actor
from reservations.callers.signed_in import actor_for_user, reservation_create
from reservations.models import Reservation
from reservations.services.booking import reservation_change

Source = Reservation.Source


def admin_actor(user, restaurant_id: int) -> Actor:
    """The actor of someone using the admin on a restaurant's reservation: a superuser, or that
    restaurant's manager (the admin is theirs: docs/admin.md; hosts work at the host stand);
    anyone else 403."""
    actor = actor_for_user(user, restaurant_id)
    if not actor.is_manager:
        raise PermissionDenied("Only the restaurant's managers can do this in the admin.")
    return actor


def admin_reservation_book(
    *,
    user,
    restaurant_id: int,
    reservation_date: date,
    reservation_time: time,
    party_size: int,
    customer: dict[str, str],
    table_ids: list[int] | None = None,
    override_tables: bool = False,
    override_notice: bool = False,
    source: str = Source.STAFF,
    notes: str = "",
    allergies: str = "",
) -> Reservation:
    """Book in the admin, as its user (``admin_actor``: a superuser or the restaurant's
    manager, 403 otherwise), for the guest ``customer`` names (the restaurant's local profile
    found or made by e-mail or phone, as staff book in the API): the API's staff booking,
    rules and results included (``reservation_create``), never limited and never counted
    against an address."""
    admin_actor(user, restaurant_id)
    return reservation_create(
        user=user,
        restaurant_id=restaurant_id,
        reservation_date=reservation_date,
        reservation_time=reservation_time,
        party_size=party_size,
        customer=customer,
        table_ids=table_ids,
        override_tables=override_tables,
        override_notice=override_notice,
        source=source,
        notes=notes,
        allergies=allergies,
        client_address=None,
        metrics_channel="admin",
    )


def admin_reservation_change(
    *,
    user,
    reservation: Reservation,
    data: dict,
    override_notice: bool = False,
    override_tables: bool = False,
) -> Reservation:
    """Change a reservation in the admin, as its user (``admin_actor``): the core's change
    (``reservation_change``) with every rule it applies to staff."""
    return reservation_change(
        reservation=reservation,
        actor=admin_actor(user, reservation.restaurant_id),
        data=data,
        override_notice=override_notice,
        override_tables=override_tables,
    )
