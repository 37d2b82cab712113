"""The attempt counter (core.rate_limits): fixed windows in the cache, Retry-After the rest of
the window, off with limit 0 or without an address, and the 429 error classes."""

from datetime import UTC, datetime, timedelta

import pytest

from core import rate_limits
from core.errors import HoldLimit, Throttled

START = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)


def attempt(now, *, address="192.0.2.1", limit=3, window_seconds=60, scope="test"):
    rate_limits.attempt_count(
        scope=scope, address=address, limit=limit, window_seconds=window_seconds, now=now
    )


def test_the_attempt_over_the_limit_is_throttled_until_the_window_ends():
    for _ in range(3):
        attempt(START)
    with pytest.raises(Throttled) as refused:
        attempt(START + timedelta(seconds=44.5))
    assert refused.value.retry_after == 16  # 15.5 s left, rounded up
    assert refused.value.headers() == {"Retry-After": "16"}
    # Still refused later in the window, free in the next one.
    with pytest.raises(Throttled):
        attempt(START + timedelta(seconds=59))
    attempt(START + timedelta(seconds=60))


def test_scopes_and_addresses_count_apart():
    for _ in range(3):
        attempt(START)
    attempt(START, address="192.0.2.2")
    attempt(START, scope="other")
    attempt(START, address="2001:db8::1")


def test_limit_zero_or_no_address_counts_nothing():
    for _ in range(5):
        attempt(START, limit=0)
        attempt(START, address=None, limit=1)
        attempt(START, address="", limit=1)


def test_the_429_errors_carry_their_code_and_retry_after():
    throttled = Throttled(retry_after=0.2)
    assert (throttled.status, throttled.code, throttled.retry_after) == (429, "throttled", 1)
    assert throttled.details == {"retry_after": 1}
    hold = HoldLimit(retry_after=61.2, details={"scope": "restaurant"})
    assert (hold.status, hold.code, hold.headers()) == (429, "hold_limit", {"Retry-After": "62"})
    assert hold.details == {"scope": "restaurant", "retry_after": 62}
