"""Booking as a signed-in user (reservations.callers.reservation_create, over the core): the
result, who may book for whom, every refusal, and the double-booking defences (lock,
in-transaction check, exclusion constraint, lazy expiry)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core import locking
from core.errors import Conflict, Locked, PermissionDenied, ValidationFailed
from customers.models import Customer
from customers.tests.factories import CustomerFactory, UserFactory
from reservations import rules
from reservations.callers import reservation_create
from reservations.models import Reservation
from reservations.services import booking, table_guard
from reservations.tests.factories import (
    NOW,
    SEED_DATE,
    SEED_TIME,
    ReservationFactory,
    put_in_status,
)
from restaurants.tests.factories import (
    OpeningHoursFactory,
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)

Status = Reservation.Status
SEED_START = datetime(2025, 8, 30, 17, 0, tzinfo=UTC)  # 19:00 in Madrid


def field_of(exc_info) -> list[str]:
    return list(exc_info.value.details)


# --- the booking ----------------------------------------------------------------------------


def test_seed_booking_is_pending_with_a_hold(book, restaurant, table, guest, staff_user):
    reservation = book()
    assert reservation.status == Status.PENDING
    assert reservation.restaurant_id == restaurant.pk
    assert reservation.table_id == table.pk
    assert reservation.customer_id == guest.pk
    assert (reservation.reservation_date, reservation.reservation_time) == (SEED_DATE, SEED_TIME)
    assert reservation.start_at == SEED_START
    assert reservation.end_at == SEED_START + timedelta(minutes=90)
    hold = reservation.expires_at - NOW
    assert timedelta(minutes=15) <= hold < timedelta(minutes=15, seconds=5)
    assert reservation.source == Reservation.Source.STAFF
    assert reservation.created_by == staff_user
    assert len(reservation.manage_token) >= 40
    assert Reservation.objects.get().pk == reservation.pk


def test_auto_confirm_books_confirmed_without_expiry(book, restaurant):
    restaurant.auto_confirm = True
    restaurant.save()
    reservation = book()
    assert reservation.status == Status.CONFIRMED
    assert reservation.expires_at is None
    assert reservation.confirmed_at is not None


def test_a_hold_never_outlives_the_start(book, restaurant):
    restaurant.hold_minutes = 3 * 24 * 60
    restaurant.save()
    reservation = book()
    assert reservation.expires_at == reservation.start_at


# --- who books for whom ---------------------------------------------------------------------


def test_a_guest_books_for_themselves_without_customer_id(book, guest_user, guest):
    reservation = book(user=guest_user, customer_id=None)
    assert reservation.customer_id == guest.pk
    assert reservation.source == Reservation.Source.ONLINE


def test_a_guest_may_name_their_own_customer_id(book, guest_user, guest):
    assert book(user=guest_user, customer_id=guest.pk).customer_id == guest.pk


def test_a_guest_cannot_book_for_another_customer(book, guest_user, other_guest):
    with pytest.raises(PermissionDenied) as info:
        book(user=guest_user, customer_id=other_guest.pk)
    assert field_of(info) == ["customer_id"]
    assert not Reservation.objects.exists()


def test_a_guest_cannot_override_notice_set_a_source_or_create_guests(book, guest_user):
    with pytest.raises(PermissionDenied) as info:
        book(user=guest_user, customer_id=None, override_notice=True)
    assert field_of(info) == ["override_notice"]
    with pytest.raises(PermissionDenied) as info:
        book(user=guest_user, customer_id=None, source="phone")
    assert field_of(info) == ["source"]
    with pytest.raises(PermissionDenied) as info:
        book(user=guest_user, customer_id=None, customer={"first_name": "X", "email": "x@x.io"})
    assert field_of(info) == ["customer"]


def test_an_account_without_a_profile_gets_one_when_it_books(book):
    user = UserFactory(first_name="Nora")
    reservation = book(user=user, customer_id=None)
    assert reservation.customer.user == user
    assert reservation.customer.email == user.email
    assert reservation.customer.first_name == "Nora"


def test_staff_of_another_restaurant_book_as_a_guest(book, restaurant):
    elsewhere = RestaurantFactory()
    user = StaffMembershipFactory(restaurant=elsewhere).user
    CustomerFactory(user=user, email=user.email)
    reservation = book(user=user, customer_id=None)
    assert reservation.source == Reservation.Source.ONLINE


def test_staff_book_by_id_only_guests_in_their_scope(book, restaurant, guest):
    stranger = CustomerFactory()  # never at this restaurant
    with pytest.raises(ValidationFailed) as info:
        book(customer_id=stranger.pk)
    assert field_of(info) == ["customer_id"]  # as if it did not exist: nothing revealed
    # A guest with an earlier reservation here is in scope.
    assert book(customer_id=guest.pk, reservation_time=time(21)).customer_id == guest.pk
    # A registered guest's e-mail from outside the restaurant's scope books a local profile
    # of the restaurant (issue 11), which brings the account into view no more than before.
    account = UserFactory()
    elsewhere_made = CustomerFactory(user=account, email=account.email)
    by_email = book(customer_id=None, customer={"first_name": "X", "email": account.email})
    assert by_email.customer_id != elsewhere_made.pk
    assert (by_email.customer.user, by_email.customer.created_by_restaurant) == (None, restaurant)
    with pytest.raises(ValidationFailed) as info:
        book(customer_id=elsewhere_made.pk, reservation_time=time(22))
    assert field_of(info) == ["customer_id"]


def test_staff_must_name_the_guest(book):
    with pytest.raises(ValidationFailed) as info:
        book(customer_id=None)
    assert field_of(info) == ["customer_id"]


def test_staff_find_or_create_the_guest_from_a_customer_object(
    book, restaurant, guest, other_guest
):
    found = book(
        customer_id=None, customer={"first_name": "Same", "email": other_guest.email.upper()}
    )
    assert found.customer_id == other_guest.pk
    # An account's profile is never found by its e-mail, even one made for the restaurant
    # (issue 11): the booking gets the restaurant's local profile.
    by_email = book(
        customer_id=None,
        reservation_time=time(21),
        customer={"first_name": "Same", "email": guest.email},
    )
    assert by_email.customer_id != guest.pk
    assert (by_email.customer.user, by_email.customer.created_by_restaurant) == (None, restaurant)
    created = book(
        customer_id=None,
        reservation_time=time(17),
        customer={"first_name": "Lola", "last_name": "Sanz", "phone": "+34 612 345 678"},
    )
    profile = created.customer
    assert (profile.first_name, profile.phone) == ("Lola", "+34612345678")
    assert profile.created_by_restaurant == restaurant


def test_a_guest_created_for_a_refused_booking_is_not_left_behind(book):
    book()
    with pytest.raises(Conflict):
        book(customer_id=None, customer={"first_name": "Ghost", "email": "ghost@example.com"})
    assert not Customer.objects.filter(email="ghost@example.com").exists()


def test_staff_give_customer_id_or_customer_not_both(book, guest):
    with pytest.raises(ValidationFailed) as info:
        book(customer={"first_name": "A", "email": "a@example.com"})
    assert field_of(info) == ["customer"]


# --- ids and the table -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["restaurant_id", "table_id", "customer_id"])
def test_unknown_ids_are_400_naming_the_field(book, field):
    with pytest.raises(ValidationFailed) as info:
        book(**{field: 987654})
    assert field_of(info) == [field]


def test_an_inactive_restaurant_takes_no_booking(book, restaurant):
    restaurant.is_active = False
    restaurant.save()
    with pytest.raises(ValidationFailed) as info:
        book()
    assert field_of(info) == ["restaurant_id"]


def test_an_inactive_table_or_another_restaurants_table_is_refused(book, table):
    other = TableFactory()
    with pytest.raises(ValidationFailed) as info:
        book(table_id=other.pk)
    assert field_of(info) == ["table_id"]
    table.is_active = False
    table.save()
    with pytest.raises(ValidationFailed) as info:
        book()
    assert field_of(info) == ["table_id"]


def test_the_party_must_fit_the_tables_capacity(book, table):
    table.min_capacity = 2
    table.save()
    for party in (1, 5):
        with pytest.raises(ValidationFailed) as info:
            book(party_size=party)
        assert field_of(info) == ["party_size"]


def test_without_table_id_the_smallest_free_table_that_fits_is_taken(book, restaurant, table):
    big = TableFactory(restaurant=restaurant, number="big", capacity=8, min_capacity=1)
    TableFactory(restaurant=restaurant, number="pair", capacity=2, min_capacity=2)
    TableFactory(restaurant=restaurant, number="off", capacity=3, is_active=False)
    first = book(table_id=None, party_size=3)
    assert first.table_id == table.pk  # capacity 4: the smallest active one seating 3
    second = book(table_id=None, party_size=3)
    assert second.table_id == big.pk  # the 4-seat table is now held
    with pytest.raises(Conflict) as info:
        book(table_id=None, party_size=3)
    assert info.value.code == "slot_unavailable"
    with pytest.raises(ValidationFailed) as info:
        book(table_id=None, party_size=10)
    assert field_of(info) == ["party_size"]


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_auto_pick_moves_on_when_its_first_table_is_locked(book, restaurant, table):
    second = TableFactory(restaurant=restaurant, number="2", capacity=4)
    with locking.redis_lock(table_guard.lock_name(table.pk, SEED_DATE)):
        reservation = book(table_id=None)
    assert reservation.table_id == second.pk


# --- overlaps --------------------------------------------------------------------------------


def test_an_overlapping_booking_is_409_naming_the_conflicting_time(book):
    book()
    with pytest.raises(Conflict) as info:
        book(reservation_time=time(20))
    assert info.value.code == "slot_unavailable"
    conflict = info.value.details["conflict"]
    assert conflict["reservation_time"] == "19:00"
    assert conflict["start_at"] == "2025-08-30T17:00:00Z"
    assert conflict["end_at"] == "2025-08-30T18:30:00Z"
    assert "19:00 to 20:30" in info.value.message
    assert Reservation.objects.count() == 1


def test_back_to_back_stays_do_not_overlap(book):
    book()
    assert book(reservation_time=time(20, 30)).start_at == SEED_START + timedelta(minutes=90)
    assert book(reservation_time=time(17, 30)).end_at == SEED_START


@pytest.mark.parametrize(
    "status", [Status.CANCELLED, Status.EXPIRED, Status.COMPLETED, Status.NO_SHOW]
)
def test_inactive_reservations_do_not_hold_the_table(book, status):
    put_in_status(book(), status)
    assert book().status == Status.PENDING


@pytest.mark.postgres_only(reason="the exclusion constraint exists on PostgreSQL only")
def test_the_exclusion_constraint_refusal_is_a_409_not_a_500(book, monkeypatch):
    """Without the friendly check (as when a concurrent insert is not yet visible to it),
    PostgreSQL's constraint refuses the overlap, and the booking still answers 409."""
    book()
    monkeypatch.setattr(booking, "refuse_overlap", lambda *args, **kwargs: None)
    with pytest.raises(Conflict) as info:
        book(reservation_time=time(19, 30))
    assert info.value.code == "slot_unavailable"
    assert info.value.details["conflict"]["reservation_time"] == "19:00"
    assert Reservation.objects.count() == 1


def test_a_stale_hold_does_not_block_and_ends_expired(book, clock):
    stale = book()
    clock.move_to(stale.expires_at + timedelta(seconds=1))
    fresh = book()
    stale.refresh_from_db()
    assert stale.status == Status.EXPIRED
    assert fresh.status == Status.PENDING and fresh.table_id == stale.table_id


def test_a_live_hold_still_blocks(book, clock):
    held = book()
    clock.move_to(held.expires_at - timedelta(seconds=5))
    with pytest.raises(Conflict):
        book()
    held.refresh_from_db()
    assert held.status == Status.PENDING


# --- the lock --------------------------------------------------------------------------------


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_a_held_lock_is_423_slot_locked(book, table):
    with (
        locking.redis_lock(table_guard.lock_name(table.pk, SEED_DATE)),
        pytest.raises(Locked) as info,
    ):
        book()
    assert info.value.code == "slot_locked"
    assert info.value.headers() == {"Retry-After": "1"}
    assert not Reservation.objects.exists()


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_the_lock_is_released_when_the_critical_section_fails(book, table, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom inside the transaction")

    monkeypatch.setattr(booking, "after_change", explode)
    with pytest.raises(RuntimeError):
        book()
    assert not Reservation.objects.exists()  # rolled back
    key = locking.LOCK_PREFIX + table_guard.lock_name(table.pk, SEED_DATE)
    assert locking.redis_client().get(key) is None
    monkeypatch.undo()
    assert book().status == Status.PENDING


@pytest.mark.redis_only(reason="the booking lock lives in Redis")
def test_the_lock_is_held_during_the_write(book, table, monkeypatch):
    seen = []
    key = locking.LOCK_PREFIX + table_guard.lock_name(table.pk, SEED_DATE)

    def look(reservation, kind, **kwargs):
        seen.append(locking.redis_client().get(key) is not None)

    monkeypatch.setattr(booking, "after_change", look)
    book()
    assert seen == [True]


# --- cost ------------------------------------------------------------------------------------


def test_a_booking_makes_a_bounded_number_of_queries(
    book, restaurant, table, guest, guest_user, django_assert_max_num_queries
):
    """Restaurant, staff role, the caller's restaurants and the guest in their scope, periods,
    closures, turn times, the table and a first overlap check (or the free tables), then in the
    transaction lapsed holds, the overlap check, the slot's pacing counter, the insert, its
    table's occupancy row and the outbox row of the guest's email: 15 statements (14 for a
    guest, who needs no staff scope, plus 3 for the hold limits: the account's row lock and
    two counts), plus 6 for the three savepoints (inside the test's transaction), however many
    tables and reservations exist. The counter is one guarded update, three statements for a
    slot's first booking (the update, the row's insert, the update again)."""
    for n in range(6):
        other = TableFactory(restaurant=restaurant, number=f"x{n}")
        for day in range(4):
            ReservationFactory(
                table=other, customer=guest, start_at=SEED_START + timedelta(days=day)
            )
        ReservationFactory(table=table, customer=guest, start_at=SEED_START + timedelta(days=n + 1))
    with django_assert_max_num_queries(21):
        book()  # a slot already counting a reservation
    with django_assert_max_num_queries(22):
        book(table_id=None, reservation_time=time(21))
    # A guest's own booking also locks the account row and counts its holds and upcoming
    # reservations (the limits against squatting).
    with django_assert_max_num_queries(27):
        book(user=guest_user, customer_id=None, reservation_time=time(17))


# --- daylight saving time, end to end ---------------------------------------------------------


def test_new_york_fall_back_night_books_the_first_occurrence(staff_user, clock):
    restaurant = RestaurantFactory(
        timezone="America/New_York", min_notice_minutes=0, default_duration_minutes=60
    )
    OpeningHoursFactory(restaurant=restaurant, weekday=5, opens_at=time(20), closes_at=time(3))
    table = TableFactory(restaurant=restaurant)
    StaffMembershipFactory(restaurant=restaurant, user=staff_user)
    guest = CustomerFactory(created_by_restaurant=restaurant)  # a guest of this restaurant
    clock.move_to(datetime(2025, 10, 30, 12, 0, tzinfo=UTC))
    fall_back = date(2025, 11, 2)
    first = datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2025, 11, 2, 6, 30, tzinfo=UTC)  # 01:30 EST, an hour later
    assert {i.astimezone(restaurant.tz).replace(tzinfo=None) for i in (first, second)} == {
        datetime(2025, 11, 2, 1, 30)
    }
    # The wall time 01:30 is the first occurrence, even when asked for the second (fold=1).
    assert rules.aware_or_none(restaurant.tz, fall_back, time(1, 30)) == first
    assert rules.aware_or_none(restaurant.tz, fall_back, time(1, 30, fold=1)) == first

    reservation = reservation_create(
        user=staff_user,
        restaurant_id=restaurant.pk,
        customer_id=guest.pk,
        table_id=table.pk,
        reservation_date=fall_back,
        reservation_time=time(1, 30),
        party_size=2,
    )
    assert (reservation.reservation_date, reservation.reservation_time) == (fall_back, time(1, 30))
    # Sixty real minutes: the stay ends as the wall clock shows 01:30 again, not at 02:30.
    assert (reservation.start_at, reservation.end_at) == (first, second)
    # So the table is free from the second 01:30 on: the database's no-overlap constraint
    # takes a stay starting there (it would refuse one if the booking held the second hour).
    later = ReservationFactory(table=table, customer=guest, start_at=second, minutes=60)
    assert (later.reservation_date, later.reservation_time) == (fall_back, time(1, 30))


def test_madrid_spring_forward_gap_is_refused_by_the_service(book, clock, restaurant):
    # Saturday's service becomes a late one, running into the night the clocks go forward.
    restaurant.opening_hours.filter(weekday=5).delete()
    OpeningHoursFactory(restaurant=restaurant, weekday=5, opens_at=time(23, 45), closes_at=time(5))
    clock.move_to(datetime(2025, 3, 20, 12, 0, tzinfo=UTC))
    with pytest.raises(ValidationFailed) as info:
        book(reservation_date=date(2025, 3, 30), reservation_time=time(2, 30))
    assert field_of(info) == ["reservation_time"]
    stay = book(reservation_date=date(2025, 3, 30), reservation_time=time(1, 30))
    assert stay.end_at - stay.start_at == timedelta(minutes=90)
