"""A page the same for every visitor but for a few values each request puts in (the membership form's CSRF token and
timestamp), cached as its HTML split at those slots, and compressed once.

Compressing a whole page for every request (GZipMiddleware) cost the 90 KB membership form ~1.2 ms of CPU, as much as
the rest of the request. Here the parts before the first slot and after the last are compressed when the page is
cached, each a run of deflate blocks ending on a full flush (which refers to nothing before it), and a request
compresses only what lies between, with its values: one gzip stream, as any client decodes it. Its header carries a
random-length file name, as GZipMiddleware's does (Heal the Breach), and nothing compressed with a request's values
shares its dictionary with the rest of the page.
"""

import secrets
import struct
import zlib

from django.middleware.gzip import GZipMiddleware

from .compressed import accepts_gzip, encoded_response

COMPRESSION_LEVEL = 6  # GZipMiddleware's (django.utils.text.compress_string)


def deflated(data, last):
    """`data` as raw deflate blocks: ending the stream if `last`, else on a full flush that later blocks may follow."""
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


class PageWithSlots:
    """The page `html` with each of `slots` (in page order, each once) to be filled by response()."""

    def __init__(self, html, *slots):
        pieces = [html]
        for slot in slots:
            before, found, after = pieces.pop().partition(slot)
            if not found:
                raise ValueError(f"The page has no slot {slot!r} (after the slots before it).")
            pieces += [before, after]
        self.first, *self.between, self.last = [piece.encode() for piece in pieces]
        self.first_deflated, self.last_deflated = deflated(self.first, last=False), deflated(self.last, last=True)
        self.first_checksum = zlib.crc32(self.first)

    def response(self, request, *values):
        """The page with `values` in its slots, compressed if the client accepts gzip (the Vary header says so)."""
        filled = [value.encode() for value in values]
        # Each value, then the page up to the next slot.
        middle = b"".join(piece for pair in zip(filled, [*self.between, b""], strict=True) for piece in pair)
        if accepts_gzip(request):
            return encoded_response(self.compressed(middle), gzipped=True)
        return encoded_response(self.first + middle + self.last, gzipped=False)

    def compressed(self, middle):
        """The page with `middle` between its first and last parts, as one gzip stream."""
        checksum = zlib.crc32(self.last, zlib.crc32(middle, self.first_checksum))
        size = len(self.first) + len(middle) + len(self.last)
        file_name = b"a" * secrets.randbelow(GZipMiddleware.max_random_bytes) + b"\0"
        # gzip, deflate, a file name follows; no time, no extra flags, any system.
        header = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff" + file_name
        trailer = struct.pack("<II", checksum, size & 0xFFFFFFFF)
        return b"".join([header, self.first_deflated, deflated(middle, last=False), self.last_deflated, trailer])
