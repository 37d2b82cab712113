"""Throttles that fail open: their counters live in the cache, and a cache that does not answer
must not turn every throttled endpoint into a 500.

Two kinds: DRF's rate throttles (every request counts) and ``AttemptLimit``, which counts only
attempts that fail (a wrong password, an unknown token), for the views that must know the
outcome before they know whether it counts.
"""

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from rest_framework.throttling import AnonRateThrottle, BaseThrottle

from core.errors import Throttled

logger = logging.getLogger(__name__)


# An IPv6 client holds a whole /64 (any home line, any cloud machine), so its addresses are
# counted as that network: otherwise a new address per attempt would never be limited.
IPV6_PREFIX = 64


def _client_network(ident: str) -> str:
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:  # an IPv4 client seen through an IPv6 socket
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))


class FailOpenAnonRateThrottle(AnonRateThrottle):
    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache is down: let the request through, say so
            logger.warning("Throttle %s skipped: cache unavailable (%s)", self.scope, exc)
            return True


def client_address(request) -> str:
    """The client's address as every throttle sees it: the connection's own, or ``NUM_PROXIES``
    hops back in X-Forwarded-For; an IPv6 address as its /64 network (``IPV6_PREFIX``).
    Takes a Django or a DRF request. A request without any (a WSGI server that sets no
    REMOTE_ADDR) is one shared "unknown" client, limited as one."""
    return _client_network(BaseThrottle().get_ident(request) or "unknown")


def _digest(ident: str) -> str:
    # Keys of a fixed shape whatever the client sent (long, odd or unencodable e-mails).
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Attempt:
    """One counted attempt, to give back when it turns out not to count. ``key`` is None when
    the cache did not answer (nothing was counted)."""

    key: str | None


@dataclass(frozen=True)
class AttemptLimit:
    """At most ``limit`` counted attempts per key in each fixed window of ``window`` seconds.

    An attempt is taken before the work it guards, with an atomic increment, so concurrent
    attempts cannot all slip under the limit; the caller gives it back when it succeeded, so
    only failures stay counted. Over the limit: ``Throttled`` with the seconds left of the
    window, and nothing counted. A cache that does not answer lets the attempt through."""

    scope: str
    limit: int
    window: int
    message: str | None = None

    cache = default_cache

    def take(self, ident: str) -> Attempt:
        """Count one attempt for ``ident``. A limit or window of 0 counts nothing."""
        if self.limit <= 0 or self.window <= 0:
            return Attempt(key=None)
        now = time.time()
        index = int(now // self.window)
        key = f"attempts:{self.scope}:{_digest(ident)}:{index}"
        try:
            self.cache.add(key, 0, timeout=self.window + 60)
            try:
                count = self.cache.incr(key)
            except ValueError:  # the key lapsed between add and incr
                self.cache.set(key, 1, timeout=self.window + 60)
                count = 1
        except Exception as exc:
            logger.warning("Attempt limit %s skipped: cache unavailable (%s)", self.scope, exc)
            return Attempt(key=None)
        if count > self.limit:
            self.give_back(Attempt(key=key))
            raise Throttled(
                self.message,
                retry_after=max(1, math.ceil((index + 1) * self.window - now)),
                details={"limit": self.limit, "window_seconds": self.window},
            )
        return Attempt(key=key)

    def give_back(self, attempt: Attempt) -> None:
        if attempt.key is None:
            return
        try:
            self.cache.decr(attempt.key)
        except ValueError:
            pass  # its window is over: nothing left to give back
        except Exception as exc:
            logger.warning("Attempt limit %s: cache unavailable (%s)", self.scope, exc)


def take_attempts(limits: list[tuple[AttemptLimit, str]]) -> list[tuple[AttemptLimit, Attempt]]:
    """Take one attempt from each (limit, key) in order; when one is over its limit, give back
    the ones already taken and raise its ``Throttled``."""
    taken: list[tuple[AttemptLimit, Attempt]] = []
    try:
        for limit, ident in limits:
            taken.append((limit, limit.take(ident)))
    except Throttled:
        give_back_attempts(taken)
        raise
    return taken


def give_back_attempts(taken: list[tuple[AttemptLimit, Attempt]]) -> None:
    for limit, attempt in taken:
        limit.give_back(attempt)
