"""ReservaFlow benchmark: ``uv run python -m bench``.

In service mode against the local PostgreSQL and Redis, on a database of its own: seeds a
realistic data set, starts gunicorn (2 x cores + 1 workers, DEBUG off) and a Celery worker,
drives load with wrk, and measures in one run

  a. the ceiling: an authenticated no-op DRF endpoint on the same stack,
  b. booking: POST /api/reservations/, a distinct free table and slot per request,
  c. contention: 64 simultaneous requests for one table and slot,
  d. availability, cached and uncached (40 tables, 300 reservations on the day),

then checks in SQL that no two active reservations overlap and that every booking the load
got a 201 for is in the database. Prints a Markdown table and writes docs/performance.md.
Loopback only; bounded in time; stops its processes and drops its database at the end.
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "reservaflow_bench"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
BROKER_DB, CACHE_DB = 12, 13


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("DEBUG", "EMAIL_HOST", "DATA_DIR"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=f"{REDIS}/{BROKER_DB}",
        REDIS_CACHE_URL=f"{REDIS}/{CACHE_DB}",
        SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        DATA_DIR=str(ROOT / "var" / "bench"),
    )
    return env


def flush_redis() -> None:
    import redis

    for db in (BROKER_DB, CACHE_DB):
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


# --- load -------------------------------------------------------------------------------------


def wrk(url: str, *, seconds: int, connections: int, script: str, env: dict) -> dict:
    threads = 2
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk" / script),
            url,
        ],
        env={**env, "BENCH_THREADS": str(threads)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    text = out.stdout + out.stderr
    if out.returncode != 0:
        raise RuntimeError(text)

    def latency_ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    created = re.search(r"BENCH created=(\d+) other=(\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "p50": latency_ms("50"),
        "p99": latency_ms("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "created": int(created.group(1)) if created else None,
        "raw": text,
    }


def contention(port: int, token: str, body: dict, count: int = 64) -> dict:
    """``count`` requests for one table and slot, released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    payload = json.dumps(body)

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        barrier.wait()
        started = time.perf_counter()
        conn.request(
            "POST",
            "/api/reservations/",
            payload,
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        status = conn.getresponse().status
        with lock:
            results.append((status, (time.perf_counter() - started) * 1000))
        conn.close()

    workers = [threading.Thread(target=one) for _ in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    statuses = [s for s, _ in results]
    latencies = sorted(ms for _, ms in results)
    return {
        "201": statuses.count(201),
        "409": statuses.count(409),
        "423": statuses.count(423),
        "5xx": sum(1 for s in statuses if s >= 500),
        "other": sum(1 for s in statuses if s not in (201, 409, 423) and s < 500),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "p50": statistics.median(latencies),
    }


# --- the run ----------------------------------------------------------------------------------


class Stack:
    """gunicorn and a Celery worker, started the way production starts them."""

    def __init__(self, env: dict, port: int, workers: int, logdir: Path):
        self.procs = []
        py = sys.executable
        for name, cmd in {
            "web": [
                py,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--no-control-socket",
                "--backlog",
                "2048",
            ],
            "worker": [
                py,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "1",
            ],
        }.items():
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=ROOT,
                    env=env,
                    stdout=(logdir / f"{name}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become healthy")


def machine() -> str:
    mem = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import django

    pg = psql("SHOW server_version")
    redis_version = subprocess.run(
        ["redis-cli", "-u", REDIS, "INFO", "server"], capture_output=True, text=True
    ).stdout
    redis_version = re.search(r"redis_version:(\S+)", redis_version).group(1)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB; "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg}, Redis {redis_version}, wrk {wrk_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--label", default="", help="a note for docs/performance.md")
    parser.add_argument("--no-write", action="store_true", help="do not write the docs file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database (for bench.profile)"
    )
    args = parser.parse_args()

    if not shutil.which("wrk"):
        print("wrk is missing: install it with `apt-get install wrk` (Debian) and run again.")
        return 2
    env = bench_env()
    logdir = ROOT / "var" / "bench"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    log(f"creating database {DB_NAME}")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    flush_redis()
    stack = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        log("seeding")
        bodies = logdir / "bodies.jsonl"
        seeded = json.loads(
            subprocess.run(
                [sys.executable, "-m", "bench.seed", str(bodies)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        log(f"seeded {seeded['reservations']} reservations; {seeded['bodies']} free cells")
        port = free_port()
        stack = Stack(env, port, args.workers, logdir)
        wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        for old in logdir.glob("created-*.txt"):
            old.unlink()
        load_env = {
            **env,
            "BENCH_TOKEN": seeded["token"],
            "BENCH_BODIES": str(bodies),
            "BENCH_CREATED": str(logdir / "created-"),
        }
        busy = seeded["busy_restaurant"]
        avail = (
            f"{base}/api/restaurants/{busy}/availability/?date={seeded['busy_day']}&party_size=2"
        )

        def run(name, url, script, connections=16, extra=None):
            e = {**load_env, **(extra or {})}
            warm = None
            if args.warmup:
                warm = wrk(url, seconds=args.warmup, connections=connections, script=script, env=e)
            log(f"measuring {name}")
            # Bookings of the measured run start past every body the warm-up could have used.
            e["BENCH_OFFSET"] = str(seeded["bodies"] // 2)
            measured = wrk(url, seconds=args.seconds, connections=connections, script=script, env=e)
            if measured["created"] is not None:
                measured["created_total"] = measured["created"] + (warm or {}).get("created", 0)
            return measured

        results = {
            "ceiling": run("ceiling", f"{base}/bench/noop/", "get.lua"),
            "booking": run("booking", base, "book.lua"),
            "available_cached": run("availability (cached)", avail, "get.lua"),
            "available_uncached": run(
                "availability (uncached)", avail, "get.lua", extra={"BENCH_COLD": "1"}
            ),
        }
        log("measuring contention")
        results["contention"] = contention(port, seeded["token"], seeded["contention"])

        overlaps = int(
            psql(
                "SELECT count(*) FROM reservations_reservation a JOIN reservations_reservation b"
                " ON a.table_id = b.table_id AND a.id < b.id"
                " AND tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at, b.end_at)"
                " WHERE a.status IN ('pending','confirmed','seated')"
                " AND b.status IN ('pending','confirmed','seated')",
                DB_NAME,
            )
        )
        # Every id wrk saw answered 201 (warm-up and measured runs) must be stored.
        created_ids = sorted(
            {
                line.strip()
                for f in logdir.glob("created-*.txt")
                for line in f.read_text().splitlines()
                if line.strip()
            }
        )
        id_list = ",".join(f"'{i}'" for i in created_ids) or "NULL"
        stored = int(
            psql(f"SELECT count(*) FROM reservations_reservation WHERE id IN ({id_list})", DB_NAME)
        )
        report = render(results, overlaps, stored, args, started)
        print(report)
        if not args.no_write:
            write_docs(report, args)
        ok = (
            overlaps == 0
            and stored == len(created_ids) == results["booking"]["created_total"]
            and results["contention"]["201"] == 1
            and results["contention"]["5xx"] == 0
        )
        return 0 if ok else 1
    finally:
        if stack:
            stack.stop()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        flush_redis()
        log(f"done in {time.monotonic() - started:.0f} s; processes stopped")


def render(results: dict, overlaps: int, stored: int, args, started: float) -> str:
    ceiling = results["ceiling"]["rps"]

    def row(name, r, target):
        ratio = r["rps"] / ceiling
        errors = r["non2xx"] + r["socket_errors"]
        return (
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {errors} | "
            f"{ratio:.2f} | {target} |"
        )

    c = results["contention"]
    booking = results["booking"]
    lines = [
        "| run | requests/s | p50 ms | p99 ms | errors | ratio to ceiling | target |",
        "|---|---|---|---|---|---|---|",
        row("ceiling (authenticated no-op)", results["ceiling"], "-"),
        row("booking, 16 connections", booking, ">= 0.35, p99 <= 150 ms, 0 errors"),
        row("availability, cached", results["available_cached"], ">= 0.80"),
        row("availability, uncached", results["available_uncached"], ">= 0.30"),
        "",
        f"Contention (64 simultaneous requests, one table and slot): 201: {c['201']}, "
        f"409: {c['409']}, 423: {c['423']}, 5xx: {c['5xx']}, other: {c['other']}; "
        f"p50 {c['p50']:.0f} ms, p99 {c['p99']:.0f} ms (target: one 201, no 5xx, p99 <= 1 s).",
        "",
        f"After the run: overlapping active pairs: {overlaps}; load bookings answered 201 "
        f"(warm-up and measured runs): {booking['created_total']}, found in the database: "
        f"{stored}.",
    ]
    return "\n".join(lines)


def write_docs(report: str, args) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    marker = "<!-- bench:latest -->"
    section = (
        f"{marker}\n## Latest run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f"{' (' + args.label + ')' if args.label else ''}\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `uv run python -m bench --seconds {args.seconds} --warmup {args.warmup}`; "
        f"gunicorn with {args.workers} sync workers, DEBUG off, one Celery worker; "
        f"wrk with 2 threads on the same machine.\n\n{report}\n{marker}"
    )
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
