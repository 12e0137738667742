"""Counts in a time window, in the shared cache: the rate limits on searches, applications, subscription requests
and password resets.

Redis (caching/redis_cache.py, its count_in_window) counts in one round trip, the window starting at the first
count. Any other cache counts here. Django's incr() on the file cache (the embedded default) writes the count back
with the cache's default timeout (five minutes), so each count restarted the window: an hour's limit forgot its
counts after five quiet minutes, and a minute's limit kept refusing for five minutes after the last try. Here the
count is kept with the end of its window and written back with the time left. Like incr() on those caches, a count
is read and then written: two workers counting at the same instant may count one.
"""

import math
import time

from django.core.cache import cache


def count_in_window(key, window_seconds):
    """One more in the count under `key`, whose window ends `window_seconds` after its first count: the count now.
    Raises what the cache raises when it cannot be reached: each limit decides what an uncounted request means."""
    counter = getattr(cache, "count_in_window", None)
    if counter is not None:
        return counter(key, window_seconds)
    now = time.time()
    kept = cache.get(key)
    # A count kept past its window's end (timeouts are whole seconds) starts a new window.
    window_ends, count = kept if isinstance(kept, tuple) and kept[0] > now else (now + window_seconds, 0)
    count += 1
    cache.set(key, (window_ends, count), timeout=math.ceil(window_ends - now))
    return count
