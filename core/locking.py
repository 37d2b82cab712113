"""Short Redis locks that reduce contention; they never decide correctness.

The database is the final guard (constraints, serialized transactions). A lock here only keeps
two requests for the same thing from racing into the database at once. When Redis is not
configured (embedded mode) or does not answer, the lock is skipped with a warning and the
caller goes on under the database's guard alone.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection

from core.errors import Locked
from core.metrics import lock_wait_timer

logger = logging.getLogger(__name__)

LOCK_PREFIX = "rf:lock:"
# How often a waiter tries a held lock again.
POLL_SECONDS = 0.02


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis | None:
    """The Redis client for locks (the cache's server and DB), or None in embedded mode."""
    url = settings.REDIS_CACHE_URL
    if not url:
        return None
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=30
    )


@contextmanager
def redis_lock(
    name: str,
    *,
    ttl: float = 5.0,
    wait: float = 0.2,
    error: type[Locked] = Locked,
    waiting: Callable[[], None] | None = None,
) -> Iterator[bool]:
    """Hold the lock ``name`` for the duration of the block.

    Waits up to ``wait`` seconds; if another holder still has it, raises ``error`` (a
    ``Locked``, 423). The lock carries a random token and expires after ``ttl`` seconds, so a
    crashed holder cannot block anyone for long, and release only deletes our own token.
    Yields True when the lock is held, False when Redis was unavailable and the block runs
    unlocked.

    ``waiting``, when given, is called each time the lock is found held, before the next
    try (every ``POLL_SECONDS``): it may raise to stop waiting with its own answer (a
    booking whose slot the holder has just taken: reservations.services.slot_taken).
    """
    client = redis_client()
    if client is None:
        yield False
        return
    lock = client.lock(LOCK_PREFIX + name, timeout=ttl, sleep=POLL_SECONDS)
    with lock_wait_timer() as record_wait:
        try:
            acquired = _acquire(lock, wait, waiting)
        except redis.RedisError as exc:
            record_wait("unavailable")
            acquired = None
            logger.warning(
                "Redis lock %s unavailable (%s); relying on the database guard", name, exc
            )
        except BaseException:
            record_wait("answered")  # ``waiting`` answered the request itself
            raise
        else:
            record_wait("acquired" if acquired else "refused")
    if acquired is None:
        yield False
        return
    if not acquired:
        raise error()
    try:
        yield True
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            # Expired (TTL passed) or taken over: nothing of ours to release.
            logger.warning("Redis lock %s expired before release", name)
        except redis.RedisError as exc:
            logger.warning("Redis lock %s could not be released (%s); its TTL will", name, exc)


def _acquire(lock: redis.lock.Lock, wait: float, waiting: Callable[[], None] | None) -> bool:
    """Try the lock until it is ours or ``wait`` seconds have passed, calling ``waiting``
    between the tries."""
    deadline = time.monotonic() + wait
    while not lock.acquire(blocking=False):
        if waiting is not None:
            waiting()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(POLL_SECONDS, remaining))
    return True


def database_lock(name: str) -> None:
    """Inside a transaction, wait for the transaction-scoped database lock ``name``: held until
    the transaction ends, so work keyed by something that has no row to lock (a phone number,
    say) runs one transaction at a time. Unlike the Redis locks above this one decides
    correctness. PostgreSQL: an advisory lock on a 64-bit hash of the name. SQLite: nothing to
    do, its write transactions already run one at a time (IMMEDIATE)."""
    if not connection.in_atomic_block:
        # Outside a transaction the lock would end with its own statement: no lock at all.
        raise RuntimeError("database_lock() must be called inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
