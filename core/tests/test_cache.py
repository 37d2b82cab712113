"""core.cache.RedisCache: Django's Redis cache, keeping one client per connection pool."""

import pytest
from django.core.cache import caches

from core.cache import RedisCache


@pytest.mark.redis_only(reason="the Redis cache backend itself")
def test_the_cache_reuses_its_client_and_still_works():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client("any", write=True) is first
    cache.set("core-cache-test", {"a": 1}, timeout=5)
    assert cache.get_many(["core-cache-test", "nothing"]) == {"core-cache-test": {"a": 1}}
    cache.delete("core-cache-test")
