"""Seed the benchmark database: 20 restaurants x 30 tables open every day, about 10,000
reservations over the next 30 days in mixed statuses, 2,000 guests with accounts, and one
busy restaurant (40 tables, 300 reservations on one day) for availability.

Rows are bulk-inserted (this is test data, not the product's write path); the exclusion
constraint still checks every one. Prints one JSON line with what the load needs.
"""

import json
import os
import random
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

RESTAURANTS = 20
TABLES = 30
DAYS = 30
RESERVATIONS = 10_000
GUESTS = 2_000
# Starts per table and day that never overlap with 90-minute stays.
STARTS = [time(12, 0), time(14, 0), time(19, 0), time(21, 0)]


def main(bodies_path: str) -> None:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from customers.models import Customer
    from reservations.models import Occupancy, Reservation, SlotPace
    from restaurants.models import OpeningHours, Restaurant, Table

    rng = random.Random(20261126)
    now = datetime.now(UTC)
    password = make_password("bench-password")
    users = User.objects.bulk_create(
        User(email=f"guest{n}@bench.example", password=password, first_name=f"Guest{n}")
        for n in range(GUESTS)
    )
    customers = Customer.objects.bulk_create(
        Customer(user=u, first_name=u.first_name, last_name="Bench", email=u.email) for u in users
    )
    admin = User.objects.create_superuser(email="bench-admin@bench.example", password="x")

    def restaurant(n: int, tables: int, periods: list) -> tuple:
        r = Restaurant.objects.create(
            name=f"Bench {n}", slug=f"bench-{n}", timezone="Europe/Madrid", max_days_ahead=90
        )
        OpeningHours.objects.bulk_create(
            OpeningHours(restaurant=r, weekday=d, opens_at=o, closes_at=c)
            for d in range(7)
            for o, c in periods
        )
        made = Table.objects.bulk_create(
            Table(restaurant=r, number=str(t + 1), capacity=[2, 4, 6, 8][t % 4], min_capacity=1)
            for t in range(tables)
        )
        return r, made

    def reservation(r, table, day, start_time, status, customer, minutes=90):
        start = datetime.combine(day, start_time, tzinfo=r.tz).astimezone(UTC)
        pending = status == "pending"
        return Reservation(
            restaurant=r,
            table=table,
            customer=customer,
            party_size=2,
            reservation_date=day,
            reservation_time=start_time,
            start_at=start,
            end_at=start + timedelta(minutes=minutes),
            status=status,
            expires_at=min(now + timedelta(minutes=15), start) if pending else None,
            confirmed_at=now if status in ("confirmed", "seated", "completed") else None,
            source="online",
        )

    statuses = ["confirmed"] * 6 + ["pending", "cancelled", "completed", "no_show"]
    rows, free = [], []
    today = now.astimezone(Restaurant(timezone="Europe/Madrid").tz).date()
    per_restaurant_day = RESERVATIONS // (RESTAURANTS * DAYS) + 1
    for n in range(RESTAURANTS):
        r, tables = restaurant(n, TABLES, [(time(12, 0), time(16, 0)), (time(19, 0), time(23, 30))])
        for d in range(1, DAYS + 1):
            day = today + timedelta(days=d)
            cells = rng.sample([(t, s) for t in tables for s in STARTS], per_restaurant_day)
            rows += [
                reservation(r, t, day, s, rng.choice(statuses), rng.choice(customers))
                for t, s in cells
            ]
        # Free cells for the booking load: days 31-89, never seeded.
        free += [
            (r.pk, t.pk, (today + timedelta(days=d)).isoformat(), f"{s:%H:%M}")
            for d in range(31, 90)
            for t in tables
            for s in STARTS
        ]
    seeded = Reservation.objects.bulk_create(rows[:RESERVATIONS], batch_size=2000)

    busy, busy_tables = restaurant(RESTAURANTS, 40, [(time(10, 0), time(0, 0))])
    busy_day = today + timedelta(days=5)
    busy_rows = []
    for t in busy_tables:
        for k in range(8):
            start = (datetime.combine(busy_day, time(10, 0)) + timedelta(minutes=95 * k)).time()
            busy_rows.append(reservation(busy, t, busy_day, start, "confirmed", customers[0]))
    seeded += Reservation.objects.bulk_create(busy_rows[:300])
    # As the booking core leaves them: each reservation's occupancy of its table (the
    # exclusion constraint's rows, which availability and booking read) and the pacing
    # counters of the reservations that count.
    Occupancy.objects.bulk_create(
        (
            Occupancy(
                reservation_id=r.pk,
                table_id=r.table_id,
                start_at=r.start_at,
                end_at=r.end_at,
                holds=r.status in Reservation.ACTIVE_STATUSES,
            )
            for r in seeded
        ),
        batch_size=2000,
    )
    paced: dict[tuple[int, datetime], list[int]] = {}
    for r in seeded:
        if r.status in Reservation.PACED_STATUSES:
            counts = paced.setdefault((r.restaurant_id, r.start_at), [0, 0])
            counts[0] += r.party_size
            counts[1] += 1
    SlotPace.objects.bulk_create(
        (
            SlotPace(restaurant_id=rid, slot_start=start, covers=covers, parties=parties)
            for (rid, start), (covers, parties) in paced.items()
        ),
        batch_size=2000,
    )

    rng.shuffle(free)
    with Path(bodies_path).open("w") as out:
        for restaurant_id, table_id, day, start in free:
            body = {
                "restaurant_id": restaurant_id,
                "table_id": table_id,
                "customer_id": rng.choice(customers).pk,
                "reservation_date": day,
                "reservation_time": start,
                "party_size": 2,
                "notes": "bench-load",
            }
            out.write(json.dumps(body, separators=(",", ":")) + "\n")

    contention_table = busy_tables[0]
    # The host stand's day of the busy restaurant is read by a signed-in superuser: a session
    # made the way the sign-in makes one (the configured session engine).
    from django.conf import settings
    from django.test import Client

    host = Client()
    host.force_login(admin)
    session = host.cookies[settings.SESSION_COOKIE_NAME].value
    print(
        json.dumps(
            {
                "token": str(AccessToken.for_user(admin)),
                "bodies": len(free),
                "reservations": Reservation.objects.count(),
                "busy_restaurant": busy.pk,
                "busy_day": busy_day.isoformat(),
                "busy_slug": busy.slug,
                "host_cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
                "contention": {
                    "restaurant_id": busy.pk,
                    "table_id": contention_table.pk,
                    "customer_id": customers[1].pk,
                    "reservation_date": (today + timedelta(days=10)).isoformat(),
                    "reservation_time": "20:00",
                    "party_size": 2,
                },
            }
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main(sys.argv[1])
