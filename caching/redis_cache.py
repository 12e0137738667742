"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's builds a new `redis.Redis` for every command, and each builds its table of about 170 reply handlers:
twice per page served from the cache (the cache generation, then the page), about a tenth of a millisecond of CPU
each. The client holds no connection of its own (the pool does, and makes new ones after a fork), so one per pool
serves every request of the process."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if id(pool) not in self._clients:
            self._clients[id(pool)] = self._client(connection_pool=pool)
        return self._clients[id(pool)]


class SharedRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient

    def validate_key(self, key):
        """Nothing to check: Django warns of keys memcached would refuse (over 250 bytes, spaces, control characters)
        by reading each character in Python, ~4 µs a key; Redis takes any key. A page of search results reads ten
        cards' keys."""

    def count_in_window(self, key, window_seconds):
        """One more in the count under `key`, which starts at 0 and expires `window_seconds` after its first count:
        one round trip (SET NX with its expiry, then INCR, pipelined), where incr() asks whether the key exists first
        and a missing key costs an add() and another incr()."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=window_seconds, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]
