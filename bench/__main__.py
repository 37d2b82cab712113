"""ReservaFlow benchmark: ``uv run python -m bench``.

In service mode against the local PostgreSQL and Redis, on a database of its own: seeds a
realistic data set, starts gunicorn (2 x cores + 1 workers, DEBUG off) and a Celery worker,
drives load with wrk, and measures in one run

  a. the ceilings: an anonymous and an authenticated no-op DRF endpoint on the same stack,
  b. booking: POST /api/reservations/, a distinct free table and slot per request, with the
     Celery worker running and again with it stopped,
  c. contention: 64 simultaneous requests for one table and slot,
  d. availability, cached and uncached (40 tables, 300 reservations on the day),
  e. with ``--scale``: booking and uncached availability with 1,000 restaurants and 10,000,
     then 1,000,000 reservations,

and per booking what it costs (bench.middleware counts one request's SQL statements, Redis
round trips and broker publishes; the CPU of every process of the stack is read from /proc
over each timed window). Then it checks in SQL that no two holding occupancy rows overlap and
that every booking the load got a 201 for is in the database. Prints a Markdown table, writes
docs/performance.md and, with ``--json FILE``, the figures.

``--compare-servers`` runs instead the server comparison of bench/servers.py (sync, gthread and
uvicorn's ASGI workers, with persistent connections and with psycopg's pool) on the same seed.

Safe beside other work: the database, the Redis server and DBs and the port range come from
options or the environment (``--help``); it refuses a database it did not create and Redis
DBs that are not empty, and at the end drops only its own database and empties only the DBs
it was given (empty when it started). Loopback only; bounded in time.
"""

import argparse
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline.json"
# The comment a database gets when this benchmark creates it: the only databases it drops.
DB_COMMENT = "reservaflow-bench: created by python -m bench, dropped at its end"


@dataclass
class Config:
    """Where the benchmark runs (options, else BENCH_* variables, else the defaults)."""

    pg: str = "postgres://postgres@127.0.0.1:5432"
    db_name: str = "reservaflow_bench"
    redis: str = "redis://127.0.0.1:6379"
    broker_db: int = 12
    cache_db: int = 13
    ports: tuple[int, int] = (0, 0)


CONFIG = Config()


def stored_and_overlapping(logdir: Path) -> tuple[int, list[str], int]:
    """The checks after the load, in SQL: pairs of holding occupancy rows that overlap on one
    table, the ids wrk saw answered 201 (warm-up and measured runs), and how many of them are
    stored."""
    overlaps = int(
        psql(
            "SELECT count(*) FROM reservations_occupancy a JOIN reservations_occupancy b"
            " ON a.table_id = b.table_id AND a.id < b.id"
            " AND tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at, b.end_at)"
            " WHERE a.holds AND b.holds",
            CONFIG.db_name,
        )
    )
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
        psql(
            f"SELECT count(*) FROM reservations_reservation WHERE id IN ({id_list})",
            CONFIG.db_name,
        )
    )
    return overlaps, created_ids, stored


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    """A free port of the configured range (``--ports``), or any free port."""
    low, high = CONFIG.ports
    for port in range(low, high + 1) if low else [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {low}-{high}")


def psql(sql: str, db: str = "postgres") -> str:
    # On standard input: the check of every stored 201 lists thousands of ids, more than one
    # command line holds.
    return subprocess.run(
        ["psql", f"{CONFIG.pg}/{db}", "-v", "ON_ERROR_STOP=1", "-At"],
        input=sql,
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
        DATABASE_URL=f"{CONFIG.pg}/{CONFIG.db_name}",
        REDIS_URL=f"{CONFIG.redis}/{CONFIG.broker_db}",
        REDIS_CACHE_URL=f"{CONFIG.redis}/{CONFIG.cache_db}",
        SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        DATA_DIR=str(ROOT / "var" / "bench"),
    )
    return env


def _redis_dbs():
    import redis

    return {db: redis.Redis.from_url(f"{CONFIG.redis}/{db}") for db in _own_dbs()}


def _own_dbs() -> list[int]:
    return sorted({CONFIG.broker_db, CONFIG.cache_db})


def refuse_busy_redis() -> None:
    """The run empties its Redis DBs at the end, so it only starts on empty ones."""
    busy = {db: client.dbsize() for db, client in _redis_dbs().items() if client.dbsize()}
    if busy:
        listed = ", ".join(f"DB {db} holds {n} keys" for db, n in busy.items())
        raise SystemExit(
            f"{CONFIG.redis}: {listed}. The benchmark runs only on empty Redis DBs (it empties"
            " them at its end); choose others with --redis-dbs BROKER,CACHE."
        )


def empty_own_redis() -> None:
    """Empty the DBs the run was given: empty when it started, so what is there is its own."""
    for client in _redis_dbs().values():
        client.flushdb()


def create_database() -> None:
    name = CONFIG.db_name
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"{name!r}: a database name of lower-case letters, digits and _")
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists:
        if not own_database():
            raise SystemExit(
                f"Database {name} exists and was not created by the benchmark: choose another"
                " with --db-name (or BENCH_DB)."
            )
        psql(f"DROP DATABASE {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")
    psql(f"COMMENT ON DATABASE {name} IS '{DB_COMMENT}'")


def own_database() -> bool:
    comment = psql(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
        f" WHERE datname = '{CONFIG.db_name}'"
    )
    return comment == DB_COMMENT


def drop_own_database() -> None:
    if own_database():
        psql(f"DROP DATABASE IF EXISTS {CONFIG.db_name} WITH (FORCE)")


# --- CPU from /proc ----------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _ticks_since_boot() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * TICKS)


def _proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(process group, CPU ticks used, start in ticks since boot) of ``pid``."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[2]), int(fields[11]) + int(fields[12]), int(fields[19])


class CpuMeter:
    """CPU time of every process of the stack over a window, read from /proc: the web server
    and the Celery worker (their process groups), the PostgreSQL backends of the bench
    database (found by their command line, sampled while the window runs so a backend that
    comes and goes is counted), the Redis server (shared: other clients' work counts too) and
    the load generator (this process's children)."""

    INTERVAL = 0.2

    def __init__(self, groups: dict[str, int], redis_pid: int | None):
        self.groups = groups
        self.redis_pid = redis_pid
        self._first: dict[int, tuple[str, int]] = {}
        self._last: dict[int, int] = {}
        self._stop = threading.Event()

    def _kind(self, pid: int, group: int) -> str | None:
        for name, pgid in self.groups.items():
            if group == pgid:
                return name
        if pid == self.redis_pid:
            return "redis"
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].split()
        except OSError:
            return None
        # "postgres: [cluster:] user database client state" (Debian names the cluster).
        if cmd[:1] == [b"postgres:"] and CONFIG.db_name.encode() in cmd[1:4]:
            return "postgres"
        return None

    def _sample(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _proc_stat(pid)
            if stat is None:
                continue
            group, used, began = stat
            if pid not in self._first:
                kind = self._kind(pid, group)
                if kind is None:
                    continue
                # A process started inside the window counts from zero.
                self._first[pid] = (kind, 0 if began >= self._t0 else used)
            self._last[pid] = used

    def _loop(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._sample()

    def __enter__(self):
        self._t0 = _ticks_since_boot()
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._sample()
        self._stop.set()
        self._thread.join()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent: dict[str, float] = dict.fromkeys(("web", "postgres", "redis", "worker"), 0.0)
        for pid, (kind, first) in self._first.items():
            spent[kind] = spent.get(kind, 0.0) + (self._last[pid] - first) * 1000 / TICKS
        spent["wrk"] = (
            children.ru_utime
            + children.ru_stime
            - self._children.ru_utime
            - self._children.ru_stime
        ) * 1000
        self.ms = spent
        return False


def per_request_cpu(cpu: dict[str, float], count: int) -> dict:
    """CPU ms per request by process kind, the total of the stack (the load generator
    apart) and each kind's share of it."""
    count = max(count, 1)
    total = sum(ms for kind, ms in cpu.items() if kind != "wrk")
    return {
        "total_ms": round(total / count, 2),
        "by_process_ms": {k: round(v / count, 2) for k, v in cpu.items()},
        "share": {k: round(v / total, 3) if total else 0 for k, v in cpu.items() if k != "wrk"},
    }


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
    statuses = re.search(r"BENCH status 200=(\d+) 304=(\d+) other=(\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "p50": latency_ms("50"),
        "p99": latency_ms("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "created": int(created.group(1)) if created else None,
        "statuses": (
            dict(zip(("200", "304", "other"), map(int, statuses.groups()), strict=True))
            if statuses
            else None
        ),
        "raw": text,
    }


def probe(
    port: int,
    method: str,
    path: str,
    token: str | None,
    body: dict | None,
    headers: dict | None = None,
) -> dict:
    """One request with ``X-Bench-Count``: what it cost in statements, Redis round trips and
    publishes (bench.middleware)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"X-Bench-Count": "1", "Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body else None, headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return {
        "status": response.status,
        "etag": response.getheader("ETag"),
        "sql": int(response.getheader("X-Bench-SQL")),
        "sql_detail": response.getheader("X-Bench-SQL-Detail"),
        "health_checks": int(response.getheader("X-Bench-SQL-Health")),
        "redis": int(response.getheader("X-Bench-Redis")),
        "publish": int(response.getheader("X-Bench-Publish")),
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


SERVERS = ("sync", "gthread", "asgi")


def web_command(port: int, workers: int, server: str, threads: int) -> list[str]:
    """gunicorn as production starts it: its sync workers, its gthread workers with
    ``threads`` each, or uvicorn's workers (the maintained ``uvicorn-worker`` package) serving
    config.asgi."""
    app = "config.asgi:application" if server == "asgi" else "config.wsgi:application"
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "--backlog",
        "2048",
    ]
    if server == "gthread":
        web += ["--worker-class", "gthread", "--threads", str(threads)]
    elif server == "asgi":
        web += ["--worker-class", "uvicorn_worker.UvicornWorker"]
    return web


def pool_env(env: dict, pool: bool) -> dict:
    """The web tier's environment with psycopg's pool (DATABASE_POOL) on or off."""
    env = {k: v for k, v in env.items() if not k.startswith("DATABASE_POOL")}
    if pool:
        env["DATABASE_POOL"] = "1"
    return env


class Stack:
    """gunicorn and a Celery worker, started the way production starts them (``server``:
    see ``web_command``; ``pool``: the web tier on psycopg's pool instead of persistent
    connections; the worker keeps its persistent connection either way)."""

    def __init__(
        self,
        env: dict,
        port: int,
        workers: int,
        logdir: Path,
        server: str,
        threads: int,
        pool: bool = False,
    ):
        self.env, self.logdir = pool_env(env, False), logdir
        web = web_command(port, workers, server, threads)
        self.procs = {"web": self._start("web", web, pool_env(env, pool))}
        self.start_worker()

    def _start(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env or self.env,
            stdout=(self.logdir / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        py = sys.executable
        self.procs["worker"] = self._start(
            "worker",
            [
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
        )

    def groups(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items() if p.poll() is None}

    def stop(self, names=None):
        chosen = [p for n, p in self.procs.items() if names is None or n in names]
        for p in chosen:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in chosen:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for n in [n for n, p in self.procs.items() if p in chosen]:
            del self.procs[n]


def wait_healthy(port: int, timeout: float = 240) -> None:
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
        ["redis-cli", "-u", CONFIG.redis, "INFO", "server"], capture_output=True, text=True
    ).stdout
    redis_version = re.search(r"redis_version:(\S+)", redis_version).group(1)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB; "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg}, Redis {redis_version}, wrk {wrk_version}"
    )


def redis_pid() -> int | None:
    import redis

    try:
        return int(redis.Redis.from_url(CONFIG.redis).info("server")["process_id"])
    except Exception:
        return None


def parse_args(argv=None):
    e = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default=e("BENCH_SERVER", "sync"),
        help="gunicorn's worker class: sync, gthread, or asgi (uvicorn's workers; BENCH_SERVER;"
        " default sync)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--pool",
        action="store_true",
        default=e("BENCH_POOL") == "1",
        help="the web tier on psycopg's connection pool (DATABASE_POOL=1; BENCH_POOL=1)",
    )
    parser.add_argument(
        "--compare-servers",
        action="store_true",
        help="instead of the full run: alternate the authenticated no-op and booking over"
        " sync, gthread and asgi, with and without the pool (bench/servers.py)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="--compare-servers: rounds over the configurations"
    )
    parser.add_argument(
        "--pg", default=e("BENCH_PG", CONFIG.pg), help="PostgreSQL server URL, no database"
    )
    parser.add_argument(
        "--db-name", default=e("BENCH_DB", CONFIG.db_name), help="the database it creates"
    )
    parser.add_argument(
        "--redis", default=e("BENCH_REDIS", CONFIG.redis), help="Redis server URL, no DB"
    )
    parser.add_argument(
        "--redis-dbs",
        default=e("BENCH_REDIS_DBS", f"{CONFIG.broker_db},{CONFIG.cache_db}"),
        help="BROKER,CACHE: two Redis DBs, empty when the run starts (emptied at its end)",
    )
    parser.add_argument(
        "--ports",
        default=e("BENCH_PORTS", ""),
        help="LOW-HIGH: the port range the web server may take (default: any free port)",
    )
    parser.add_argument(
        "--contention-runs",
        type=int,
        default=1,
        help="contention bursts, each for its own slot (the first is the one reported)",
    )
    parser.add_argument("--scale", action="store_true", help="also the 10k / 1M-reservation runs")
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE as JSON")
    parser.add_argument(
        "--record-baseline",
        action="store_true",
        help=f"write this run's booking figures to {BASELINE.relative_to(ROOT)}",
    )
    parser.add_argument("--label", default="", help="a note for docs/performance.md")
    parser.add_argument("--no-write", action="store_true", help="do not write the docs file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database (for bench.profile)"
    )
    args = parser.parse_args(argv)
    CONFIG.pg = args.pg.rstrip("/")
    CONFIG.db_name = args.db_name
    CONFIG.redis = args.redis.rstrip("/")
    CONFIG.broker_db, CONFIG.cache_db = (int(x) for x in args.redis_dbs.split(","))
    if CONFIG.broker_db == CONFIG.cache_db:
        parser.error("--redis-dbs: two different DBs")
    if args.ports:
        low, high = (int(x) for x in args.ports.split("-"))
        CONFIG.ports = (low, high)
    return args


# Body offsets of the runs that book (bodies.jsonl has ~140,000 free cells): each run's
# warm-up and measured parts, and the single counted bookings, take lines no other run takes.
OFFSETS = {
    "booking": (0, 20_000),
    "booking_no_worker": (40_000, 60_000),
    "scale_10k": (80_000, 90_000),
    "scale_1m": (100_000, 110_000),
}
PROBE_OFFSET = 130_000
PROBES = 5


def main(argv=None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is missing: install it with `apt-get install wrk` (Debian) and run again.")
        return 2
    env = bench_env()
    logdir = ROOT / "var" / "bench"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    refuse_busy_redis()
    log(f"creating database {CONFIG.db_name}")
    create_database()
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
        if args.compare_servers:
            from bench import servers

            return servers.compare(args=args, env=env, seeded=seeded, bodies=bodies, logdir=logdir)
        stack = Stack(env, port, args.workers, logdir, args.server, args.threads, args.pool)
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
        rpid = redis_pid()

        def run(name, url, script, connections=16, extra=None, offsets=(0, 0)):
            e = {**load_env, **(extra or {})}
            warm = None
            if args.warmup:
                e["BENCH_OFFSET"] = str(offsets[0])
                warm = wrk(url, seconds=args.warmup, connections=connections, script=script, env=e)
            log(f"measuring {name}")
            e["BENCH_OFFSET"] = str(offsets[1])
            with CpuMeter(stack.groups(), rpid) as meter:
                measured = wrk(
                    url, seconds=args.seconds, connections=connections, script=script, env=e
                )
            measured["cpu"] = per_request_cpu(
                meter.ms,
                measured["created"] if measured["created"] is not None else measured["requests"],
            )
            if measured["created"] is not None:
                measured["created_total"] = measured["created"] + (warm or {}).get("created", 0)
            return measured

        results = {
            "ceiling": run("ceiling (authenticated no-op)", f"{base}/bench/noop/", "get.lua"),
            "anon_noop": run(
                "anonymous no-op",
                f"{base}/bench/noop-anonymous/",
                "get.lua",
                extra={"BENCH_TOKEN": ""},
            ),
            "booking": run("booking", base, "book.lua", offsets=OFFSETS["booking"]),
            "available_cached": run("availability (cached)", avail, "get.lua"),
            "available_uncached": run(
                "availability (uncached)", avail, "get.lua", extra={"BENCH_COLD": "1"}
            ),
        }
        # The host stand (issue 15): the busy day's page (40 tables, 300 reservations) and its
        # live fragment polled unchanged (If-None-Match: the day's ETag, answered 304). The
        # ETag carries the clock's minute: it is read just before each run, and the run
        # reports how many answers were 304.
        host_day_path = f"/host/{seeded['busy_slug']}/?date={seeded['busy_day']}"
        host_live_path = f"/host/{seeded['busy_slug']}/live/?date={seeded['busy_day']}"
        host_env = {"BENCH_TOKEN": "", "BENCH_COOKIE": seeded["host_cookie"]}
        # A few hosts, not a crowd: 4 connections.
        results["host_day"] = run(
            "host stand day", base + host_day_path, "get.lua", connections=4, extra=host_env
        )

        def unchanged_poll_headers() -> dict:
            fresh = probe(
                port, "GET", host_live_path, None, None, {"Cookie": seeded["host_cookie"]}
            )
            return {"Cookie": seeded["host_cookie"], "If-None-Match": fresh["etag"] or ""}

        poll = unchanged_poll_headers()
        results["host_poll"] = run(
            "host stand poll, unchanged",
            base + host_live_path,
            "get.lua",
            connections=4,
            extra={**host_env, "BENCH_IF_NONE_MATCH": poll["If-None-Match"]},
        )
        # Each run books its own slot (the same table and time, a day later each); the web
        # tier's CPU per request over the burst is read from /proc like the timed runs'.
        runs = []
        for n in range(args.contention_runs):
            log(f"measuring contention ({n + 1} of {args.contention_runs})")
            body = dict(seeded["contention"])
            day = date.fromisoformat(body["reservation_date"]) + timedelta(days=n)
            body["reservation_date"] = day.isoformat()
            with CpuMeter(stack.groups(), rpid) as meter:
                burst = contention(port, seeded["token"], body)
            burst["cpu"] = per_request_cpu(meter.ms, 64)
            runs.append(burst)
        results["contention"] = runs[0]
        results["contention_runs"] = runs

        log("counting one request's statements, Redis round trips and publishes")
        # Counted at one restaurant after a booking there, as in steady service: its booking
        # setup is then in the cache (it lapses after a minute without bookings).
        probe_lines = bodies.read_text().splitlines()[PROBE_OFFSET:]
        first = json.loads(probe_lines[0])
        same = [
            json.loads(line)
            for line in probe_lines[1:]
            if json.loads(line)["restaurant_id"] == first["restaurant_id"]
        ][:PROBES]
        token = seeded["token"]
        probe(port, "POST", "/api/reservations/", token, first)
        results["probes"] = {
            "booking": [probe(port, "POST", "/api/reservations/", token, b) for b in same],
            "ceiling": [probe(port, "GET", "/bench/noop/", token, None)],
            "anon_noop": [probe(port, "GET", "/bench/noop-anonymous/", None, None)],
            "available_cached": [probe(port, "GET", avail.removeprefix(base), None, None)],
            "host_day": [
                probe(port, "GET", host_day_path, None, None, {"Cookie": seeded["host_cookie"]})
            ],
            "host_poll": [probe(port, "GET", host_live_path, None, None, unchanged_poll_headers())],
        }
        created_by_probes = [p for p in results["probes"]["booking"] if p["status"] == 201]

        # Every email the load caused must have gone out while the worker ran: the outbox rows
        # due and still pending or sending a few seconds after the load.
        results["outbox_undelivered"] = outbox_undelivered(wait_seconds=10)
        log("stopping the Celery worker")
        stack.stop(["worker"])
        results["booking_no_worker"] = run(
            "booking without the worker", base, "book.lua", offsets=OFFSETS["booking_no_worker"]
        )
        if args.scale:
            from bench import scale

            try:
                results["scale"] = scale.run_scale(
                    run=run,
                    base=base,
                    seeded=seeded,
                    env=env,
                    log=log,
                    offsets=OFFSETS,
                    stack=stack,
                )
            except Exception as exc:  # the figures measured so far are still reported
                log(f"scale runs failed: {exc}")
                results["scale"] = {"error": str(exc)[-500:], "runs": {}}

        overlaps, created_ids, stored = stored_and_overlapping(logdir)
        created_total = sum(
            r["created_total"]
            for key, r in results.items()
            if isinstance(r, dict) and r.get("created_total") is not None
        ) + sum(
            r["created_total"]
            for r in (results.get("scale") or {}).get("runs", {}).values()
            if r.get("created_total") is not None
        )
        figures = summary(results)
        report = render(results, figures, overlaps, stored, created_total, args)
        print(report)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        if args.record_baseline:
            record_baseline(figures, args)
        if not args.no_write:
            write_docs(report, args)
        ok = (
            overlaps == 0
            and stored == len(created_ids) == created_total
            and all(b["201"] == 1 and b["5xx"] == 0 for b in results["contention_runs"])
            and len(created_by_probes) == PROBES
            and results["outbox_undelivered"] == 0
        )
        return 0 if ok else 1
    finally:
        if stack:
            stack.stop()
        if not args.keep:
            drop_own_database()
        empty_own_redis()
        log(f"done in {time.monotonic() - started:.0f} s; processes stopped")


def _median(values):
    return statistics.median(values) if values else None


def load_baseline() -> dict | None:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else None


def outbox_undelivered(wait_seconds: float) -> int:
    """Outbox rows due and not yet delivered (pending or sending), waiting up to
    ``wait_seconds`` for the worker to drain them: 0 when every email went out."""
    deadline = time.monotonic() + wait_seconds
    while True:
        left = int(
            psql(
                "SELECT count(*) FROM notifications_notification"
                " WHERE status IN ('pending', 'sending') AND scheduled_for <= now()",
                CONFIG.db_name,
            )
        )
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(0.5)


def summary(results: dict) -> dict:
    """The figures, machine-readable (``--json``)."""
    ceiling = results["ceiling"]["rps"]
    anon = results["anon_noop"]["rps"]
    booking = results["booking"]
    probes = results["probes"]["booking"]
    baseline = load_baseline()
    # The yardstick for the baseline is the anonymous no-op, which no change to the booking
    # path or to authentication moves: the authenticated ceiling itself is a target.
    booking_anon = booking["rps"] / anon
    figures = {
        "ceiling_rps": round(ceiling, 1),
        "anon_noop_rps": round(anon, 1),
        "auth_ratio": round(ceiling / anon, 3),
        "booking_rps": round(booking["rps"], 1),
        "booking_ratio": round(booking["rps"] / ceiling, 3),
        "booking_anon_ratio": round(booking_anon, 4),
        "booking_p50_ms": booking["p50"],
        "booking_p99_ms": booking["p99"],
        "booking_errors": booking["non2xx"] + booking["socket_errors"],
        "booking_baseline_x": (
            round(booking_anon / baseline["booking_anon_ratio"], 2) if baseline else None
        ),
        # The same comparison in CPU per booking, which a busy machine moves far less.
        "booking_cpu_baseline_x": (
            round(baseline["booking_cpu_ms"] / booking["cpu"]["total_ms"], 2) if baseline else None
        ),
        "booking_no_worker_rps": round(results["booking_no_worker"]["rps"], 1),
        "booking_no_worker_ratio": round(results["booking_no_worker"]["rps"] / ceiling, 3),
        "booking_no_worker_p99_ms": results["booking_no_worker"]["p99"],
        "cached_ratio": round(results["available_cached"]["rps"] / ceiling, 3),
        "uncached_ratio": round(results["available_uncached"]["rps"] / ceiling, 3),
        "uncached_p99_ms": results["available_uncached"]["p99"],
        "contention": results["contention"],
        "contention_runs": results["contention_runs"],
        "scale": results.get("scale"),
        "booking_statements": _median([p["sql"] for p in probes]),
        "booking_statements_detail": probes[-1]["sql_detail"] if probes else None,
        "booking_health_checks": _median([p["health_checks"] for p in probes]),
        "booking_redis_round_trips": _median([p["redis"] for p in probes]),
        "booking_publishes": _median([p["publish"] for p in probes]),
        "outbox_undelivered": results.get("outbox_undelivered"),
        "booking_cpu_ms": booking["cpu"]["total_ms"],
        "booking_cpu": booking["cpu"],
        "booking_no_worker_cpu": results["booking_no_worker"]["cpu"],
        "ceiling_cpu": results["ceiling"]["cpu"],
        "anon_noop_cpu": results["anon_noop"]["cpu"],
        "ceiling_statements": results["probes"]["ceiling"][0]["sql"],
        "ceiling_redis_round_trips": results["probes"]["ceiling"][0]["redis"],
        "cached_redis_round_trips": results["probes"]["available_cached"][0]["redis"],
        "host_day_rps": round(results["host_day"]["rps"], 1),
        "host_day_p50_ms": results["host_day"]["p50"],
        "host_day_p99_ms": results["host_day"]["p99"],
        "host_day_statements": results["probes"]["host_day"][0]["sql"],
        "host_poll_rps": round(results["host_poll"]["rps"], 1),
        "host_poll_p50_ms": results["host_poll"]["p50"],
        "host_poll_p99_ms": results["host_poll"]["p99"],
        "host_poll_statuses": results["host_poll"]["statuses"],
        "host_poll_statements": results["probes"]["host_poll"][0]["sql"],
        "host_poll_probe_status": results["probes"]["host_poll"][0]["status"],
        "baseline": baseline,
    }
    return figures


def record_baseline(figures: dict, args) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    keys = (
        "ceiling_rps",
        "anon_noop_rps",
        "booking_rps",
        "booking_ratio",
        "booking_anon_ratio",
        "booking_p99_ms",
        "booking_no_worker_rps",
        "booking_statements",
        "booking_redis_round_trips",
        "booking_publishes",
        "booking_cpu_ms",
    )
    data = {
        "recorded": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commit": commit,
        "command": f"python -m bench --seconds {args.seconds} --warmup {args.warmup}",
        **{key: figures[key] for key in keys},
        "booking_cpu": figures["booking_cpu"],
        "booking_no_worker_cpu": figures["booking_no_worker_cpu"],
    }
    BASELINE.write_text(json.dumps(data, indent=2) + "\n")


def render(results: dict, figures: dict, overlaps: int, stored: int, created: int, args) -> str:
    ceiling = results["ceiling"]["rps"]

    def row(name, r, target):
        ratio = r["rps"] / ceiling
        errors = r["non2xx"] + r["socket_errors"]
        return (
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {errors} | "
            f"{ratio:.3f} | {r['cpu']['total_ms']:.1f} | {target} |"
        )

    c = results["contention"]
    base = figures["baseline"]
    lines = [
        "| run | requests/s | p50 ms | p99 ms | errors | ratio to ceiling | CPU ms per request"
        " | target |",
        "|---|---|---|---|---|---|---|---|",
        row("anonymous DRF no-op", results["anon_noop"], "-"),
        row(
            "ceiling (authenticated no-op)",
            results["ceiling"],
            f">= 0.6 of the anonymous no-op (now {figures['auth_ratio']:.2f})",
        ),
        row("booking, 16 connections", results["booking"], ">= 0.35, p99 <= 150 ms, 0 errors"),
        row("booking, Celery worker stopped", results["booking_no_worker"], "-"),
        row("availability, cached", results["available_cached"], ">= 0.90"),
        row("availability, uncached", results["available_uncached"], ">= 0.30"),
        row("host stand day (40 tables, 300 reservations)", results["host_day"], "-"),
        row("host stand poll, unchanged (304)", results["host_poll"], "-"),
        "",
        f"Host stand: the day's page {figures['host_day_statements']} SQL statements, its "
        f"unchanged poll {figures['host_poll_statements']} (answered "
        f"{figures['host_poll_probe_status']}); the poll run's answers by status: "
        f"{figures['host_poll_statuses']} (the ETag carries the clock's minute: a run that "
        "crosses one renders once more per connection).",
        "",
    ]
    if base:
        lines += [
            f"Against the recorded baseline (bench/baseline.json, {base['recorded']}, commit "
            f"{base['commit']}: booking {base['booking_rps']:.0f} req/s = "
            f"{base['booking_anon_ratio']:.4f} of its anonymous no-op): booking now "
            f"{figures['booking_anon_ratio']:.4f} of the anonymous no-op, "
            f"**{figures['booking_baseline_x']:.2f}x** (target >= 5x). CPU per booking: "
            f"{base['booking_cpu_ms']:.1f} ms then, {figures['booking_cpu_ms']:.1f} ms now "
            f"({figures['booking_cpu_baseline_x']:.2f}x less).",
            "",
        ]
    lines += [
        f"Per booking (one request counted after the timed runs): "
        f"{figures['booking_statements']} SQL statements ({figures['booking_statements_detail']};"
        f" target <= 8), {figures['booking_health_checks']} connection health checks, "
        f"{figures['booking_redis_round_trips']} Redis round trips, "
        f"{figures['booking_publishes']} broker publishes. The authenticated no-op: "
        f"{figures['ceiling_statements']} statements, {figures['ceiling_redis_round_trips']} "
        f"Redis round trips; cached availability: {figures['cached_redis_round_trips']} Redis "
        "round trips.",
        "",
        "CPU per booking across the machine's processes, from /proc over the timed window "
        "(ms per request, and share):",
        "",
        "| run | stack total | web | PostgreSQL | Redis (shared server) | Celery worker |"
        " wrk (apart) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, key in (
        ("booking", "booking_cpu"),
        ("booking, worker stopped", "booking_no_worker_cpu"),
        ("authenticated no-op", "ceiling_cpu"),
        ("anonymous no-op", "anon_noop_cpu"),
    ):
        cpu = figures[key]
        cells = " | ".join(
            f"{cpu['by_process_ms'].get(k, 0):.1f} ({cpu['share'].get(k, 0):.0%})"
            for k in ("web", "postgres", "redis", "worker")
        )
        wrk_ms = cpu["by_process_ms"].get("wrk", 0)
        lines.append(f"| {name} | {cpu['total_ms']:.1f} | {cells} | {wrk_ms:.1f} |")
    lines += [
        "",
        f"Contention (64 simultaneous requests, one table and slot): 201: {c['201']}, "
        f"409: {c['409']}, 423: {c['423']}, 5xx: {c['5xx']}, other: {c['other']}; "
        f"p50 {c['p50']:.0f} ms, p99 {c['p99']:.0f} ms (target: one 201, no 5xx, "
        "p99 <= 500 ms); web CPU "
        f"{c['cpu']['by_process_ms']['web']:.1f} ms per request.",
        "",
    ]
    for n, burst in enumerate(results.get("contention_runs", [])[1:], start=2):
        lines += [
            f"Contention run {n}: 201: {burst['201']}, 409: {burst['409']}, 423: "
            f"{burst['423']}, 5xx: {burst['5xx']}, other: {burst['other']}; p50 "
            f"{burst['p50']:.0f} ms, p99 {burst['p99']:.0f} ms; web CPU "
            f"{burst['cpu']['by_process_ms']['web']:.1f} ms per request.",
            "",
        ]
    scale = results.get("scale")
    if scale and scale.get("error"):
        lines += [f"Scale runs failed: {scale['error']}", ""]
    elif scale:
        lines += [
            "Scale (1,000 restaurants; booking and uncached availability, 16 connections):",
            "",
            "| reservations | booking req/s | booking p50 ms | booking p99 ms | uncached req/s |"
            " uncached p50 ms | uncached p99 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for label, key in (("10,000", "10k"), ("1,000,000", "1m")):
            b, a = scale["runs"][f"booking_{key}"], scale["runs"][f"uncached_{key}"]
            lines.append(
                f"| {label} | {b['rps']:.0f} | {b['p50']:.1f} | {b['p99']:.1f} | "
                f"{a['rps']:.0f} | {a['p50']:.1f} | {a['p99']:.1f} |"
            )
        lines += [
            "",
            f"Latency 1M / 10k (p50): booking {scale['booking_p50_x']:.2f}x, uncached "
            f"availability {scale['uncached_p50_x']:.2f}x (target <= 1.2x); seeding the "
            f"million took {scale['seed_seconds']:.0f} s.",
            "",
        ]
    lines.append(
        f"After the run: overlapping holding occupancy rows: {overlaps}; bookings answered 201 "
        f"by the load (warm-up and measured runs): {created}, found in the database: {stored}; "
        f"outbox rows due and undelivered a few seconds after the load (worker running): "
        f"{figures.get('outbox_undelivered')}."
    )
    return "\n".join(lines)


def describe_server(workers: int, server: str, threads: int, pool: bool) -> str:
    kind = {
        "sync": f"{workers} sync workers",
        "gthread": f"{workers} gthread workers x {threads} threads",
        "asgi": f"{workers} uvicorn workers (ASGI)",
    }[server]
    return kind + (", psycopg's pool" if pool else ", persistent connections")


def write_docs(report: str, args) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    marker = "<!-- bench:latest -->"
    server = describe_server(args.workers, args.server, args.threads, args.pool)
    section = (
        f"{marker}\n## Latest run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f"{' (' + args.label + ')' if args.label else ''}\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `uv run python -m bench --seconds {args.seconds} --warmup {args.warmup}"
        f"{' --scale' if args.scale else ''}`; gunicorn with {server}, DEBUG off, one Celery "
        f"worker; wrk with 2 threads on the same machine.\n\n{report}\n{marker}"
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
