"""The booking core (reservations.services.booking.reservation_book and reservation_change)
and the transitions with each kind of actor: the rules that depend on who asks, with no
request or signed-in user anywhere."""

from datetime import date, time, timedelta

import pytest

from core.errors import Conflict, HoldLimit, PermissionDenied, ValidationFailed
from customers.models import Customer
from customers.tests.factories import CustomerFactory, UserFactory
from reservations.actors import SYSTEM, Actor, ActorKind
from reservations.models import Reservation
from reservations.services import (
    Hold,
    holds_expire_lapsed,
    reservation_book,
    reservation_cancel,
    reservation_change,
    reservation_confirm,
    reservation_seat,
)
from reservations.services.guests import local_profile
from reservations.tests.factories import NOW, SEED_DATE, put_in_status
from restaurants.models import StaffMembership
from restaurants.tests.factories import RestaurantFactory, StaffMembershipFactory

Status = Reservation.Status
KINDS = list(ActorKind)
LIMITED = {ActorKind.GUEST, ActorKind.ANONYMOUS_GUEST}
STAFF = {ActorKind.HOST, ActorKind.MANAGER, ActorKind.SUPERUSER}


@pytest.fixture
def actors(restaurant, staff_user, guest_user, other_guest):
    manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user
    return {
        ActorKind.GUEST: Actor.guest(guest_user),
        ActorKind.ANONYMOUS_GUEST: Actor.anonymous_guest(
            restaurant_id=restaurant.pk, email=other_guest.email
        ),
        ActorKind.HOST: Actor.host(staff_user, restaurant.pk),
        ActorKind.MANAGER: Actor.manager(manager, restaurant.pk),
        ActorKind.SUPERUSER: Actor.superuser(UserFactory(is_superuser=True, is_staff=True)),
        ActorKind.SYSTEM: SYSTEM,
    }


@pytest.fixture
def core_book(restaurant, table, guest, other_guest, clock):
    """``core_book(actor, **overrides)``: the core books the seed's slot; the guest is the
    account's profile for a guest with an account, the restaurant's local profile otherwise."""

    def make(actor, **overrides):
        values = {
            "restaurant": restaurant,
            "guest": other_guest if actor.kind == ActorKind.ANONYMOUS_GUEST else guest,
            "reservation_date": SEED_DATE,
            "reservation_time": time(19),
            "party_size": 2,
            "table_id": table.pk,
            "actor": actor,
            "source": Reservation.Source.ONLINE if actor.is_guest else Reservation.Source.PHONE,
        }
        values.update(overrides)
        return reservation_book(**values)

    return make


# --- booking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_actor_books_through_the_core(actors, core_book, kind):
    actor = actors[kind]
    reservation = core_book(actor)
    assert reservation.status == Status.PENDING
    assert reservation.created_by == actor.user  # None for an anonymous guest and the system
    assert reservation.source == (
        Reservation.Source.ONLINE if kind in LIMITED else Reservation.Source.PHONE
    )
    assert Reservation.objects.get().pk == reservation.pk


@pytest.mark.parametrize("kind", KINDS)
def test_only_guests_are_limited(actors, core_book, settings, kind):
    settings.HOLD_LIMIT_PER_RESTAURANT = 1
    core_book(actors[kind], reservation_time=time(13))
    if kind in LIMITED:
        with pytest.raises(HoldLimit):
            core_book(actors[kind], reservation_time=time(15))
        assert Reservation.objects.count() == 1
    else:
        assert core_book(actors[kind], reservation_time=time(15)).status == Status.PENDING


@pytest.mark.parametrize("kind", KINDS)
def test_only_staff_override_the_notice(actors, core_book, kind):
    soon = {"reservation_date": date(2025, 8, 28), "reservation_time": time(12, 30)}
    if kind in STAFF:
        assert core_book(actors[kind], override_notice=True, **soon).status == Status.PENDING
        return
    with pytest.raises(PermissionDenied) as refused:
        core_book(actors[kind], override_notice=True, **soon)
    assert list(refused.value.details) == ["override_notice"]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("kind", [ActorKind.GUEST, ActorKind.ANONYMOUS_GUEST])
def test_guests_book_online_only(actors, core_book, kind):
    with pytest.raises(PermissionDenied) as refused:
        core_book(actors[kind], source=Reservation.Source.PHONE)
    assert list(refused.value.details) == ["source"]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("kind", sorted(STAFF | {ActorKind.SYSTEM}))
def test_source_walk_in_is_only_a_walk_ins(actors, core_book, kind):
    """Source walk_in means a party seated now: an advance booking with it would be a pending
    hold, e-mailed, that reads as a walk-in."""
    with pytest.raises(ValidationFailed) as refused:
        core_book(actors[kind], source=Reservation.Source.WALK_IN)
    assert refused.value.code == "validation_error"
    assert list(refused.value.details) == ["source"]
    assert not Reservation.objects.exists()


def test_a_host_manager_or_anonymous_guest_acts_only_at_their_restaurant(
    core_book, staff_user, restaurant
):
    elsewhere = RestaurantFactory().pk
    for actor in (
        Actor.host(staff_user, elsewhere),
        Actor.manager(staff_user, elsewhere),
        Actor.anonymous_guest(restaurant_id=elsewhere, email="a@example.com"),
    ):
        with pytest.raises(PermissionDenied):
            core_book(actor)
    assert not Reservation.objects.exists()


def test_the_guest_profile_is_found_or_made_inside_the_booking(actors, core_book, restaurant):
    anonymous = actors[ActorKind.ANONYMOUS_GUEST]
    made = core_book(
        anonymous, guest=local_profile(restaurant, first_name="Ines", email="Ines@Example.com")
    )
    assert (made.customer.email, made.customer.created_by_restaurant) == (
        "ines@example.com",
        restaurant,
    )
    # A refused booking (the table is taken now) leaves no profile behind.
    with pytest.raises(Conflict):
        core_book(
            anonymous, guest=local_profile(restaurant, first_name="Gil", email="gil@example.com")
        )
    assert not Customer.objects.filter(email="gil@example.com").exists()


# --- the hold deadline ------------------------------------------------------------------------


def test_the_hold_deadline_is_the_restaurants_or_the_callers(core_book, actors, restaurant):
    host = actors[ActorKind.HOST]
    short = core_book(host, hold=Hold(minutes=5))
    assert timedelta(minutes=5) <= short.expires_at - NOW < timedelta(minutes=5, seconds=5)

    restaurant.auto_confirm = True
    restaurant.save()
    confirmed = core_book(host, reservation_time=time(21))
    assert (confirmed.status, confirmed.expires_at) == (Status.CONFIRMED, None)
    held = core_book(host, reservation_time=time(13), hold=Hold(always=True))
    assert held.status == Status.PENDING
    assert held.expires_at - NOW >= timedelta(minutes=restaurant.hold_minutes)


def test_a_hold_lasts_a_positive_time():
    with pytest.raises(ValueError):
        Hold(minutes=0)


# --- changing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_after_the_start_only_guests_may_not_change(actors, book, clock, kind):
    reservation = put_in_status(book(), Status.CONFIRMED)
    clock.move_to(reservation.start_at + timedelta(minutes=1))
    actor = actors[kind]
    if kind in LIMITED:
        with pytest.raises(PermissionDenied):
            reservation_change(reservation=reservation, actor=actor, data={"notes": "late"})
        return
    changed = reservation_change(reservation=reservation, actor=actor, data={"notes": "late"})
    assert changed.notes == "late"


@pytest.mark.parametrize("kind", KINDS)
def test_only_staff_override_the_notice_in_a_change(actors, book, kind):
    soon = {"reservation_date": date(2025, 8, 28), "reservation_time": time(12, 30)}
    reservation = book()
    if kind in STAFF:
        moved = reservation_change(
            reservation=reservation, actor=actors[kind], data=soon, override_notice=True
        )
        assert moved.reservation_time == time(12, 30)
        return
    with pytest.raises(PermissionDenied):
        reservation_change(
            reservation=reservation, actor=actors[kind], data=soon, override_notice=True
        )


def test_a_host_of_another_restaurant_cannot_change(book, staff_user):
    elsewhere = RestaurantFactory().pk
    with pytest.raises(PermissionDenied):
        reservation_change(
            reservation=book(), actor=Actor.host(staff_user, elsewhere), data={"notes": "x"}
        )


# --- transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_everyone_confirms_and_cancels_but_only_staff_and_the_system_seat(actors, book, kind):
    actor = actors[kind]
    confirmed = reservation_confirm(reservation=book(), actor=actor)
    assert confirmed.status == Status.CONFIRMED
    if kind in LIMITED:
        with pytest.raises(PermissionDenied):
            reservation_seat(reservation=confirmed, actor=actor)
    else:
        assert reservation_seat(reservation=confirmed, actor=actor).status == Status.SEATED
    other = book(reservation_time=time(21))
    assert reservation_cancel(reservation=other, actor=actor).status == Status.CANCELLED


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_system_expires(actors, book, clock, kind):
    reservation = book()
    clock.move_to(reservation.expires_at)
    if kind == ActorKind.SYSTEM:
        assert holds_expire_lapsed(actor=SYSTEM, now=reservation.expires_at) == 1
        reservation.refresh_from_db()
        assert reservation.status == Status.EXPIRED
        return
    with pytest.raises(PermissionDenied):
        holds_expire_lapsed(actor=actors[kind], now=reservation.expires_at)
    reservation.refresh_from_db()
    assert reservation.status == Status.PENDING


def test_staff_of_another_restaurant_cannot_run_a_transition(book, staff_user):
    reservation = book()
    elsewhere = RestaurantFactory().pk
    for actor in (
        Actor.manager(staff_user, elsewhere),
        Actor.anonymous_guest(restaurant_id=elsewhere, email=CustomerFactory().email),
    ):
        with pytest.raises(PermissionDenied):
            reservation_confirm(reservation=reservation, actor=actor)
    reservation.refresh_from_db()
    assert reservation.status == Status.PENDING


def test_actors_carry_what_their_kind_needs(staff_user, restaurant):
    with pytest.raises(ValueError):
        Actor(ActorKind.HOST, user=staff_user)  # no restaurant
    with pytest.raises(ValueError):
        Actor(ActorKind.GUEST)  # no account
    with pytest.raises(ValueError):
        Actor(ActorKind.SYSTEM, user=staff_user)
    assert Actor.host(staff_user, restaurant.pk).acts_at(restaurant.pk)
    assert Actor.superuser(staff_user).acts_at(restaurant.pk + 1)
