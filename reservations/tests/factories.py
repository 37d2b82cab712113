"""Test data for the booking tests: the fixed clock, and reservation rows arranged directly
(setup only; the code under test always goes through the services)."""

from datetime import UTC, date, datetime, time, timedelta

import factory
from django.db.models import Count, F, Sum

from core.clock import now
from customers.tests.factories import CustomerFactory
from reservations.models import Occupancy, Reservation, SlotPace
from restaurants.tests.factories import OpeningHoursFactory, TableFactory

# Thursday 2025-08-28 10:00 UTC, 12:00 in Madrid: the seed's Saturday 19:00 is bookable.
NOW = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)
SEED_DATE = date(2025, 8, 30)
SEED_TIME = time(19, 0)

Status = Reservation.Status
# Statuses a reservation reaches only through a confirmation.
_CONFIRMED_ONCE = (Status.CONFIRMED, Status.SEATED, Status.COMPLETED, Status.NO_SHOW)


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
    sync_occupancy(reservation)
    return reservation


def sync_occupancy(reservation: Reservation) -> None:
    """After a test wrote a reservation's status or stay directly: its occupancy rows as the
    services would have left them (holding while active, the same stay), and its
    restaurant's pacing counters."""
    Occupancy.objects.filter(reservation_id=reservation.pk).update(
        holds=reservation.status in Reservation.ACTIVE_STATUSES,
        start_at=reservation.start_at,
        end_at=reservation.end_at,
    )
    recount_pace(reservation.restaurant_id)


def pace_counts(restaurant_id: int) -> dict[datetime, tuple[int, int]]:
    """What the pacing counters of a restaurant must say, counted from its reservations:
    {start: (guests, parties)} of every reservation in a paced status."""
    return {
        row["start_at"]: (row["covers"], row["parties"])
        for row in Reservation.objects.filter(
            restaurant_id=restaurant_id, status__in=Reservation.PACED_STATUSES
        )
        .order_by("start_at")
        .values("start_at")
        .annotate(covers=Sum("party_size"), parties=Count("id"))
    }


def stored_pace(restaurant_id: int) -> dict[datetime, tuple[int, int]]:
    """The restaurant's pacing counters as stored, empty slots left out."""
    return {
        slot_start: (covers, parties)
        for slot_start, covers, parties in SlotPace.objects.filter(
            restaurant_id=restaurant_id
        ).values_list("slot_start", "covers", "parties")
        if covers or parties
    }


def recount_pace(restaurant_id: int) -> None:
    """The restaurant's pacing counters rebuilt from its reservations (setup only)."""
    SlotPace.objects.filter(restaurant_id=restaurant_id).delete()
    SlotPace.objects.bulk_create(
        SlotPace(restaurant_id=restaurant_id, slot_start=start, covers=covers, parties=parties)
        for start, (covers, parties) in pace_counts(restaurant_id).items()
    )


def _in_two_days() -> datetime:
    return (now() + timedelta(days=2)).replace(second=0, microsecond=0)


def _start(o) -> datetime:
    if o.reservation_date is None and o.reservation_time is None:
        return _in_two_days()
    if o.reservation_date is None or o.reservation_time is None:
        raise ValueError("give both reservation_date and reservation_time, or start_at")
    local = datetime.combine(o.reservation_date, o.reservation_time, tzinfo=o.restaurant.tz)
    return local.astimezone(UTC)  # a wall time the clock skips comes back another time


class ReservationFactory(factory.django.DjangoModelFactory):
    """A reservation row written directly, for tests that need one as data.

    Its times agree as the booking service writes them: give ``start_at`` (an aware instant;
    by default two days from now, to the minute) and the local ``reservation_date`` and
    ``reservation_time`` are read from it in the restaurant's zone, or give those two and
    ``start_at`` is computed from them; ``end_at`` is ``minutes`` (90) after the start. The
    table decides the restaurant: ``table__restaurant=r`` puts the reservation on a new table
    of ``r``. A pending row is a live hold (``expires_at`` the restaurant's ``hold_minutes``
    from now); ``lapsed=True`` is a pending hold whose time ran out; ``past=True`` a visit
    (completed, a day ago; give ``status`` for a no-show). Rows past a confirmation carry
    ``confirmed_at``."""

    class Meta:
        model = Reservation
        skip_postgeneration_save = True

    class Params:
        minutes = 90
        lapsed = factory.Trait(
            status=Status.PENDING,
            expires_at=factory.LazyFunction(lambda: now() - timedelta(minutes=1)),
        )
        past = factory.Trait(
            status=Status.COMPLETED,
            start_at=factory.LazyFunction(lambda: now() - timedelta(days=1)),
        )

    table = factory.SubFactory(TableFactory)
    restaurant = factory.SelfAttribute("table.restaurant")
    customer = factory.SubFactory(CustomerFactory)
    party_size = 2
    status = Status.CONFIRMED
    # Read from start_at when not given (see _adjust_kwargs).
    reservation_date = None
    reservation_time = None
    start_at = factory.LazyAttribute(_start)
    end_at = factory.LazyAttribute(lambda o: o.start_at + timedelta(minutes=o.minutes))
    expires_at = factory.LazyAttribute(
        lambda o: (
            now() + timedelta(minutes=o.restaurant.hold_minutes)
            if o.status == Status.PENDING
            else None
        )
    )
    confirmed_at = factory.LazyAttribute(lambda o: now() if o.status in _CONFIRMED_ONCE else None)

    @factory.post_generation
    def tables(obj, create, extracted, **kwargs):
        """Its occupancy, as the booking core writes it: ``table``, and with
        ``tables=[t2, t3]`` those too (a seating of joined tables); and its place in its
        slot's pacing counter."""
        if not create:
            return
        seating = {obj.table_id, *(table.pk for table in extracted or ())}
        Occupancy.objects.bulk_create(
            Occupancy(
                reservation=obj,
                table_id=table_id,
                start_at=obj.start_at,
                end_at=obj.end_at,
                holds=obj.status in Reservation.ACTIVE_STATUSES,
            )
            for table_id in sorted(seating)
        )
        if obj.status in Reservation.PACED_STATUSES:
            # Its place in its slot's pacing counter, as the booking core takes it.
            SlotPace.objects.bulk_create(
                [SlotPace(restaurant_id=obj.restaurant_id, slot_start=obj.start_at)],
                ignore_conflicts=True,
            )
            SlotPace.objects.filter(
                restaurant_id=obj.restaurant_id, slot_start=obj.start_at
            ).update(covers=F("covers") + obj.party_size, parties=F("parties") + 1)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        restaurant, table = kwargs["restaurant"], kwargs["table"]
        if table.restaurant_id != restaurant.pk:
            raise ValueError("the table is at another restaurant: give table__restaurant=")
        local = kwargs["start_at"].astimezone(UTC).astimezone(restaurant.tz)
        if kwargs["reservation_date"] is None:
            kwargs["reservation_date"], kwargs["reservation_time"] = local.date(), local.time()
        elif (kwargs["reservation_date"], kwargs["reservation_time"]) != (
            local.date(),
            local.time(),
        ):
            # Given both ways and disagreeing, or a local time the clock skips.
            raise ValueError(
                f"start_at {kwargs['start_at']} is {local:%Y-%m-%d %H:%M} in {restaurant.tz}, "
                f"not {kwargs['reservation_date']} {kwargs['reservation_time']}"
            )
        return kwargs
