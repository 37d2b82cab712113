"""The one source of the current time. Services call ``now()`` so tests can move the clock
(time-machine) without reaching into the services."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
