"""The query plans of the booking and availability queries on the benchmark's database, as the
ORM writes them (``QuerySet.explain(analyze=True)``): ``python -m bench.plans BUSY_DAY`` with
the benchmark's environment prints them as one JSON object. ``python -m bench --scale`` runs
it once the million reservations are in."""

import json
import os
import sys
from datetime import date, datetime, time, timedelta


def main(busy_day: str) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from customers.selectors import customers_bookable_at
    from reservations.models import Occupancy, Reservation
    from reservations.selectors import holding_occupancies
    from restaurants.models import Restaurant, Table

    busy = Restaurant.objects.get(slug="bench-20")
    tables = list(Table.objects.filter(restaurant=busy).values_list("pk", flat=True))
    day = date.fromisoformat(busy_day)
    start = datetime.combine(day, time(0), tzinfo=busy.tz)
    end = start + timedelta(days=1)
    now = timezone.now()
    stay = (start + timedelta(hours=19), start + timedelta(hours=20, minutes=30))
    one = [tables[0]]
    admin = User.objects.get(email="bench-admin@bench.example")
    customer = Reservation.objects.filter(restaurant=busy).values_list("customer_id", flat=True)[0]
    plans = {
        "availability: the day's occupancy of the restaurant's tables": (
            holding_occupancies(start_at=start, end_at=end, now=now)
            .filter(table_id__in=tables)
            .order_by()
            .values_list(
                "table_id", "start_at", "end_at", "reservation__status", "reservation__expires_at"
            )
        ),
        "booking: who holds the table (read only after the constraint refuses)": (
            holding_occupancies(start_at=stay[0], end_at=stay[1], now=now)
            .filter(table_id__in=one)
            .select_related("reservation")
            .order_by("table_id", "start_at")[:1]
        ),
        "booking (full path): the lapsed holds on the tables": (
            Reservation.objects.lapsed_holds(now)
            .filter(
                pk__in=Occupancy.objects.filter(table_id__in=one, holds=True).values(
                    "reservation_id"
                )
            )
            .order_by("pk")
        ),
        "booking: the guest in the staff's scope": customers_bookable_at(admin, busy.pk).filter(
            pk=customer
        ),
    }
    print(json.dumps({name: qs.explain(analyze=True) for name, qs in plans.items()}))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main(sys.argv[1])
