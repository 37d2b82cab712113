"""Profile the host stand's day page in one process against the database ``python -m bench
--keep`` left behind: the busy restaurant's day (40 tables, 300 reservations), rendered as the
full page and as the live fragment a polling screen gets when the day changed.

    uv run python -m bench --keep --no-write && uv run python -m bench.profile_host_day

Prints, per kind of render, the median CPU milliseconds of this process over several renders
(``time.process_time``: the database's own work is not in it), the page's size, its queries
and how many URLs were reversed; ``--profile`` adds cProfile's top functions, ``--finished N``
reads every Nth reservation of the day as completed, cancelled or no-show (inside a
transaction rolled back afterwards), as on a day under way.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from unittest import mock


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_host_day")
    parser.add_argument("--renders", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--finished", type=int, default=0, metavar="N")
    options = parser.parse_args()

    from bench.__main__ import ROOT, bench_env, empty_own_redis, parse_args

    parse_args([])  # the BENCH_* variables: the database and Redis DBs
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.urls.resolvers import URLResolver

    from accounts.models import User
    from reservations.availability import availability_invalidate
    from reservations.models import Reservation
    from restaurants.models import Restaurant

    busy = Restaurant.objects.get(slug="bench-20")
    day = (
        Reservation.objects.filter(restaurant=busy)
        .values_list("reservation_date", flat=True)
        .first()
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="bench-admin@bench.example"))
    page_url = f"/host/{busy.slug}/?date={day}"
    live_url = f"/host/{busy.slug}/live/?date={day}"

    def changed_live():
        # A change of the day: the next poll renders (its ETag is new).
        availability_invalidate(restaurant_id=busy.pk, dates=[day])
        return client.get(live_url, HTTP_HX_REQUEST="true")

    report = {}
    with transaction.atomic():
        if options.finished:
            ids = list(
                Reservation.objects.filter(restaurant=busy, reservation_date=day)
                .order_by("start_at", "pk")
                .values_list("pk", flat=True)
            )
            ended = ("completed", "cancelled", "no_show")
            for n, pk in enumerate(ids[:: options.finished]):
                Reservation.objects.filter(pk=pk).update(status=ended[n % 3])
        for name, render in (
            ("page", lambda: client.get(page_url)),
            ("live fragment", changed_live),
        ):
            render()  # warm: templates compiled, the host's roles cached
            real = URLResolver._reverse_with_prefix
            reversed_ = []

            def counting(self, lookup_view, *args, _real=real, _seen=reversed_, **kwargs):
                _seen.append(lookup_view)
                return _real(self, lookup_view, *args, **kwargs)

            queries = []

            def count_query(execute, sql, params, many, context, _seen=queries):
                _seen.append(sql)
                return execute(sql, params, many, context)

            with (
                connection.execute_wrapper(count_query),
                mock.patch.object(URLResolver, "_reverse_with_prefix", counting),
            ):
                response = render()
            assert response.status_code == 200, response.status_code
            size = len(response.content)
            times = []
            for _ in range(options.renders):
                started = time.process_time()
                render()
                times.append((time.process_time() - started) * 1000)
            report[name] = {
                "cpu_ms_median": round(statistics.median(times), 1),
                "cpu_ms_min": round(min(times), 1),
                "kb": round(size / 1024, 1),
                "queries": len(queries),
                "reverse_calls": len(reversed_),
            }
            print(f"== {name}: {json.dumps(report[name])}")
            if options.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(3):
                    render()
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("tottime").print_stats(30)
                print(out.getvalue())
        report["parts"] = parts(busy, day, options.renders)
        print(f"== parts of the live fragment: {json.dumps(report['parts'])}")
        transaction.set_rollback(True)
    empty_own_redis()
    print(json.dumps(report))


def parts(restaurant, day, renders: int) -> dict:
    """Median CPU ms of each part of a render of the live fragment: reading the day (Python
    and the queries' client side), building the timeline, rendering the template."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import timezone

    from accounts.models import User
    from core.clock import now as clock_now
    from reservations.host_day import host_day
    from web.host import day as day_views
    from web.host.access import host_stand

    user = User.objects.get(email="bench-admin@bench.example")
    stand = host_stand(user, restaurant.slug)
    request = RequestFactory().get("/")
    request.user, request.htmx, request.LANGUAGE_CODE = user, True, "en"
    times: dict[str, list[float]] = {"read": [], "timeline": [], "template": []}
    for _ in range(renders):
        started = time.process_time()
        read = host_day(restaurant=restaurant, day=day, now=clock_now())
        times["read"].append(time.process_time() - started)
        started = time.process_time()
        day_views.timeline_of(read)
        times["timeline"].append(time.process_time() - started)
    with mock.patch.object(day_views, "host_day", lambda **kwargs: read):
        context = day_views._day_context(request, stand, day, "", "")
    with timezone.override(restaurant.tz):
        for _ in range(renders):
            started = time.process_time()
            render_to_string("host/live.html", context, request)
            times["template"].append(time.process_time() - started)
    return {name: round(statistics.median(t) * 1000, 1) for name, t in times.items()}


if __name__ == "__main__":
    main()
