"""Profile the booking and the availability paths (cached and uncached) in one process against
the database ``python -m bench --keep`` left behind: per request the SQL statements and Redis
round trips (the bench's own counting, ``X-Bench-Count``), the CPU milliseconds of this
process, and a cProfile of many requests (``--pyinstrument`` for a call tree instead).

    uv run python -m bench --keep --no-write && uv run python -m bench.profile [PATH ...]

PATH: ``booking``, ``cached``, ``uncached`` (default: all three); ``--requests N`` per path.
Run both with the same ``BENCH_*`` variables (database, Redis DBs) and from the same checkout
(the booking bodies are read from its ``var/bench/bodies.jsonl``).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=["booking", "cached", "uncached"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=35, help="cProfile rows printed")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()

    from bench.__main__ import ROOT, bench_env, parse_args

    parse_args([])  # the database and Redis DBs from the BENCH_* variables, as the bench's
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import date, timedelta

    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from restaurants.models import Restaurant

    admin = User.objects.get(email="bench-admin@bench.example")
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin)}", HTTP_HOST="localhost"
    )
    bodies = iter((ROOT / "var" / "bench" / "bodies.jsonl").read_text().splitlines()[-5000:])
    busy = Restaurant.objects.filter(slug__startswith="bench-").order_by("-pk").first()
    day = (date.today() + timedelta(days=5)).isoformat()
    url = f"/api/restaurants/{busy.pk}/availability/?date={day}&party_size=2"

    def book(**headers):
        return client.post(
            "/api/reservations/", next(bodies), content_type="application/json", **headers
        )

    def cached(**headers):
        return client.get(url, **headers)

    def uncached(**headers):
        # The bench's own way (bench.middleware.ColdAvailabilityMiddleware): the asked day's
        # version bumped before the view runs.
        return client.get(url, HTTP_X_BENCH_COLD="1", **headers)

    actions = {"booking": book, "cached": cached, "uncached": uncached}
    for name in args.paths:
        action = actions[name]
        action()  # warm: the setup and the account in the cache, the answer stored
        counted = action(HTTP_X_BENCH_COUNT="1")
        print(
            f"\n== {name}: status {counted.status_code}, {len(counted.content)} bytes; "
            f"SQL {counted['X-Bench-SQL']} ({counted['X-Bench-SQL-Detail']}), "
            f"health checks {counted['X-Bench-SQL-Health']}, "
            f"Redis round trips {counted['X-Bench-Redis']}"
        )
        n = args.requests
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            action()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"-- {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall per request "
            f"in one process (unprofiled, {n} requests)"
        )
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(n):
                    action()
            print(profiler.output_text(unicode=False, color=False, show_all=False)[:8000])
            continue
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n):
            action()
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
