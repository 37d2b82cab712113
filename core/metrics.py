"""Prometheus metrics: what the processes count, and ``/metrics`` that shows them.

The service runs as several processes on one host (gunicorn's workers, the Celery worker's
pool, beat), and one scrape must show the host's totals, not the one process that happened to
answer. prometheus_client's multiprocess mode gives exactly that: every process writes its
counters and histograms to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (the settings
set it, ``DATA_DIR/metrics`` by default, before this module imports prometheus_client), and a
scrape adds up the files of every process, the ones that have exited too, so a restarted
gunicorn worker takes nothing from the totals. It costs no network call per count (counters
in Redis would cost one per request, and would be lost, or stop counting, with Redis).

What is true of the whole system rather than of one process (the outbox's backlog, the
broker's queue) is not counted but read when scraped: apps above core register a function
that yields those samples (``scrape_collector_register``).
"""

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from django.conf import settings

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.METRICS_DIR))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402 -- after PROMETHEUS_MULTIPROC_DIR is set
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

from core.errors import ApplicationError  # noqa: E402

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "reservaflow_http_requests",
    "HTTP requests answered, by the matched view (its URL name) and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "reservaflow_http_request_duration_seconds",
    "Time to answer an HTTP request, by the matched view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter(
    "reservaflow_bookings",
    "Booking attempts by outcome (the HTTP status: 201 booked, 409 taken, 423 locked, 429 "
    "over a limit, ...) and channel (api, page: the booking page, host: the host stand's "
    "phone bookings and walk-ins, admin).",
    ["outcome", "channel"],
)
HOLDS_EXPIRED = Counter(
    "reservaflow_holds_expired_by_sweep",
    "Lapsed holds the periodic sweep marked expired.",
)
EMAILS = Counter(
    "reservaflow_emails",
    "Delivery attempts of the outbox's emails by kind and result (sent, retry, failed, "
    "skipped, unrecorded).",
    ["kind", "result"],
)
LOCK_WAIT_SECONDS = Histogram(
    "reservaflow_lock_wait_seconds",
    "Time spent waiting for a Redis booking lock, by result (acquired, refused: answered 423, "
    "answered: the wait ended with another answer, e.g. 409 once the slot was seen taken, "
    "unavailable: Redis did not answer).",
    ["result"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1),
)

ScrapeCollector = Callable[[], Iterable[GaugeMetricFamily]]
_scrape_collectors: list[ScrapeCollector] = []


def scrape_collector_register(collector: ScrapeCollector) -> None:
    """Add a function called on every scrape that yields metric families read at that moment
    (from the database, the broker). Registering the same function twice keeps one."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


class _ScrapeTime:
    """Runs the registered scrape collectors; one that fails is logged and left out, so a
    database that is down does not cost the counters."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for collector in _scrape_collectors:
            try:
                yield from collector()
            except Exception as exc:  # a scrape must answer whatever one source does
                logger.warning("Metrics: %s failed (%s)", collector.__name__, exc)


def metrics_text() -> tuple[bytes, str]:
    """The host's metrics in the Prometheus text format (0.0.4, what every Prometheus reads),
    and its content type."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(_ScrapeTime())
    return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4


def metrics_token_valid(authorization: str) -> bool:
    """Whether an Authorization header carries ``Bearer <METRICS_TOKEN>`` (compared in constant
    time). Always False when no token is configured."""
    expected = settings.METRICS_TOKEN
    scheme, _, token = authorization.partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def outcome_of(exc: BaseException) -> str:
    """The status an error is answered with, as a label."""
    return str(exc.status) if isinstance(exc, ApplicationError) else "500"


def count_booking(channel: str):
    """Decorate a booking caller: each call counts once in ``reservaflow_bookings`` by the
    status it is answered with (201 when it returns) and ``channel``, where the booking came
    in. A caller that serves several (the host stand books through the API's caller) names
    its own with the keyword ``metrics_channel``, which the decorated function never sees."""

    def decorate(function):
        @wraps(function)
        def counted(*args, metrics_channel: str | None = None, **kwargs):
            labels = {"channel": metrics_channel or channel}
            try:
                result = function(*args, **kwargs)
            except BaseException as exc:
                BOOKINGS.labels(outcome=outcome_of(exc), **labels).inc()
                raise
            BOOKINGS.labels(outcome="201", **labels).inc()
            return result

        return counted

    return decorate


@contextmanager
def lock_wait_timer() -> Iterator[Callable[[str], None]]:
    """Times a lock wait; the block calls the function it gets with the wait's result."""
    started = time.monotonic()
    recorded = False

    def record(result: str) -> None:
        nonlocal recorded
        if not recorded:
            recorded = True
            LOCK_WAIT_SECONDS.labels(result=result).observe(time.monotonic() - started)

    yield record


def broker_queue_length() -> Iterator[GaugeMetricFamily]:
    """Tasks waiting in the Celery broker's default queue (the project's app is every thread's
    default, config makes it so; core imports no app)."""
    from celery import current_app
    from kombu.exceptions import ChannelError

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        try:
            waiting = conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # the queue does not exist until a task was first sent to it
            waiting = 0
    family = GaugeMetricFamily(
        "reservaflow_celery_queue_length", "Tasks waiting in the broker's queue.", labels=["queue"]
    )
    family.add_metric([queue], waiting)
    yield family


scrape_collector_register(broker_queue_length)
