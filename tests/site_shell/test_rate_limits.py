"""Rate limits count in a window that starts at the first count and ends on time, whatever the cache (the file
cache's incr() used to restart the window at every count)."""

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from site_shell.rate_limits import count_in_window

pytestmark = pytest.mark.slow  # each waits for a window to end


@pytest.fixture(params=["files", "the suite's cache"])
def counting_cache(request, tmp_path):
    """The embedded default (files), and the suite's own cache (Redis when REDIS_URL names one, as in CI)."""
    if request.param == "files":
        caches = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }
        with override_settings(CACHES=caches):
            cache.clear()
            yield
    else:
        yield


def test_counts_go_up_within_the_window_and_start_again_after_it(counting_cache):
    assert [count_in_window("limit:test", 1) for _ in range(3)] == [1, 2, 3]

    time.sleep(1.1)

    assert count_in_window("limit:test", 1) == 1


def test_the_window_ends_one_window_after_its_first_count_not_after_the_last(counting_cache):
    assert count_in_window("limit:steady", 2) == 1
    time.sleep(1.2)
    assert count_in_window("limit:steady", 2) == 2
    time.sleep(1.0)

    # 2.2 s after the first count: a new window, though the last count was a second ago.
    assert count_in_window("limit:steady", 2) == 1
