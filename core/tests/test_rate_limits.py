"""Attempt limits (core.throttling.AttemptLimit) as the booking and registration limits use
them: fixed windows in the cache, Retry-After the rest of the window, off with limit 0; and
the 429 error classes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.errors import HoldLimit, Throttled
from core.throttling import AttemptLimit

START = datetime(2025, 8, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def attempt(*, address="192.0.2.1", limit=3, window=60, scope="test"):
    AttemptLimit(scope, limit, window, "Slow down.").take(address)


def test_the_attempt_over_the_limit_is_throttled_until_the_window_ends(clock):
    for _ in range(3):
        attempt()
    clock.shift(timedelta(seconds=44.5))
    with pytest.raises(Throttled) as refused:
        attempt()
    assert refused.value.retry_after == 16  # 15.5 s left, rounded up
    assert refused.value.headers() == {"Retry-After": "16"}
    assert refused.value.message == "Slow down."
    assert refused.value.details == {"limit": 3, "window_seconds": 60, "retry_after": 16}
    # Still refused later in the window, free in the next one.
    clock.shift(timedelta(seconds=14))
    with pytest.raises(Throttled):
        attempt()
    clock.shift(timedelta(seconds=1.5))
    attempt()


def test_scopes_and_addresses_count_apart(clock):
    for _ in range(3):
        attempt()
    attempt(address="192.0.2.2")
    attempt(scope="other")
    attempt(address="2001:db8::1")


def test_limit_zero_counts_nothing(clock):
    for _ in range(5):
        attempt(limit=0)
        attempt(window=0, limit=1)


def test_the_429_errors_carry_their_code_and_retry_after():
    throttled = Throttled(retry_after=0.2)
    assert (throttled.status, throttled.code, throttled.retry_after) == (429, "throttled", 1)
    assert throttled.details == {"retry_after": 1}
    hold = HoldLimit(retry_after=61.2, details={"scope": "restaurant"})
    assert (hold.status, hold.code, hold.headers()) == (429, "hold_limit", {"Retry-After": "62"})
    assert hold.details == {"scope": "restaurant", "retry_after": 62}
