"""A page the same for every visitor but for a few values each request puts in (the membership form's CSRF token and
timestamp, a search's query and results), cached as its HTML split at those slots, and compressed once.

Compressing a whole page for every request (GZipMiddleware) cost the 90 KB membership form ~1.2 ms of CPU, as much as
the rest of the request. Here every part of the page between its slots is compressed when the page is cached, each a
run of deflate blocks ending on a full flush (which refers to nothing before it), and a request adds its values as
stored (uncompressed) blocks, or a long value as blocks compressed on their own, or compressed once beforehand
(Deflated): one gzip stream, as any client decodes it. Its header carries a random-length file name, as
GZipMiddleware's does (Heal the Breach), and nothing a request puts in shares a compression dictionary with the rest of
the page.
"""

import secrets
import struct
import zlib

from django.middleware.gzip import GZipMiddleware

from .compressed import accepts_gzip, encoded_response

COMPRESSION_LEVEL = 6  # GZipMiddleware's (django.utils.text.compress_string)


# A value this long or longer is compressed for the response; a shorter one (a token, a query) is stored as it is.
SHORTEST_VALUE_COMPRESSED = 512
# The most a stored deflate block holds.
STORED_BLOCK_SIZE = 65535


def deflated(data, last):
    """`data` as raw deflate blocks: ending the stream if `last`, else on a full flush that later blocks may follow."""
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


def stored(data):
    """`data` as stored deflate blocks, not the last: after a full flush a block starts on a byte, and a stored one is
    a byte for its header (not the last, stored), its length and the length's complement, then the bytes."""
    blocks = []
    for start in range(0, len(data), STORED_BLOCK_SIZE):
        chunk = data[start : start + STORED_BLOCK_SIZE]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


class Deflated(str):
    """A value for a slot with its deflate blocks made once (deflated(..., last=False)), when it is cached with them: a
    long value (a search's results) then costs no compression per request."""

    def __new__(cls, text, blocks):
        value = super().__new__(cls, text)
        value.blocks = blocks
        return value


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
        self.between_deflated = [deflated(piece, last=False) for piece in self.between]
        self.first_checksum = zlib.crc32(self.first)

    def response(self, request, *values):
        """The page with `values` in its slots, compressed if the client accepts gzip (the Vary header says so)."""
        filled = [value.encode() for value in values]
        if accepts_gzip(request):
            return encoded_response(self.compressed(values, filled), gzipped=True)
        # Each value, then the page up to the next slot.
        middle = b"".join(piece for pair in zip(filled, [*self.between, b""], strict=True) for piece in pair)
        return encoded_response(self.first + middle + self.last, gzipped=False)

    def compressed(self, values, filled):
        """The page with `values` (`filled`, encoded) in its slots, as one gzip stream."""
        blocks, checksum, size = [self.first_deflated], self.first_checksum, len(self.first) + len(self.last)
        for value, data, between, between_deflated in zip(
            values, filled, [*self.between, b""], [*self.between_deflated, b""], strict=True
        ):
            if isinstance(value, Deflated):
                blocks.append(value.blocks)
            else:
                blocks.append(deflated(data, last=False) if len(data) >= SHORTEST_VALUE_COMPRESSED else stored(data))
            blocks.append(between_deflated)
            checksum = zlib.crc32(between, zlib.crc32(data, checksum))
            size += len(data) + len(between)
        blocks.append(self.last_deflated)
        checksum = zlib.crc32(self.last, checksum)
        file_name = b"a" * secrets.randbelow(GZipMiddleware.max_random_bytes) + b"\0"
        # gzip, deflate, a file name follows; no time, no extra flags, any system.
        header = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff" + file_name
        trailer = struct.pack("<II", checksum, size & 0xFFFFFFFF)
        return b"".join([header, *blocks, trailer])
