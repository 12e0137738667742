"""Spotting a decompression bomb (a small file that unpacks to far more) before unpacking it all.

An image's header says how large it is decoded; a zlib stream (a PDF's FlateDecode, a PNG's IDAT, a ZIP's entries)
is inflated a slice at a time and given up on as soon as it has unpacked beyond what the file could honestly hold.
Nothing here keeps more than one slice of output in memory.
"""

import re
import zlib

# A photo or scan unpacks to tens of times its file (a typed page saved as a PNG: 25–60×). A file unpacking to more
# than this many times its size, and to more than UNPACKED_BYTES_ALWAYS_ALLOWED, is a bomb (a blank 36-megapixel
# PNG of 140 KB unpacks to 108 MB: 770×).
MAX_UNPACK_RATIO = 200
# Below this, whatever the ratio: a small blank image is harmless.
UNPACKED_BYTES_ALWAYS_ALLOWED = 16 * 1024 * 1024
# Inflated a slice at a time: memory stays at one slice whatever the stream holds.
SLICE_BYTES = 1024 * 1024


def unpacks_like_a_bomb(packed_bytes, unpacked_bytes):
    return unpacked_bytes > UNPACKED_BYTES_ALWAYS_ALLOWED and unpacked_bytes > MAX_UNPACK_RATIO * max(packed_bytes, 1)


def image_is_a_bomb(file_size, width, height, bands):
    """From an image's header alone: its pixels would take far more memory than its file could honestly hold."""
    return unpacks_like_a_bomb(file_size, width * height * bands)


def inflated_size(data, start=0, limit=None, window_bits=zlib.MAX_WBITS):
    """(packed, unpacked) byte counts of the zlib stream starting at `data[start]`, inflated a slice at a time; stops
    early once it unpacks like a bomb or past `limit` bytes (the counts so far are returned). Raises zlib.error when
    no zlib stream starts there."""
    inflater = zlib.decompressobj(window_bits)
    packed_total = unpacked = 0
    position = start
    chunk = data[position : position + SLICE_BYTES]
    while chunk and not inflater.eof:
        output = inflater.decompress(chunk, SLICE_BYTES)
        unpacked += len(output)
        consumed = len(chunk) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
        position += consumed
        packed_total += consumed
        if unpacks_like_a_bomb(packed_total, unpacked) or (limit is not None and unpacked > limit):
            break
        # What the slice's output limit left unread is fed first; then the next slice of the file.
        chunk = inflater.unconsumed_tail or data[position : position + SLICE_BYTES]
    return packed_total, unpacked


# Where a PDF stream's data begins: the keyword and its end of line (PDF 7.3.8.1).
PDF_STREAM_START = re.compile(rb"stream\r?\n")


def pdf_has_a_bomb(data, max_unpacked_total):
    """True when one of the PDF's zlib (FlateDecode) streams unpacks like a bomb, or all of them together to more
    than `max_unpacked_total` bytes. The raw file is scanned, so streams inside object streams or behind a broken
    cross-reference table are found too; streams in other encodings (a JPEG's DCTDecode) are not zlib and skipped."""
    unpacked_total = 0
    for match in PDF_STREAM_START.finditer(data):
        try:
            packed, unpacked = inflated_size(data, match.end(), limit=max_unpacked_total - unpacked_total)
        except zlib.error:
            continue
        unpacked_total += unpacked
        if unpacks_like_a_bomb(packed, unpacked) or unpacked_total > max_unpacked_total:
            return True
    return False
