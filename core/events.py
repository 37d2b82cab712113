"""Typed events: how a lower app tells the apps above it what happened without importing them.

An app publishes an event (a frozen dataclass deriving from ``Event``, defined in the app that
publishes it) right after a write; an app above it subscribes a handler once, at start-up, in
its ``AppConfig.ready()``. The lower app never names who listens, so no import points upward
(docs/architecture.md lists every event, its publisher and its subscribers).

Handlers run synchronously, in the order they subscribed, inside the publisher's transaction:
what a handler writes commits or rolls back with the change, and a handler that raises fails
the change. An event nobody subscribed to does nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Event:
    """Base of every event. Frozen (a subclass cannot unfreeze it), so no handler rebinds what
    the next one reads; the objects it carries (a reservation) are the publisher's, and
    handlers only read them."""


E = TypeVar("E", bound=Event)

# Keyed by the exact class: a handler of one event never sees another, a subclass included.
_subscribers: dict[type[Event], list[Callable[[Event], None]]] = {}


def _require_event_type(event_type: type) -> None:
    if not (isinstance(event_type, type) and issubclass(event_type, Event)):
        raise TypeError(f"{event_type!r} is not an Event subclass.")


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call ``handler`` with every ``event_type`` published from now on, after the handlers
    subscribed before it. Subscribing a handler it already has changes nothing, so a
    ``ready()`` that runs twice does not run a handler twice."""
    _require_event_type(event_type)
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)  # type: ignore[arg-type]


def subscribers(event_type: type[Event]) -> tuple[Callable[[Event], None], ...]:
    """The handlers of ``event_type``, in the order they run."""
    return tuple(_subscribers.get(event_type, ()))


def publish(event: Event) -> None:
    """Run every handler of ``event``'s type now, in order; the first exception propagates to
    the publisher (and the handlers after it do not run)."""
    _require_event_type(type(event))
    for handler in subscribers(type(event)):
        handler(event)
