"""Scheduled work of core: thin tasks calling one service each."""

from celery import shared_task

from core.idempotency import idempotency_records_purge


@shared_task(name="core.purge_idempotency_records")
def purge_idempotency_records() -> int:
    # Housekeeping only: a lapsed record already counts as absent when a key is claimed.
    return idempotency_records_purge()
