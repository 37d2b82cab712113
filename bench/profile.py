"""Profile the booking and uncached availability paths in one process against the database
``python -m bench --keep`` left behind: query counts per request and a pyinstrument profile.

    uv run python -m bench --keep --no-write && uv run python -m bench.profile
"""

import json
import os
import sys
import time


def main() -> None:
    from bench.__main__ import ROOT, bench_env

    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from reservations.availability import availability_invalidate
    from restaurants.models import Restaurant

    admin = User.objects.get(email="bench-admin@bench.example")
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin)}", HTTP_HOST="localhost"
    )
    bodies = (ROOT / "var" / "bench" / "bodies.jsonl").read_text().splitlines()[-400:]
    busy = Restaurant.objects.get(slug="bench-20")
    from datetime import date, timedelta

    day = (date.today() + timedelta(days=5)).isoformat()
    url = f"/api/restaurants/{busy.pk}/availability/?date={day}&party_size=2"

    def book(body):
        return client.post("/api/reservations/", body, content_type="application/json")

    def uncached():
        availability_invalidate(restaurant_id=busy.pk, dates=[date.fromisoformat(day)])
        return client.get(url)

    for name, action, args in (
        ("booking", book, bodies[:200]),
        ("availability (uncached)", lambda _: uncached(), range(200)),
    ):
        items = list(args)
        with CaptureQueriesContext(connection) as queries:
            status = action(items[0]).status_code
        print(f"\n== {name}: status {status}, {len(queries)} queries")
        for q in queries.captured_queries:
            print("  ", q["sql"][:160])
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for item in items[1:]:
                action(item)
        per = (time.perf_counter() - started) / (len(items) - 1) * 1000
        print(f"-- {per:.1f} ms per request in one process")
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])


if __name__ == "__main__":
    main()
    print(json.dumps({"done": True}))
