"""Short bookkeeping writes that must outlive a broken database connection.

Some writes record what already happened elsewhere (an SMTP server accepted a message, a
request's work committed or failed): giving them up when the connection breaks leaves a row
that says the wrong thing until a lease lapses. Django does not replace a connection that broke
outside a transaction until the request ends, so such a write is retried on a new one.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")


def retry_on_new_connection(
    write: Callable[[], T], *, retries: int, backoff_seconds: float, what: str
) -> T:
    """Run ``write``; when the database fails under it (a lost or refused connection, or any
    other operational error), close the connection and run it again on a new one, up to
    ``retries`` more times, the pause doubling from ``backoff_seconds``. The last error is
    raised when the budget is spent.

    ``write`` must be safe to repeat: guarded by a condition, so that a try which committed
    before its connection broke makes the repeat change nothing. Inside a caller's transaction
    nothing is retried: a new connection would not be in it. ``what`` names the write in the
    log."""
    for retry in range(retries + 1):
        try:
            return write()
        except (OperationalError, InterfaceError) as exc:
            if retry == retries or connection.in_atomic_block:
                raise
            pause = backoff_seconds * 2**retry
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            logger.warning(
                "%s failed (%s); retrying on a new connection in %.2fs",
                what,
                first_line or exc.__class__.__name__,
                pause,
            )
            connection.close()
            time.sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises
