"""The reservation factory every app's tests use writes rows whose times agree the way the
booking service writes them, or refuses to write them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.clock import now
from reservations.tests.factories import ReservationFactory
from restaurants.tests.factories import RestaurantFactory, TableFactory

pytestmark = pytest.mark.django_db


def test_local_date_and_time_are_read_from_the_start_in_the_restaurants_zone():
    table = TableFactory(restaurant=RestaurantFactory(timezone="America/New_York"))
    reservation = ReservationFactory(table=table, start_at=datetime(2025, 8, 30, 2, 30, tzinfo=UTC))
    reservation.refresh_from_db()
    assert (reservation.reservation_date, reservation.reservation_time) == (
        date(2025, 8, 29),
        time(22, 30),
    )
    assert reservation.end_at - reservation.start_at == timedelta(minutes=90)
    assert reservation.restaurant == table.restaurant


def test_the_start_is_computed_from_a_local_date_and_time():
    table = TableFactory(restaurant=RestaurantFactory(timezone="Europe/Madrid"))
    reservation = ReservationFactory(
        table=table, reservation_date=date(2025, 8, 30), reservation_time=time(19), minutes=60
    )
    assert reservation.start_at == datetime(2025, 8, 30, 17, 0, tzinfo=UTC)
    assert reservation.end_at == datetime(2025, 8, 30, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [
        # Given both ways, disagreeing.
        {"start_at": datetime(2025, 8, 30, 17, 0, tzinfo=UTC), "reservation_time": time(17)},
        # A wall time Madrid's clocks skip.
        {"reservation_date": date(2025, 3, 30), "reservation_time": time(2, 30)},
        # Half a local moment.
        {"reservation_date": date(2025, 8, 30)},
    ],
)
def test_times_that_disagree_are_refused(fields):
    if "start_at" in fields:
        fields["reservation_date"] = date(2025, 8, 30)
    table = TableFactory(restaurant=RestaurantFactory(timezone="Europe/Madrid"))
    with pytest.raises(ValueError):
        ReservationFactory(table=table, **fields)


def test_a_table_of_another_restaurant_is_refused():
    with pytest.raises(ValueError):
        ReservationFactory(restaurant=RestaurantFactory(), table=TableFactory())


def test_holds_are_live_unless_lapsed_and_visits_are_past():
    hold = ReservationFactory(status="pending")
    assert hold.expires_at == pytest.approx(
        now() + timedelta(minutes=hold.restaurant.hold_minutes), abs=timedelta(seconds=5)
    )
    assert hold.confirmed_at is None
    lapsed = ReservationFactory(lapsed=True)
    assert lapsed.status == "pending" and lapsed.expires_at < now()
    visit = ReservationFactory(past=True)
    assert visit.status == "completed" and visit.end_at < now()
    assert visit.expires_at is None and visit.confirmed_at is not None
