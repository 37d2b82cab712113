"""The request id: one value per request (or task) that its log lines, the tasks it enqueues
and the emails those send all carry, so one booking can be followed through every process.

A request's id is its ``X-Request-ID`` header when that is sane (what a proxy or a client
generated: 1 to 64 letters, digits and ``-_.:``), otherwise a new one; the answer carries it
back in ``X-Request-ID``. A task gets the id of whatever enqueued it in a task header
(core.task_context); work that starts on its own (beat's schedule) gets a new one.
"""

import re
import uuid
from contextvars import ContextVar

import sentry_sdk

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_current: ContextVar[str] = ContextVar("request_id", default="")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    """The id to use for an incoming value: the value itself when sane, else a new id."""
    if value and _SANE.fullmatch(value):
        return value
    return request_id_new()


def current_request_id() -> str:
    """The id of the request or task running in this context ("" outside of any)."""
    return _current.get()


def request_id_set(value: str):
    """Make ``value`` the current id; returns the token that ``request_id_reset`` takes. An
    error report to Sentry (when SENTRY_DSN is set) carries it as its ``request_id`` tag."""
    sentry_sdk.set_tag("request_id", value)  # nothing happens while Sentry is off
    return _current.set(value)


def request_id_reset(token) -> None:
    _current.reset(token)
