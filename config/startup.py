"""Checks, before anything starts, that every configured service answers.

A configured PostgreSQL or Redis that cannot be reached stops the start with one line that
names what failed; the embedded defaults are used only when nothing is configured.
"""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


class ServiceUnreachable(Exception):
    pass


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else exc.__class__.__name__


def check_database() -> None:
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:
        where = redact(settings.DATABASE_URL) if settings.DATABASE_URL else "embedded SQLite"
        raise ServiceUnreachable(
            f"cannot reach the database ({where}, from DATABASE_URL): {_first_line(exc)}"
        ) from exc


# Django's own options, not libpq's connection parameters.
_NOT_LIBPQ = {"pool", "server_side_binding", "isolation_level", "assume_role", "cursor_factory"}


def database_create_if_missing() -> str | None:
    """In the service mode, create the configured PostgreSQL database when it does not exist
    and the role may (``CREATE DATABASE``, owned by that role). Returns its name when it was
    created, None otherwise. When it is missing and the role may not create it, raises
    ServiceUnreachable with the exact ``createdb`` command an administrator runs. Any other
    connection failure is left to ``check_database``, which names it."""
    import psycopg
    from psycopg import errors, sql

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return None
    params = {k: v for k, v in db.get("OPTIONS", {}).items() if k not in _NOT_LIBPQ}
    params.update(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )
    params.setdefault("connect_timeout", 5)
    name = db["NAME"]
    try:
        psycopg.connect(dbname=name, **params).close()
        return None
    except psycopg.Error:
        pass  # missing, or unreachable: the maintenance database tells which
    for maintenance in ("postgres", "template1"):
        try:
            conn = psycopg.connect(dbname=maintenance, autocommit=True, **params)
        except psycopg.Error:
            continue
        with conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                return None
            role = conn.execute("SELECT current_user").fetchone()[0]
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except errors.DuplicateDatabase:
                return None  # another process created it meanwhile
            except errors.InsufficientPrivilege:
                where = f"-h {db['HOST'] or 'localhost'} -p {db['PORT'] or 5432}"
                raise ServiceUnreachable(
                    f'the database "{name}" does not exist and the role "{role}" may not '
                    f"create it; as a PostgreSQL administrator run: createdb {where} "
                    f"-O {role} {name}"
                ) from None
            return name
    return None


def check_redis(url: str, name: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        raise ServiceUnreachable(
            f"cannot reach Redis ({redact(url)}, from {name}): {_first_line(exc)}"
        ) from exc


def check_services() -> None:
    check_database()
    if settings.REDIS_CACHE_URL:
        check_redis(settings.REDIS_CACHE_URL, "REDIS_URL")
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        check_redis(settings.CELERY_BROKER_URL, "CELERY_BROKER_URL")
