"""Django's Redis cache backend with one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the pool on every
cache call, and a client's construction (its table of about 170 response callbacks) costs
more CPU than the round trip it wraps: it was a quarter of an authenticated API request's
work. A ``redis.Redis`` is safe to share between threads (each command takes a connection
from the pool), and the pool itself already outlives the call, so the client is built once
per pool. Everything else (serializer, timeouts, options) is Django's.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
