"""Celery beat's heartbeat, so a second beat in a deployment is seen.

Beat only enqueues; two beats enqueue every scheduled task twice (harmless: the tasks are
idempotent, but nothing gains and the load doubles) and nothing in Celery notices. Each beat
on a Redis broker writes a key with a short life into the broker's Redis while it runs and
deletes it when it stops; ``beats_running`` lists the live ones (``reservaflow check`` fails
when there are two or more), and a beat that starts while another's key is live logs an
error naming it. It does not refuse to run: a beat restarted after a crash must not wait for
the dead one's key to lapse.
"""

import json
import logging
import os
import socket
import time
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

BEAT_KEY_PREFIX = "reservaflow:beat:"


def heartbeat_seconds() -> float:
    return settings.BEAT_HEARTBEAT_SECONDS


def broker_redis() -> redis.Redis | None:
    """The broker's Redis (beats that share a broker are the ones that duplicate work), or
    None when the broker is not Redis (the embedded mode's file-system broker)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def beats_running(client: redis.Redis) -> list[dict]:
    """The beats whose heartbeat is live: ``{"host", "pid", "since"}`` each, oldest first."""
    beats = []
    for key in client.scan_iter(match=f"{BEAT_KEY_PREFIX}*", count=100):
        value = client.get(key)
        if value is not None:
            beats.append(json.loads(value))
    return sorted(beats, key=lambda beat: beat["since"])


def describe(beat: dict) -> str:
    return f"{beat['host']} pid {beat['pid']}"


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule file) plus the heartbeat. The setting
    ``CELERY_BEAT_SCHEDULER`` names it, so every ``celery -A config beat`` uses it."""

    def __init__(self, *args, **kwargs):
        self._heartbeat_client = broker_redis()
        self._heartbeat = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
        # Unique per scheduler, not per host and pid: a pid may be reused after a crash.
        self._heartbeat_key = f"{BEAT_KEY_PREFIX}{uuid.uuid4().hex}"
        self._heartbeat_due = 0.0
        super().__init__(*args, **kwargs)

    def setup_schedule(self):
        super().setup_schedule()
        if self._heartbeat_client is None:
            return
        try:
            others = [b for b in beats_running(self._heartbeat_client) if b != self._heartbeat]
        except redis.RedisError as exc:
            logger.warning("beat heartbeat: cannot read the other beats: %s", exc)
            return
        for other in others:
            logger.error(
                "another Celery beat is running (%s): run exactly one beat per deployment; "
                "every scheduled task is now enqueued twice",
                describe(other),
            )
        self._beat_heartbeat_write()

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        if time.monotonic() >= self._heartbeat_due:
            self._beat_heartbeat_write()
        # Wake up in time for the next heartbeat, however far the next task is.
        return min(interval, heartbeat_seconds())

    def _beat_heartbeat_write(self) -> None:
        if self._heartbeat_client is None:
            return
        period = heartbeat_seconds()
        try:
            self._heartbeat_client.set(
                self._heartbeat_key, json.dumps(self._heartbeat), ex=max(1, round(3 * period))
            )
        except redis.RedisError as exc:
            logger.warning("beat heartbeat: cannot write to Redis: %s", exc)
            return
        self._heartbeat_due = time.monotonic() + period

    def close(self):
        try:
            if self._heartbeat_client is not None:
                self._heartbeat_client.delete(self._heartbeat_key)
        except redis.RedisError as exc:
            logger.warning("beat heartbeat: cannot remove it from Redis: %s", exc)
        finally:
            super().close()
