"""The ``reservaflow`` command: Django's manage.py, plus ``up`` to run the whole system and
``check`` to check a deployment (``manage.py check`` stays Django's own)."""

import argparse
import os
import sys
from pathlib import Path


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def up(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="reservaflow up",
        description="Migrate, seed demo data on an empty database, then run the web server, "
        "a Celery worker and Celery beat in the foreground until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--port", type=int, default=8000, help="web port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--no-demo", action="store_true", help="do not create demo data")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="gunicorn worker processes when Redis is configured (default WEB_CONCURRENCY "
        "or 2); without Redis one process with threads",
    )
    args = parser.parse_args(argv)

    try:
        _setup_django()
    except Exception as exc:  # settings errors (a missing SECRET_KEY) end in one line
        print(f"reservaflow: {exc}", file=sys.stderr)
        return 2

    from django.conf import settings
    from django.core.management import call_command

    from config.startup import ServiceUnreachable, check_services, database_create_if_missing

    try:
        created = database_create_if_missing()
        check_services()
    except ServiceUnreachable as exc:
        print(f"reservaflow: {exc}", file=sys.stderr)
        return 2
    if created:
        print(f'reservaflow: created the database "{created}"', flush=True)

    database = (
        "PostgreSQL" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "SQLite"
    )
    cache = "Redis" if settings.REDIS_CACHE_URL else "in-memory"
    broker = "file system" if settings.CELERY_BROKER_URL.startswith("filesystem") else "Redis"
    mode = "embedded" if settings.EMBEDDED else "service"
    print(
        f"ReservaFlow ({mode} mode): database {database}, cache {cache}, broker {broker}; "
        f"files in {settings.DATA_DIR}",
        flush=True,
    )
    call_command("migrate", interactive=False, verbosity=1)

    if not args.no_demo:
        from restaurants.demo import demo_create_if_empty

        created = demo_create_if_empty()
        if created:
            print(
                "\nDemo data created: restaurant "
                f"'{created.restaurant.name}' with {created.table_count} tables.\n"
                f"Admin account (shown once):\n  email:    {created.admin_email}\n"
                f"  password: {created.admin_password}\n",
                flush=True,
            )

    from django.db import connections

    connections.close_all()

    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    print(
        f"\n  Booking:    {base}/ (the guests' pages)\n"
        f"  Host stand: {base}/host/ (the restaurants' staff)\n"
        f"  API root:   {base}/api/\n  Swagger UI: {base}/api/docs/\n"
        f"  Admin:      {base}/admin/\n  Health:     {base}/api/health/ (readiness), "
        f"{base}/api/health/live/ (liveness)\n",
        flush=True,
    )

    # Every process of this host starts now: the metrics files of earlier runs' process ids
    # would otherwise be added to every scrape until the directory is emptied
    # (docs/observability.md).
    for stale in Path(settings.METRICS_DIR).glob("*.db"):
        stale.unlink(missing_ok=True)

    from honcho import manager as honcho_manager
    from honcho.manager import Manager

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    # The guests' manage links point at this server unless a public address is configured.
    env.setdefault("PUBLIC_BASE_URL", base)
    env["PYTHONUNBUFFERED"] = "1"
    py = sys.executable
    manager = Manager()
    # Without Redis the cache lives in the web process's memory: one process (with threads)
    # keeps one cache, so a booking's version bump reaches every later availability answer.
    local_cache = not settings.REDIS_CACHE_URL
    processes = "--workers 1 --threads 4" if local_cache else f"--workers {args.web_workers}"
    manager.add_process(
        "web",
        f"exec {py} -m gunicorn config.wsgi:application --bind {args.host}:{args.port} "
        f"{processes} --graceful-timeout 4 "
        "--no-control-socket",
        env=env,
    )
    manager.add_process(
        "worker",
        # A thread pool: mail delivery waits on I/O, and the worker stops within honcho's
        # grace period on Ctrl-C (a prefork pool would share the group's signal).
        f"exec {py} -m celery -A config worker --loglevel INFO --pool threads "
        f"--concurrency 4 --hostname worker-{args.port}@%h",
        env=env,
    )
    manager.add_process(
        "beat",
        f"exec {py} -m celery -A config beat --loglevel INFO "
        f"--schedule {settings.CELERY_BEAT_SCHEDULE_FILENAME}",
        env=env,
    )
    # A worker finishing its tasks may need more than honcho's default 5 s to stop cleanly.
    honcho_manager.KILL_WAIT = 20
    manager.loop()
    # 130/143: stopped on request (Ctrl-C, SIGTERM) after every process ended; that is success.
    return 0 if manager.returncode in (None, 130, 143) else manager.returncode


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def check(argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="reservaflow check",
        description="Before and after a deployment: the configured PostgreSQL and Redis "
        "answer, Django's deploy checks (check --deploy) and ReservaFlow's own (the secret "
        "key, DEBUG, hosts, HTTPS, the service mode's parts, exactly one Celery beat). One "
        "line per problem; exits 1 when there is any.",
    ).parse_args(argv)
    try:
        _setup_django()
    except Exception as exc:  # settings errors (a missing SECRET_KEY) end in one line
        print(f"reservaflow check: {_one_line(exc)}", file=sys.stderr)
        return 2

    from django.core.checks import WARNING, run_checks

    from config.startup import ServiceUnreachable, check_services
    from core import beat

    problems = []
    try:
        check_services()
    except ServiceUnreachable as exc:
        problems.append(_one_line(exc))
    for issue in run_checks(include_deployment_checks=True):
        if issue.level < WARNING or issue.is_silenced():
            continue
        where = f"{issue.obj}: " if issue.obj is not None else ""
        hint = f" ({_one_line(issue.hint)})" if issue.hint else ""
        problems.append(f"{where}{issue.id}: {_one_line(issue.msg)}{hint}")
    for problem in problems:
        print(f"reservaflow check: {problem}")
    if problems:
        print(f"reservaflow check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    client = beat.broker_redis()
    beats = beat.beats_running(client) if client is not None else []
    running = f"Celery beat: {beat.describe(beats[0])}" if beats else "no Celery beat running now"
    print(f"reservaflow check: no problems ({running})")
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "up":
        sys.exit(up(argv[2:]))
    if len(argv) > 1 and argv[1] == "check":
        sys.exit(check(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.management import execute_from_command_line

    argv[0] = "reservaflow"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
