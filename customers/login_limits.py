"""How many wrong passwords a sign-in may cost: the API token endpoint and the admin login
share these counters, so one cannot be used to get round the other.

Two limits, each over a window of ``LOGIN_FAILURE_WINDOW_SECONDS``:

* per (account, client address), ``LOGIN_FAILURES_PER_ACCOUNT_ADDRESS``: stops guessing one
  account's password;
* per client address, ``LOGIN_FAILURES_PER_ADDRESS``: stops one address trying a few
  passwords on many accounts.

There is deliberately no limit per account alone: anyone could then lock a guest or a host
out of their account by failing on purpose from anywhere. Misses from other addresses never
block an account's owner. Only failures count: a correct password gives its attempt back.
Over a limit every attempt is refused before the password is checked, a correct one too, so
a throttled client learns nothing more.
"""

from django.conf import settings

from accounts.emails import normalize_email
from core.throttling import (
    Attempt,
    AttemptLimit,
    give_back_attempts,
    take_attempts,
)

LoginAttempts = list[tuple[AttemptLimit, Attempt]]


def _limits() -> tuple[AttemptLimit, AttemptLimit]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        AttemptLimit("login_account_address", settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS, window),
        AttemptLimit("login_address", settings.LOGIN_FAILURES_PER_ADDRESS, window),
    )


def login_attempt_begin(*, email: str, address: str) -> LoginAttempts:
    """Count a sign-in attempt before its password is checked; raises ``Throttled`` (nothing
    counted) when the (account, address) pair or the address is over its limit."""
    pair, per_address = _limits()
    return take_attempts([(pair, f"{normalize_email(email)}|{address}"), (per_address, address)])


def login_attempt_succeeded(attempts: LoginAttempts) -> None:
    """The password was right: the attempt does not count against anyone."""
    give_back_attempts(attempts)
