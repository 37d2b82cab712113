"""Redis locks: one holder at a time, 423 after the wait, released on every path, and
skipped (not failed) when Redis is gone."""

import threading

import pytest
import redis
from django.db import transaction

from core import locking
from core.errors import Locked, SlotLocked


@pytest.mark.redis_only(reason="tests the Redis lock itself")
def test_second_holder_gets_423_after_the_wait():
    with locking.redis_lock("t1", wait=0.05, error=SlotLocked) as held:
        assert held is True
        with pytest.raises(Locked) as info, locking.redis_lock("t1", wait=0.05, error=SlotLocked):
            pass
    assert info.value.code == "slot_locked"
    assert info.value.status == 423


@pytest.mark.redis_only(reason="tests the Redis lock itself")
def test_lock_is_released_after_an_exception_inside():
    with pytest.raises(ZeroDivisionError), locking.redis_lock("t2"):
        1 / 0  # noqa: B018
    client = locking.redis_client()
    assert client.get(locking.LOCK_PREFIX + "t2") is None
    with locking.redis_lock("t2", wait=0) as held:
        assert held is True


@pytest.mark.redis_only(reason="tests the Redis lock itself")
def test_lock_has_a_ttl_so_a_crashed_holder_cannot_block_forever():
    with locking.redis_lock("t3", ttl=3):
        ttl_ms = locking.redis_client().pttl(locking.LOCK_PREFIX + "t3")
        assert 0 < ttl_ms <= 3000


@pytest.mark.redis_only(reason="tests the Redis lock itself")
def test_waiter_gets_the_lock_when_the_holder_releases_within_the_wait():
    acquired = threading.Event()
    release = threading.Event()

    def hold():
        with locking.redis_lock("t4"):
            acquired.set()
            release.wait(1)

    thread = threading.Thread(target=hold)
    thread.start()
    acquired.wait(1)
    threading.Timer(0.05, release.set).start()
    with locking.redis_lock("t4", wait=1.0) as held:
        assert held is True
    thread.join()


@pytest.mark.redis_only(reason="tests the Redis lock itself")
def test_release_does_not_delete_another_holders_token():
    client = locking.redis_client()
    with locking.redis_lock("t5", ttl=0.2):
        # Our TTL passes and someone else takes the lock.
        import time

        time.sleep(0.3)
        other = client.lock(locking.LOCK_PREFIX + "t5", timeout=5)
        assert other.acquire(blocking=False)
    assert client.get(locking.LOCK_PREFIX + "t5") is not None
    other.release()


def test_redis_down_runs_the_block_unlocked(monkeypatch, caplog):
    down = redis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.1, socket_timeout=0.1
    )
    monkeypatch.setattr(locking, "redis_client", lambda: down)
    ran = []
    with locking.redis_lock("t6") as held:
        ran.append(held)
    assert ran == [False]
    assert "relying on the database guard" in caplog.text


def test_embedded_mode_has_no_redis_and_no_lock(settings):
    locking.redis_client.cache_clear()
    settings.REDIS_CACHE_URL = ""
    try:
        with locking.redis_lock("t7") as held:
            assert held is False
    finally:
        locking.redis_client.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_database_lock_refuses_to_run_outside_a_transaction():
    """Outside a transaction the advisory lock would end with its own statement."""
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        locking.database_lock("holds:1:+34600123456")
    with transaction.atomic():
        locking.database_lock("holds:1:+34600123456")  # held until the block ends
