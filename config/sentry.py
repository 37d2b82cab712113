"""Error reports to Sentry, for the web server and the Celery processes alike: the settings
call ``sentry_init`` when ``SENTRY_DSN`` is set, and every process loads the settings."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration


def sentry_init(
    *, dsn: str, environment: str, traces_sample_rate: float, send_default_pii: bool
) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[
            DjangoIntegration(),
            # Beat's own errors too; the worker's are caught by the integration itself.
            CeleryIntegration(monitor_beat_tasks=False),
            # Errors logged (a failed delivery, a lost connection) become events; warnings
            # (a client's fault, Redis skipped) stay breadcrumbs.
            LoggingIntegration(event_level="ERROR"),
        ],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=send_default_pii,
    )
