"""Pages kept compressed in the cache, compressed once when cached rather than by GZipMiddleware on every request.

GZipMiddleware compresses each response it passes: a news list's 37 KB of HTML took about 0.7 ms of CPU, a third of
a request answered from news/rendered_pages.py's cache. Kept compressed, a page is sent as stored to the clients
that accept gzip (every browser), and decompressed for the others. A cached page is the same for every visitor and
holds no secret, so one compressed copy (one random-length file name, GZipMiddleware's Heal the Breach) is safe to
share, as the page cache's copies are.
"""

import gzip

from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string


def accepts_gzip(request):
    return bool(re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")))


def encoded_response(content, gzipped):
    """A page response with `content` as it is sent (gzip if `gzipped`): GZipMiddleware leaves it as it is."""
    response = HttpResponse(content)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def compressed_page(html):
    """`html` compressed as GZipMiddleware would, to be cached and sent by response_from_compressed()."""
    return compress_string(html.encode(), max_random_bytes=GZipMiddleware.max_random_bytes)


def response_from_compressed(request, page):
    """The page kept as compressed_page() made it, compressed or not as the client accepts."""
    if accepts_gzip(request):
        return encoded_response(page, gzipped=True)
    return encoded_response(gzip.decompress(page), gzipped=False)
