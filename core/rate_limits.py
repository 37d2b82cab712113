"""Attempts per client address, counted in the cache (Redis in service mode, the cache and
locks' server): a soft limit that slows abuse down.

Fixed windows aligned to the epoch: the key names the window (``rf:rate:<scope>:<n>:<addr>``)
and lives as long as it, so Retry-After is simply the rest of the window. A cache that does not
answer lets the attempt through (logged): the counters only slow clients down, and what must
hold (one table never booked twice, the hold limits) is decided in the database.
"""

import logging
from datetime import datetime

import redis
from django.core.cache import cache

from core.errors import Throttled

logger = logging.getLogger(__name__)

KEY_PREFIX = "rf:rate:"


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key lapsed between add and incr: a new window has begun
        cache.set(key, 1, timeout=timeout)
        return 1


def attempt_count(
    *,
    scope: str,
    address: str | None,
    limit: int,
    window_seconds: int,
    now: datetime,
    message: str | None = None,
) -> None:
    """Count one attempt from ``address`` in ``scope``; the one over ``limit`` in the current
    window (and every one after it until the window ends) is refused with ``Throttled``
    (429 ``throttled``, Retry-After: the seconds left in the window). ``limit`` 0, or no
    address (a call from inside: admin, a script, a task), counts nothing."""
    if limit <= 0 or window_seconds <= 0 or not address:
        return
    stamp = now.timestamp()
    window = int(stamp // window_seconds)
    key = f"{KEY_PREFIX}{scope}:{window}:{address}"
    try:
        count = _count(key, window_seconds)
    except redis.RedisError as exc:
        logger.warning("Rate limit %s skipped: cache unavailable (%s)", scope, exc)
        return
    if count > limit:
        raise Throttled(
            message,
            retry_after=(window + 1) * window_seconds - stamp,
            details={"limit": limit, "window_seconds": window_seconds},
        )
