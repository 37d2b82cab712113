"""Walk-ins through the booking core (issue 15): the restaurant's staff seat a party now
(reservations.callers.reservation_walk_in). Seated at once at the first free seating, in the
booking core's order, for the party's stay; refused with the reason when none is free, when no
table seats the party or when the restaurant is closed now, leaving nothing behind; counted
by pacing but never refused by it; recorded on a profile of its own when the guest gives no
e-mail or phone, and told nothing by e-mail. The database's exclusion constraint still decides
a race for the last table."""

import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import connections

from core.errors import (
    NoTableFreeNow,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RestaurantClosedNow,
    SlotUnavailable,
    ValidationFailed,
)
from customers.models import Customer
from customers.services import customer_update
from customers.tests.factories import CustomerFactory, UserFactory
from notifications.models import Notification
from reservations.actors import Actor
from reservations.callers import reservation_create, reservation_walk_in
from reservations.models import Occupancy, Reservation
from reservations.pacing import SlotLoads
from reservations.services import booking, reservation_complete
from reservations.tests.factories import ReservationFactory, pace_counts, stored_pace
from reservations.tests.overlaps import overlapping_holders
from reservations.tests.test_concurrency import redis_down  # noqa: F401
from restaurants.combinations import table_combination_create
from restaurants.models import StaffMembership
from restaurants.tests.factories import (
    ClosureFactory,
    DurationRuleFactory,
    RestaurantFactory,
    StaffMembershipFactory,
    TableFactory,
)

pytestmark = pytest.mark.django_db
Status = Reservation.Status

# Thursday 2025-08-28 18:07:42 UTC: 20:07:42 in Madrid, in the evening's service.
EVENING = datetime(2025, 8, 28, 18, 7, 42, 123456, tzinfo=UTC)
EVENING_START = datetime(2025, 8, 28, 18, 7, tzinfo=UTC)  # rounded down to the minute
TODAY = date(2025, 8, 28)


@pytest.fixture
def evening(db):
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def floor(restaurant, table):
    """Table 1 (four seats, the conftest's), tables 2 and 3 (two seats each) joined for four."""
    t2 = TableFactory(restaurant=restaurant, number="2", capacity=2, min_capacity=1)
    t3 = TableFactory(restaurant=restaurant, number="3", capacity=2, min_capacity=1)
    table_combination_create(
        restaurant=restaurant, table_ids=[t2.pk, t3.pk], min_capacity=3, capacity=4
    )
    return table, t2, t3


def held_tables(reservation) -> list[int]:
    return sorted(
        Occupancy.objects.filter(reservation=reservation, holds=True).values_list(
            "table_id", flat=True
        )
    )


def seated_party(restaurant, tables, party_size=2, start=EVENING_START, minutes=90):
    """A party already at ``tables`` (set up directly, through the factory)."""
    first, *others = tables
    return ReservationFactory(
        restaurant=restaurant,
        table=first,
        tables=others,
        party_size=party_size,
        start_at=start,
        minutes=minutes,
        status=Status.SEATED,
    )


# --- seated now ------------------------------------------------------------------------------


def test_a_walk_in_is_seated_now_at_the_smallest_free_table(restaurant, floor, staff_user, evening):
    _t1, t2, _t3 = floor
    reservation = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=2, guest_name="Ana García"
    )

    reservation.refresh_from_db()
    assert reservation.status == Status.SEATED
    assert reservation.source == Reservation.Source.WALK_IN
    # Now, rounded down to the minute: 20:07 in Madrid, inside the notice and off the grid.
    assert reservation.start_at == EVENING_START
    assert (reservation.reservation_date, reservation.reservation_time) == (TODAY, time(20, 7))
    assert reservation.end_at == EVENING_START + timedelta(minutes=90)
    assert reservation.seated_at == EVENING
    assert reservation.confirmed_at == EVENING
    assert reservation.expires_at is None
    assert reservation.created_by == staff_user
    # Table 2 (two seats) before table 1 (four): the booking core's order, smallest first.
    assert held_tables(reservation) == [t2.pk]
    assert reservation.table_id == t2.pk


def test_the_stay_follows_the_restaurants_duration_rules(restaurant, floor, staff_user, evening):
    DurationRuleFactory(restaurant=restaurant, min_party=3, max_party=4, duration_minutes=120)
    reservation = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=4)
    assert reservation.end_at - reservation.start_at == timedelta(minutes=120)


def test_a_combination_is_taken_when_the_single_tables_are_full(
    restaurant, floor, staff_user, evening
):
    t1, t2, t3 = floor
    seated_party(restaurant, [t1], party_size=4)
    reservation = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=4)
    assert held_tables(reservation) == sorted([t2.pk, t3.pk])
    assert overlapping_holders() == 0


def test_a_walk_in_needs_no_notice_but_the_restaurant_open_now(restaurant, table, staff_user):
    assert restaurant.min_notice_minutes == 60
    # 03:00 in Madrid: the restaurant opens at 12:00.
    with (
        time_machine.travel(datetime(2025, 8, 28, 1, 0, tzinfo=UTC), tick=False),
        pytest.raises(RestaurantClosedNow) as refused,
    ):
        reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    assert "not open now (03:00)" in refused.value.message
    assert refused.value.status == 409
    # Open from its first minute.
    with time_machine.travel(datetime(2025, 8, 28, 10, 0, tzinfo=UTC), tick=False):
        reservation = reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2
        )
    assert reservation.reservation_time == time(12, 0)


def test_a_closed_day_takes_no_walk_in_and_leaves_nothing_behind(
    restaurant, table, staff_user, evening
):
    ClosureFactory(restaurant=restaurant, starts_on=TODAY, ends_on=TODAY)
    profiles = Customer.objects.count()
    with pytest.raises(RestaurantClosedNow) as refused:
        reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2, guest_name="Bo"
        )
    assert "closed today" in refused.value.message
    assert Reservation.objects.count() == 0
    assert Customer.objects.count() == profiles


# --- refused ---------------------------------------------------------------------------------


def test_refused_when_every_seating_is_taken_with_when_one_frees_up(
    restaurant, floor, staff_user, evening
):
    t1, t2, t3 = floor
    seated_party(restaurant, [t1], party_size=4)  # leaves at 21:37
    # 2 and 3 free up at 21:07, but 3 is booked again from 21:30: no seating for four then.
    seated_party(restaurant, [t2], start=EVENING_START - timedelta(minutes=30))
    seated_party(restaurant, [t3], start=EVENING_START - timedelta(minutes=30))
    ReservationFactory(
        restaurant=restaurant,
        table=t3,
        party_size=2,
        start_at=datetime(2025, 8, 28, 19, 30, tzinfo=UTC),
        status=Status.CONFIRMED,
    )
    profiles = Customer.objects.count()

    with pytest.raises(NoTableFreeNow) as refused:
        reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=4, guest_name="Cy"
        )

    error = refused.value
    assert (error.status, error.code) == (409, "no_table_free_now")
    assert error.message == "No table for 4 is free now. The next one frees up at 21:37."
    assert error.details == {
        "party_size": 4,
        "next_free_at": "2025-08-28T19:37:00Z",
        "next_free_time": "21:37",
    }
    assert Reservation.objects.filter(source=Reservation.Source.WALK_IN).count() == 0
    assert Customer.objects.count() == profiles


def test_refused_without_a_time_when_nothing_frees_up_soon(restaurant, table, staff_user, evening):
    seated_party(restaurant, [table], minutes=300)
    ReservationFactory(
        restaurant=restaurant,
        table=table,
        start_at=EVENING_START + timedelta(minutes=300),
        status=Status.CONFIRMED,
    )
    # The table frees up at 01:07 only to be taken again: no time to offer.
    with pytest.raises(NoTableFreeNow) as refused:
        reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    assert refused.value.details["next_free_at"] is None
    assert refused.value.message == "No table for 2 is free now."


# --- a party that outstays its booking -----------------------------------------------------------

# The review's probe: a party seated 18:00-19:30 UTC is still seated at 19:45 (21:45 in Madrid).
OVERSTAY_START = datetime(2025, 8, 28, 18, 0, tzinfo=UTC)
PAST_ITS_END = datetime(2025, 8, 28, 19, 45, tzinfo=UTC)


def test_a_party_seated_past_its_end_keeps_its_table_until_it_is_completed(
    restaurant, table, staff_user
):
    sitting = seated_party(restaurant, [table], start=OVERSTAY_START)
    assert sitting.end_at == datetime(2025, 8, 28, 19, 30, tzinfo=UTC)
    with time_machine.travel(PAST_ITS_END, tick=False):
        with pytest.raises(NoTableFreeNow) as refused:
            reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
        # Not "frees up at 21:30": that has passed and they still sit; when they leave is unknown.
        assert refused.value.details["next_free_at"] is None
        assert refused.value.message == "No table for 2 is free now."
        # Naming the table is the same refusal, saying why.
        with pytest.raises(SlotUnavailable) as taken:
            reservation_walk_in(
                user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[table.pk]
            )
        assert taken.value.details["table_id"] == table.pk
        assert taken.value.message == "Table 1's party is still seated (booked until 21:30)."
        assert Reservation.objects.count() == 1

        reservation_complete(reservation=sitting, actor=Actor.host(staff_user, restaurant.pk))
        walk_in = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    assert walk_in.status == Status.SEATED
    assert held_tables(walk_in) == [table.pk]


@pytest.mark.postgres_only(reason="the insert-only short path of a booking is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_too_the_overlap_check_sees_the_party_still_seated(
    restaurant, table, staff_user
):
    """Outside a caller's transaction a booking on PostgreSQL may let the exclusion constraint
    alone check the overlap; it knows only booked stays, so a walk-in is always checked."""
    seated_party(restaurant, [table], start=OVERSTAY_START)
    with (
        time_machine.travel(PAST_ITS_END, tick=False),
        pytest.raises(SlotUnavailable) as taken,
    ):
        reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[table.pk]
        )
    assert taken.value.message == "Table 1's party is still seated (booked until 21:30)."
    assert Reservation.objects.count() == 1


def test_a_walk_in_goes_to_another_table_while_a_party_outstays_its_booking(
    restaurant, table, staff_user
):
    small = TableFactory(restaurant=restaurant, number="2", capacity=2, min_capacity=1)
    seated_party(restaurant, [small], start=OVERSTAY_START)
    with time_machine.travel(PAST_ITS_END, tick=False):
        walk_in = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    # Table 2 (two seats) comes first in the booking core's order, but its party still sits.
    assert held_tables(walk_in) == [table.pk]


def test_when_one_frees_up_skips_a_table_whose_party_outstays_its_booking(
    restaurant, table, staff_user
):
    """Table 1 (the only one seating two) has a party past its end; table 2 (five or six only)
    frees up at 22:30. At 22:30 table 1 is free by its booking, but its party may still be
    there: no time is named."""
    seated_party(restaurant, [table], start=OVERSTAY_START)
    big = TableFactory(restaurant=restaurant, number="2", capacity=6, min_capacity=5)
    seated_party(restaurant, [big], party_size=5, start=datetime(2025, 8, 28, 19, 0, tzinfo=UTC))
    with (
        time_machine.travel(PAST_ITS_END, tick=False),
        pytest.raises(NoTableFreeNow) as refused,
    ):
        reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    assert refused.value.details["next_free_at"] is None
    # A party still within its booking frees its table at its booked end, as before.
    with (
        time_machine.travel(PAST_ITS_END, tick=False),
        pytest.raises(NoTableFreeNow) as refused,
    ):
        reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=5)
    assert refused.value.details["next_free_time"] == "22:30"


def test_a_party_past_its_end_does_not_hold_its_table_for_a_later_booking(
    restaurant, table, staff_user, guest
):
    """The rule is for what happens now: an advance booking (always after now) counts the
    booked end, as availability does; the host completes the party before that guest comes."""
    seated_party(restaurant, [table], start=OVERSTAY_START)
    with time_machine.travel(PAST_ITS_END, tick=False):
        later = reservation_create(
            user=staff_user,
            restaurant_id=restaurant.pk,
            customer_id=guest.pk,
            reservation_date=TODAY,
            reservation_time=time(22, 0),
            party_size=2,
            override_notice=True,
        )
    assert held_tables(later) == [table.pk]


def test_a_party_no_table_seats_is_400(restaurant, floor, staff_user, evening):
    with pytest.raises(ValidationFailed) as refused:
        reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=9)
    assert list(refused.value.details) == ["party_size"]
    assert "seats a party of 9" in refused.value.message


def test_bad_details_are_400_naming_each_field(restaurant, table, staff_user, evening):
    with pytest.raises(ValidationFailed) as refused:
        reservation_walk_in(
            user=staff_user,
            restaurant_id=restaurant.pk,
            party_size=2,
            guest_name="x" * 151,
            email="not-an-address",
            phone="12",
            notes="\x00",
        )
    assert set(refused.value.details) == {"guest_name", "email", "phone", "notes"}
    assert Reservation.objects.count() == 0


# --- the tables the host names ---------------------------------------------------------------


def test_the_host_may_name_a_table_or_a_combination_but_not_any_tables(
    restaurant, floor, staff_user, evening
):
    t1, t2, t3 = floor
    at_one = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[t1.pk]
    )
    assert held_tables(at_one) == [t1.pk]
    joined = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=4, table_ids=[t3.pk, t2.pk]
    )
    assert held_tables(joined) == sorted([t2.pk, t3.pk])
    # A named table that is taken: the same 409 as a booking's, naming it.
    with pytest.raises(SlotUnavailable) as taken:
        reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[t1.pk]
        )
    assert taken.value.details["table_id"] == t1.pk


def test_only_a_manager_seats_a_walk_in_at_tables_of_their_choice(
    restaurant, table, staff_user, evening
):
    other = TableFactory(restaurant=restaurant, number="9", capacity=2)
    with pytest.raises(ValidationFailed) as refused:
        reservation_walk_in(
            user=staff_user,
            restaurant_id=restaurant.pk,
            party_size=6,
            table_ids=[table.pk, other.pk],
        )
    assert "no combination" in refused.value.details["table_ids"][0]
    manager = StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER)
    reservation = reservation_walk_in(
        user=manager.user, restaurant_id=restaurant.pk, party_size=6, table_ids=[table.pk, other.pk]
    )
    assert held_tables(reservation) == sorted([table.pk, other.pk])


def test_another_restaurants_table_is_refused(restaurant, table, staff_user, evening):
    elsewhere = TableFactory(restaurant=RestaurantFactory())
    with pytest.raises(ValidationFailed) as refused:
        reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[elsewhere.pk]
        )
    assert "not a table of this restaurant" in refused.value.details["table_ids"][0]


# --- pacing ----------------------------------------------------------------------------------


def test_pacing_counts_a_walk_in_and_never_refuses_it(restaurant, table, staff_user, evening):
    second = TableFactory(restaurant=restaurant, number="2", capacity=4)
    restaurant.max_covers_per_slot = 4
    restaurant.save()
    # 20:00 is full: four guests booked in its interval (20:00-20:15).
    ReservationFactory(
        restaurant=restaurant,
        table=table,
        party_size=4,
        start_at=datetime(2025, 8, 28, 18, 0, tzinfo=UTC),
        status=Status.CONFIRMED,
    )

    walk_in = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=3)

    assert walk_in.status == Status.SEATED
    assert held_tables(walk_in) == [second.pk]
    # Counted at its own start (20:07), inside the 20:00 interval.
    assert stored_pace(restaurant.pk) == pace_counts(restaurant.pk)
    assert stored_pace(restaurant.pk)[EVENING_START] == (3, 1)
    # The interval now counts seven guests, over its limit: what the host stand's covers
    # per interval and availability read.
    loads = SlotLoads.load(
        restaurant,
        start=datetime(2025, 8, 28, 18, 0, tzinfo=UTC),
        end=datetime(2025, 8, 28, 19, 0, tzinfo=UTC),
        now=EVENING,
    )
    assert loads.counted_within(datetime(2025, 8, 28, 18, 0, tzinfo=UTC)) == (7, 2)


# --- the guest -------------------------------------------------------------------------------


def test_a_walk_in_without_contact_gets_a_profile_of_its_own(
    restaurant, floor, staff_user, evening
):
    first = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=2, guest_name="Ana García"
    )
    second = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)

    ana, nameless = first.customer, second.customer
    assert (ana.first_name, ana.last_name, ana.email, ana.phone) == ("Ana", "García", "", "")
    assert (nameless.first_name, nameless.email, nameless.phone) == ("Walk-in", "", "")
    assert ana.pk != nameless.pk
    assert ana.user is None and ana.created_by_restaurant == restaurant
    assert nameless.created_by_restaurant == restaurant


def test_the_staff_may_name_a_contactless_walk_in_later(restaurant, floor, staff_user, evening):
    walk_in = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
    renamed = customer_update(
        customer=walk_in.customer,
        data={"first_name": "Hal", "allergies": "nuts"},
        staff_user=staff_user,
    )
    assert (renamed.first_name, renamed.allergies, renamed.phone) == ("Hal", "nuts", "")
    # A profile that had a phone still keeps one: taking the last contact away is refused.
    with_phone = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=2, phone="+34600999888"
    )
    with pytest.raises(ValidationFailed) as refused:
        customer_update(customer=with_phone.customer, data={"phone": ""}, staff_user=staff_user)
    assert set(refused.value.details) == {"email", "phone"}


def test_a_walk_in_with_a_phone_or_email_is_the_restaurants_local_profile(
    restaurant, floor, staff_user, evening
):
    known = CustomerFactory(
        created_by_restaurant=restaurant, email="", phone="+34600111222", first_name="Eva"
    )
    by_phone = reservation_walk_in(
        user=staff_user, restaurant_id=restaurant.pk, party_size=2, phone="+34 600 111 222"
    )
    assert by_phone.customer == known
    assert by_phone.contact_phone == "+34600111222"
    by_email = reservation_walk_in(
        user=staff_user,
        restaurant_id=restaurant.pk,
        party_size=2,
        guest_name="Fe",
        email="FE@example.com",
    )
    assert (by_email.customer.first_name, by_email.customer.email) == ("Fe", "fe@example.com")
    assert by_email.customer.created_by_restaurant == restaurant


def test_no_email_is_recorded_or_sent_for_a_walk_in(
    restaurant, floor, staff_user, evening, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        without = reservation_walk_in(user=staff_user, restaurant_id=restaurant.pk, party_size=2)
        with_address = reservation_walk_in(
            user=staff_user, restaurant_id=restaurant.pk, party_size=2, email="gi@example.com"
        )
    assert Notification.objects.filter(reservation__in=[without, with_address]).count() == 0
    assert mail.outbox == []


# --- who ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("host of R", True),
        ("manager of R", True),
        ("superuser", True),
        ("host of S", False),
        ("guest account", False),
    ],
)
def test_who_may_seat_a_walk_in(restaurant, table, evening, who, allowed):
    other = RestaurantFactory()
    user = {
        "host of R": lambda: (
            StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.HOST).user
        ),
        "manager of R": lambda: (
            StaffMembershipFactory(restaurant=restaurant, role=StaffMembership.Role.MANAGER).user
        ),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "host of S": lambda: (
            StaffMembershipFactory(restaurant=other, role=StaffMembership.Role.HOST).user
        ),
        "guest account": lambda: UserFactory(),
    }[who]()
    if allowed:
        reservation = reservation_walk_in(user=user, restaurant_id=restaurant.pk, party_size=2)
        assert reservation.status == Status.SEATED
        return
    with pytest.raises(PermissionDenied):
        reservation_walk_in(user=user, restaurant_id=restaurant.pk, party_size=2)
    assert Reservation.objects.count() == 0


def test_an_anonymous_user_is_not_signed_in(restaurant, table, evening):
    with pytest.raises(NotAuthenticated):
        reservation_walk_in(user=AnonymousUser(), restaurant_id=restaurant.pk, party_size=2)


def test_a_superuser_naming_no_restaurant_is_404(evening):
    with pytest.raises(NotFound):
        reservation_walk_in(
            user=UserFactory(is_superuser=True, is_staff=True), restaurant_id=999999, party_size=2
        )


def test_the_core_refuses_a_walk_in_for_a_guest(restaurant, table, guest_user, evening):
    from reservations.services.guests import walk_in_profile

    with pytest.raises(PermissionDenied):
        booking.reservation_book(
            restaurant=restaurant,
            guest=walk_in_profile(restaurant),
            reservation_date=None,
            reservation_time=None,
            party_size=2,
            table_id=None,
            actor=Actor.guest(guest_user),
            source=Reservation.Source.WALK_IN,
            walk_in=True,
        )


# --- the race for the last table ---------------------------------------------------------------


def walk_in_race(threads: int, seat) -> Counter:
    """Release ``threads`` walk-ins at once, each in its own thread and connection; each ends
    "seated", the code of the error it got, or the repr of anything else."""
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    guard = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            seat(n)
            outcome = "seated"
        except Exception as exc:
            outcome = getattr(exc, "code", None) or repr(exc)
        finally:
            connections.close_all()
        with guard:
            outcomes[outcome] += 1

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    stuck = [w.name for w in workers if w.is_alive()]
    assert not stuck, f"still running after 60 s: {stuck}"
    return outcomes


@pytest.mark.postgres_only(reason="the exclusion constraint decides races between connections")
@pytest.mark.django_db(transaction=True)
def test_two_walk_ins_racing_for_the_last_table_one_wins(restaurant, table, staff_user):
    with time_machine.travel(EVENING, tick=True):
        outcomes = walk_in_race(
            2,
            lambda n: reservation_walk_in(
                user=staff_user, restaurant_id=restaurant.pk, party_size=2
            ),
        )
    assert outcomes["seated"] == 1, outcomes
    assert set(outcomes) <= {"seated", "no_table_free_now", "slot_unavailable", "slot_locked"}
    assert Reservation.objects.filter(status=Status.SEATED).count() == 1
    assert overlapping_holders() == 0


@pytest.mark.postgres_only(reason="the exclusion constraint decides races between connections")
@pytest.mark.django_db(transaction=True)
def test_the_constraint_alone_keeps_one_walk_in_at_the_last_table(
    restaurant,
    table,
    staff_user,
    monkeypatch,
    redis_down,  # noqa: F811
):
    """No Redis lock and no overlap check: only the exclusion constraint stands between the
    walk-ins naming the one table, and it lets one through (the rest: 409, never a 500)."""
    monkeypatch.setattr(booking, "refuse_overlap", lambda *args, **kwargs: None)
    threads = 6
    with time_machine.travel(EVENING, tick=True):
        outcomes = walk_in_race(
            threads,
            lambda n: reservation_walk_in(
                user=staff_user, restaurant_id=restaurant.pk, party_size=2, table_ids=[table.pk]
            ),
        )
    assert outcomes == Counter({"seated": 1, "slot_unavailable": threads - 1}), outcomes
    assert Reservation.objects.filter(status=Status.SEATED).count() == 1
    assert overlapping_holders() == 0
    # Nothing half-written: every loser's profile rolled back with it.
    assert Customer.objects.filter(first_name="Walk-in").count() == 1
