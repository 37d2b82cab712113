"""Test data for the booking tests: the fixed clock, and reservation rows arranged directly
(setup only; the code under test always goes through the services)."""

from datetime import UTC, date, datetime, time, timedelta

from reservations.models import Reservation
from restaurants.tests.factories import OpeningHoursFactory

# Thursday 2025-08-28 10:00 UTC, 12:00 in Madrid: the seed's Saturday 19:00 is bookable.
NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)
SEED_DATE = date(2025, 8, 30)
SEED_TIME = time(19, 0)


def open_every_day(restaurant, opens=time(12, 0), closes=time(23, 30)):
    for weekday in range(7):
        OpeningHoursFactory(
            restaurant=restaurant, weekday=weekday, opens_at=opens, closes_at=closes
        )


def put_in_status(reservation: Reservation, status: str, **fields) -> Reservation:
    """Arrange a reservation in ``status`` directly (tests' setup only; the code under test
    always goes through the services)."""
    values = {"status": status, **fields}
    if status != Reservation.Status.PENDING and "expires_at" not in fields:
        values["expires_at"] = None
    Reservation.objects.filter(pk=reservation.pk).update(**values)
    reservation.refresh_from_db()
    return reservation


def insert_reservation(*, table, customer, start_at, minutes=90, status="confirmed", **extra):
    """A reservation row written directly, for tests that need many of them quickly."""
    tz = table.restaurant.tz
    local = start_at.astimezone(tz)
    return Reservation.objects.create(
        restaurant=table.restaurant,
        table=table,
        customer=customer,
        party_size=2,
        reservation_date=local.date(),
        reservation_time=local.time(),
        start_at=start_at,
        end_at=start_at + timedelta(minutes=minutes),
        status=status,
        expires_at=extra.pop("expires_at", None),
        **extra,
    )
