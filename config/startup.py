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
