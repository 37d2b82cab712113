"""The scale runs of ``python -m bench --scale``: booking and uncached availability measured
with 1,000 restaurants and about 10,000 reservations, then again once history has grown to
1,000,000, on the same stack. Latency should stay within 1.2x: every query of both paths is
bounded by an index on what it asks (a table and a time, a restaurant and a day), never by
how much history there is (docs/performance.md has the plans).

The rows are written in SQL (``INSERT ... SELECT`` over ``generate_series``), copying every
other column from a row the seed wrote, so a million reservations take seconds, not the
minutes of the ORM. History is what grows in a restaurant's life: past reservations
(completed, cancelled, no-shows) whose occupancy rows no longer hold their tables, spread over
every table of every restaurant.
"""

import json
import subprocess
import sys
import time


def _bench():
    """The benchmark's module as it runs: ``python -m bench`` runs it as ``__main__``, and
    importing ``bench.__main__`` again would make a second copy with the default settings."""
    main = sys.modules.get("__main__")
    if hasattr(main, "CONFIG") and hasattr(main, "psql"):
        return main
    import bench.__main__ as bench_main

    return bench_main


def psql(sql: str, db: str) -> str:
    return _bench().psql(sql, db)


RESTAURANTS = 1_000
NEW_TABLES = 10
HISTORY = 1_000_000


def _columns(table: str) -> list[str]:
    """The columns of ``table`` a copied row takes, a generated ``id`` (identity or serial)
    left to its default."""
    rows = psql(
        "SELECT column_name, is_identity, coalesce(column_default, '')"
        f" FROM information_schema.columns WHERE table_name = '{table}'"
        " ORDER BY ordinal_position",
        _bench().CONFIG.db_name,
    ).splitlines()
    columns = []
    for row in rows:
        name, identity, default = row.split("|", 2)
        if identity == "YES" or "nextval" in default:
            continue
        columns.append(name)
    return columns


def copy_rows(table: str, source: str, overrides: dict[str, str]) -> str:
    """``INSERT INTO table`` one row per row of ``source`` (a FROM clause exposing the
    template row as ``src``), each column from ``overrides`` or else from ``src``."""
    columns = _columns(table)
    values = [overrides.get(column, f"src.{column}") for column in columns]
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"


def _sql(statement: str) -> str:
    return psql(statement, _bench().CONFIG.db_name)


def add_restaurants() -> int:
    """Restaurants up to RESTAURANTS, each a copy of the first with NEW_TABLES tables and its
    opening hours; returns how many were added."""
    have = int(_sql("SELECT count(*) FROM restaurants_restaurant"))
    missing = RESTAURANTS - have
    if missing <= 0:
        return 0
    template = "(SELECT * FROM restaurants_restaurant WHERE slug = 'bench-0') src"
    _sql(
        copy_rows(
            "restaurants_restaurant",
            f"{template} CROSS JOIN generate_series(1, {missing}) g",
            {"name": "'Scale ' || g", "slug": "'scale-' || g"},
        )
    )
    new = "(SELECT id FROM restaurants_restaurant WHERE slug LIKE 'scale-%') r"
    _sql(
        copy_rows(
            "restaurants_table",
            "(SELECT * FROM restaurants_table WHERE restaurant_id = (SELECT id FROM"
            " restaurants_restaurant WHERE slug = 'bench-0') ORDER BY id"
            f" LIMIT {NEW_TABLES}) src CROSS JOIN {new}",
            {"restaurant_id": "r.id"},
        )
    )
    _sql(
        copy_rows(
            "restaurants_openinghours",
            "(SELECT * FROM restaurants_openinghours WHERE restaurant_id = (SELECT id FROM"
            f" restaurants_restaurant WHERE slug = 'bench-0')) src CROSS JOIN {new}",
            {"restaurant_id": "r.id"},
        )
    )
    _sql("ANALYZE")
    return missing


def add_history(total: int = HISTORY) -> int:
    """Past reservations until there are ``total``, spread over every table, each with its
    occupancy row (not holding: the stay is over) and nothing else."""
    have = int(_sql("SELECT count(*) FROM reservations_reservation"))
    missing = total - have
    if missing <= 0:
        return 0
    # Table n of the list takes rows n, n + T, n + 2T, ...; its k-th row starts k * 2 hours
    # before yesterday noon, so no two stays of a table overlap.
    tables = (
        "(SELECT array_agg(id ORDER BY id) AS ids, array_agg(restaurant_id ORDER BY id) AS rids,"
        " count(*)::int AS n FROM restaurants_table) t"
    )
    start = "(date_trunc('day', now()) - interval '12 hours' - (g / t.n) * interval '2 hours')"
    template = "(SELECT * FROM reservations_reservation ORDER BY id LIMIT 1) src"
    insert = copy_rows(
        "reservations_reservation",
        f"{template} CROSS JOIN {tables} CROSS JOIN generate_series(0, {missing - 1}) g",
        {
            "id": "gen_random_uuid()",
            "restaurant_id": "t.rids[1 + g % t.n]",
            "table_id": "t.ids[1 + g % t.n]",
            "start_at": start,
            "end_at": f"{start} + interval '90 minutes'",
            "reservation_date": f"({start} AT TIME ZONE 'Europe/Madrid')::date",
            "reservation_time": f"({start} AT TIME ZONE 'Europe/Madrid')::time",
            "status": "(ARRAY['completed','completed','completed','cancelled',"
            "'no_show'])[1 + g % 5]",
            "expires_at": "NULL",
            "manage_token": "'scale-' || g || '-' || md5(random()::text)",
            "notes": "'scale-history'",
            "created_at": start,
            "updated_at": start,
        },
    )
    # One statement writes each reservation and its occupancy row. The rows refer only to
    # restaurants, tables and a guest that exist, so the foreign-key triggers are left out
    # for this load (session_replication_role); the constraints proper still apply.
    _sql(
        "SET session_replication_role = replica;"
        f" WITH r AS ({insert} RETURNING id, table_id, start_at, end_at)"
        " INSERT INTO reservations_occupancy (reservation_id, table_id, start_at, end_at, holds)"
        " SELECT id, table_id, start_at, end_at, false FROM r"
    )
    _sql("VACUUM ANALYZE")
    return missing


def run_scale(*, run, base: str, seeded: dict, env: dict, log, offsets: dict, stack) -> dict:
    busy = seeded["busy_restaurant"]
    avail = f"{base}/api/restaurants/{busy}/availability/?date={seeded['busy_day']}&party_size=2"
    log(f"scale: {add_restaurants()} restaurants added")
    if "worker" not in stack.groups():
        stack.start_worker()
    runs = {}
    count = int(_sql("SELECT count(*) FROM reservations_reservation"))
    log(f"scale: {count} reservations")
    runs["booking_10k"] = run("scale 10k: booking", base, "book.lua", offsets=offsets["scale_10k"])
    runs["uncached_10k"] = run(
        "scale 10k: availability (uncached)", avail, "get.lua", extra={"BENCH_COLD": "1"}
    )
    began = time.monotonic()
    added = add_history()
    seconds = time.monotonic() - began
    count_1m = int(_sql("SELECT count(*) FROM reservations_reservation"))
    log(f"scale: {added} past reservations added in {seconds:.0f} s ({count_1m} in all)")
    runs["booking_1m"] = run("scale 1M: booking", base, "book.lua", offsets=offsets["scale_1m"])
    runs["uncached_1m"] = run(
        "scale 1M: availability (uncached)", avail, "get.lua", extra={"BENCH_COLD": "1"}
    )
    for r in runs.values():
        r.pop("raw", None)
    plans = subprocess.run(
        [sys.executable, "-m", "bench.plans", seeded["busy_day"]],
        cwd=_bench().ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if plans.returncode:
        log(f"scale: the query plans failed: {plans.stderr[-2000:]}")
    return {
        "reservations": {"10k": count, "1m": count_1m},
        "restaurants": RESTAURANTS,
        "seed_seconds": round(seconds, 1),
        "runs": runs,
        "plans": json.loads(plans.stdout.strip().splitlines()[-1]) if not plans.returncode else {},
        "booking_p50_x": round(runs["booking_1m"]["p50"] / runs["booking_10k"]["p50"], 3),
        "booking_p99_x": round(runs["booking_1m"]["p99"] / runs["booking_10k"]["p99"], 3),
        "uncached_p50_x": round(runs["uncached_1m"]["p50"] / runs["uncached_10k"]["p50"], 3),
        "uncached_p99_x": round(runs["uncached_1m"]["p99"] / runs["uncached_10k"]["p99"], 3),
    }
