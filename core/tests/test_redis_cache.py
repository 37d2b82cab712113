"""The cache backend (core.redis_cache) keeps one redis-py client per connection pool instead
of building one for every call, and still answers as Django's backend does."""

import pytest
import redis
from django.core.cache import cache, caches

from core.redis_cache import RedisCache

pytestmark = pytest.mark.redis_only(reason="the Redis cache backend")


def test_the_configured_cache_is_this_backend():
    assert isinstance(caches["default"], RedisCache)


def test_one_client_serves_every_call():
    client = cache._cache.get_client("k")
    assert cache._cache.get_client("k", write=True) is client
    cache.set("core-redis-cache-test", {"a": 1}, timeout=5)
    assert cache.get("core-redis-cache-test") == {"a": 1}
    assert cache._cache.get_client("k") is client
    cache.delete("core-redis-cache-test")
    assert cache.get("core-redis-cache-test") is None


def test_a_cache_that_cannot_connect_raises_as_djangos_does():
    down = RedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}},
    )
    with pytest.raises(redis.ConnectionError):
        down.get("anything")
