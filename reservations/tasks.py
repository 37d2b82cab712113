"""Scheduled work on reservations: thin tasks calling one service each."""

from celery import shared_task

from core.metrics import HOLDS_EXPIRED
from reservations.actors import SYSTEM
from reservations.services import holds_expire_lapsed


@shared_task(name="reservations.expire_lapsed_holds")
def expire_lapsed_holds() -> int:
    # Correctness never waits for this: booking expires lapsed holds on its table itself.
    expired = holds_expire_lapsed(actor=SYSTEM)
    HOLDS_EXPIRED.inc(expired)
    return expired
