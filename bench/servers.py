"""``python -m bench --compare-servers``: the web server and the database connections compared
under the same load, in one sitting, on the benchmark's database and seed.

Configurations, each with the same gunicorn worker count (``--workers``) and the same Celery
worker (on its persistent connection, so only the web tier changes):

* sync: gunicorn's sync workers, one persistent connection per process (the default);
* sync + pool: the same, on psycopg's pool (``DATABASE_POOL=1``);
* gthread: gunicorn's gthread workers with ``--threads`` each, persistent connections (one
  per thread);
* gthread + pool: the same, one pool per process shared by its threads;
* asgi + pool: uvicorn's workers (``uvicorn_worker.UvicornWorker``) serving config.asgi. Only
  with the pool: under ASGI every request runs in a thread of its own, so a persistent
  connection is never reused (Django's docs: disable persistent connections under ASGI, use
  the pool).

Every configuration is started fresh in each of ``--rounds`` rounds (the order reversed every
other round, so a machine that gets busier or quieter does not favour one), and measured on
the authenticated no-op and on booking (16 connections, a fresh table and slot per request),
then 64 simultaneous requests for one fresh table and slot (exactly one 201). Each figure is
reported per run and as the median with the spread of the runs; CPU ms per request (every
process of the stack, from /proc) is the steadier figure on a shared machine. At the end it
checks in SQL that no two holding occupancy rows overlap and that every 201 is stored. Prints
Markdown and writes the figures as JSON (``--json``).
"""

import json
import statistics
import sys
import time
from pathlib import Path

CONFIGURATIONS = (
    ("sync", False),
    ("sync", True),
    ("gthread", False),
    ("gthread", True),
    ("asgi", True),
)
# Lines of bodies.jsonl (one free table and slot each) for each booking run: warm-up from
# the start of its block, the measured run from BLOCK // 2. The contention runs take single
# lines from CONTENTION_OFFSET on.
BLOCK = 6_000
CONTENTION_OFFSET = 125_000


def _bench():
    """The benchmark's module as it runs (see bench.scale._bench)."""
    main = sys.modules.get("__main__")
    if hasattr(main, "CONFIG") and hasattr(main, "psql"):
        return main
    import bench.__main__ as bench_main

    return bench_main


def label(server: str, pool: bool) -> str:
    return f"{server} + pool" if pool else f"{server}, persistent"


def compare(*, args, env: dict, seeded: dict, bodies, logdir) -> int:
    b = _bench()
    for old in logdir.glob("created-*.txt"):
        old.unlink()
    load_env = {
        **env,
        "BENCH_TOKEN": seeded["token"],
        "BENCH_BODIES": str(bodies),
        "BENCH_CREATED": str(logdir / "created-"),
    }
    lines = bodies.read_text().splitlines()
    rpid = b.redis_pid()
    runs: list[dict] = []
    block = 0
    for round_no in range(args.rounds):
        order = CONFIGURATIONS if round_no % 2 == 0 else tuple(reversed(CONFIGURATIONS))
        for server, pool in order:
            name = label(server, pool)
            port = b.free_port()
            b.log(f"round {round_no + 1}: {name} ({args.workers} workers)")
            stack = b.Stack(env, port, args.workers, logdir, server, args.threads, pool)
            try:
                b.wait_healthy(port)
                base = f"http://127.0.0.1:{port}"

                def measure(url, script, offsets, stack=stack):
                    e = dict(load_env)
                    if args.warmup:
                        e["BENCH_OFFSET"] = str(offsets[0])
                        warm = b.wrk(url, seconds=args.warmup, connections=16, script=script, env=e)
                    else:
                        warm = {}
                    e["BENCH_OFFSET"] = str(offsets[1])
                    with b.CpuMeter(stack.groups(), rpid) as meter:
                        got = b.wrk(url, seconds=args.seconds, connections=16, script=script, env=e)
                    counted = got["created"] if got["created"] is not None else got["requests"]
                    got["cpu"] = b.per_request_cpu(meter.ms, counted)
                    if got["created"] is not None:
                        got["created_total"] = got["created"] + (warm.get("created") or 0)
                    got.pop("raw")
                    return got

                noop = measure(f"{base}/bench/noop/", "get.lua", (0, 0))
                booking = measure(base, "book.lua", (block * BLOCK, block * BLOCK + BLOCK // 2))
                cell = json.loads(lines[CONTENTION_OFFSET + block])
                contention = b.contention(port, seeded["token"], cell)
                runs.append(
                    {
                        "server": server,
                        "pool": pool,
                        "label": name,
                        "round": round_no + 1,
                        "noop": noop,
                        "booking": booking,
                        "contention": contention,
                        "finished": time.strftime("%H:%M:%S"),
                    }
                )
                block += 1
            finally:
                stack.stop()
            if args.json:  # what was measured so far survives a later failure
                Path(args.json).write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    checks = correctness(logdir, runs)
    table = summarize(runs)
    report = render(table, runs, checks, args)
    print(report)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"configurations": table, "runs": runs, "checks": checks}, indent=2) + "\n"
        )
    ok = (
        checks["overlaps"] == 0
        and checks["stored"] == checks["created_ids"] == checks["created_total"]
        and all(r["contention"]["201"] == 1 and r["contention"]["5xx"] == 0 for r in runs)
    )
    return 0 if ok else 1


def correctness(logdir, runs: list[dict]) -> dict:
    overlaps, ids, stored = _bench().stored_and_overlapping(logdir)
    return {
        "overlaps": overlaps,
        "created_ids": len(ids),
        "created_total": sum(r["booking"]["created_total"] for r in runs),
        "stored": stored,
    }


def _spread(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "runs": [round(v, 2) for v in values],
    }


def summarize(runs: list[dict]) -> list[dict]:
    table = []
    for server, pool in CONFIGURATIONS:
        mine = [r for r in runs if r["server"] == server and r["pool"] == pool]
        if not mine:
            continue
        row = {"server": server, "pool": pool, "label": label(server, pool)}
        for load in ("noop", "booking"):
            row[load] = {
                "rps": _spread([r[load]["rps"] for r in mine]),
                "p50_ms": _spread([r[load]["p50"] for r in mine]),
                "p99_ms": _spread([r[load]["p99"] for r in mine]),
                "errors": sum(r[load]["non2xx"] + r[load]["socket_errors"] for r in mine),
                "cpu_ms": _spread([r[load]["cpu"]["total_ms"] for r in mine]),
                "web_cpu_ms": _spread([r[load]["cpu"]["by_process_ms"]["web"] for r in mine]),
                "postgres_cpu_ms": _spread(
                    [r[load]["cpu"]["by_process_ms"]["postgres"] for r in mine]
                ),
            }
        row["contention"] = {
            "201": [r["contention"]["201"] for r in mine],
            "5xx": sum(r["contention"]["5xx"] for r in mine),
            "p99_ms": _spread([r["contention"]["p99"] for r in mine]),
        }
        table.append(row)
    return table


def _cell(spread: dict, digits: int = 0) -> str:
    runs = "/".join(f"{v:.{digits}f}" for v in spread["runs"])
    return f"{spread['median']:.{digits}f} ({runs})"


def render(table: list[dict], runs: list[dict], checks: dict, args) -> str:
    b = _bench()
    lines = [
        f"Servers compared: {args.workers} gunicorn workers each (gthread: {args.threads}"
        f" threads), {args.rounds} rounds alternating, {args.warmup} s warm-up and"
        f" {args.seconds} s measured per run, 16 connections; median (each run).",
        "",
        "| configuration | load | requests/s | p50 ms | p99 ms | errors | CPU ms per request"
        " (stack) | web CPU ms | PostgreSQL CPU ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        for load, name in (("noop", "authenticated no-op"), ("booking", "booking")):
            f = row[load]
            lines.append(
                f"| {row['label']} | {name} | {_cell(f['rps'])} | {_cell(f['p50_ms'], 1)} | "
                f"{_cell(f['p99_ms'], 1)} | {f['errors']} | {_cell(f['cpu_ms'], 1)} | "
                f"{_cell(f['web_cpu_ms'], 1)} | {_cell(f['postgres_cpu_ms'], 1)} |"
            )
    lines += ["", "Contention (64 simultaneous requests for one table and slot, each run):", ""]
    for row in table:
        c = row["contention"]
        lines.append(
            f"- {row['label']}: 201s {c['201']}, 5xx {c['5xx']}, p99 {_cell(c['p99_ms'])} ms"
        )
    lines += [
        "",
        f"After the runs: overlapping holding occupancy rows: {checks['overlaps']}; bookings"
        f" answered 201 (warm-up and measured): {checks['created_total']}, distinct ids"
        f" {checks['created_ids']}, found in the database: {checks['stored']}.",
        f"Machine: {b.machine()}.",
    ]
    return "\n".join(lines)
