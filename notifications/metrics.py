"""The outbox's metrics, read from the database when /metrics is scraped (core.metrics): a
count kept in one process could not tell what is waiting in the table all of them share."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from core.clock import now as clock_now
from notifications.selectors import outbox_backlog


def outbox_backlog_metrics() -> Iterator[GaugeMetricFamily]:
    now = clock_now()
    count, oldest = outbox_backlog(now=now)
    yield GaugeMetricFamily(
        "reservaflow_outbox_due",
        "Outbox rows due and not yet sent (pending past their time, or being sent).",
        value=count,
    )
    yield GaugeMetricFamily(
        "reservaflow_outbox_oldest_due_age_seconds",
        "How long the oldest due, unsent outbox row has been due (0 when none is).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
