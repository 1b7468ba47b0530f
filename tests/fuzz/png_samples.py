"""Valid PNG files (made by ``tests/pngtools.py``, not by the codec) and PNG-aware mutators.

A PNG protects every chunk with a CRC, so damage done by the generic
mutators is mostly caught by the first CRC check.  The mutators here damage
a chunk and then *repair* its CRC (and, for IDAT, re-compress the stream),
so that the checks behind the CRC are reached: IHDR fields, sizes against
the pixel limit, palette rules, filters, scanline lengths, chunk order.
"""

from __future__ import annotations

import random
import struct
import zlib
from typing import List, Tuple

from pngtools import build, chunk, png_file

from .mutators import GENERIC, Mutator

SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
PLANES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def valid_file(rnd: random.Random) -> bytes:
    """A small valid PNG of a random colour type, depth, size, filter choice and chunk layout."""
    colour_type = rnd.choice(list(DEPTHS))
    depth = rnd.choice(DEPTHS[colour_type])
    width, height = rnd.randint(1, 9), rnd.randint(1, 6)
    count = width * height * PLANES[colour_type]
    palette = trns = None
    if colour_type == 3:
        palette = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(rnd.randint(1, 2**depth))]
        samples = [rnd.randrange(len(palette)) for _ in range(count)]
        if rnd.random() < 0.3:
            trns = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, len(palette))))
    else:
        top = 2**depth - 1
        samples = [rnd.choice((0, top, rnd.randint(0, top))) for _ in range(count)]
        if colour_type in (0, 2) and rnd.random() < 0.3:
            trns = b"".join(struct.pack(">H", rnd.randint(0, top)) for _ in range(PLANES[colour_type]))
    interlaced = rnd.random() < 0.3
    rows = height if not interlaced else 15 * height  # enough filter choices for every pass
    filters = [rnd.randrange(5) for _ in range(rows)]
    extra = [chunk(b"tEXt", b"Comment\x00fuzz")] if rnd.random() < 0.2 else []
    return build(
        samples,
        width,
        height,
        depth,
        colour_type,
        interlaced=interlaced,
        filters=filters,
        palette=palette,
        trns=trns,
        idat_pieces=rnd.randint(1, 3),
        extra=extra,
    )


# -- chunk surgery ----------------------------------------------------------------------------


def split_chunks(data: bytes) -> Tuple[List[Tuple[bytes, bytes]], bytes]:
    """(type, body) of each whole chunk after the signature, and any bytes left over."""
    chunks = []
    pos = 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > len(data):
            break
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks, data[pos:]


def join_chunks(chunks: List[Tuple[bytes, bytes]], rest: bytes = b"") -> bytes:
    return png_file(*(chunk(kind, body) for kind, body in chunks)) + rest


def _with_chunks(data: bytes, rnd: random.Random, edit) -> bytes:
    if not data.startswith(SIGNATURE):
        return data
    chunks, rest = split_chunks(data)
    if not chunks:
        return data
    return join_chunks(edit(chunks, rnd), rest)


def damage_a_chunk(data: bytes, rnd: random.Random) -> bytes:
    """A generic mutation inside one chunk's data, with its CRC repaired."""

    def edit(chunks, rnd):
        i = rnd.randrange(len(chunks))
        kind, body = chunks[i]
        chunks[i] = (kind, rnd.choice(GENERIC)(body, rnd))
        return chunks

    return _with_chunks(data, rnd, edit)


def rewrite_ihdr(data: bytes, rnd: random.Random) -> bytes:
    """A huge, zero or odd width/height, depth, colour type, method or interlace byte, CRC repaired."""

    def edit(chunks, rnd):
        for i, (kind, body) in enumerate(chunks):
            if kind == b"IHDR" and len(body) == 13:
                fields = list(struct.unpack(">IIBBBBB", body))
                which = rnd.randrange(7)
                if which < 2:
                    fields[which] = rnd.choice([0, 1, 65536, 100000, 2**31 - 1, 2**31, 2**32 - 1])
                else:
                    fields[which] = rnd.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 255])
                chunks[i] = (kind, struct.pack(">IIBBBBB", *fields))
        return chunks

    return _with_chunks(data, rnd, edit)


def reorder_chunks(data: bytes, rnd: random.Random) -> bytes:
    """Drop, repeat or swap whole (valid) chunks: order and count rules."""

    def edit(chunks, rnd):
        i, j = rnd.randrange(len(chunks)), rnd.randrange(len(chunks))
        action = rnd.randrange(3)
        if action == 0:
            del chunks[i]
        elif action == 1:
            chunks.insert(j, chunks[i])
        else:
            chunks[i], chunks[j] = chunks[j], chunks[i]
        return chunks

    return _with_chunks(data, rnd, edit)


def rewrite_image_data(data: bytes, rnd: random.Random) -> bytes:
    """Inflate the IDAT stream, damage the scanlines (filter bytes, length), re-deflate: valid zlib, bad image."""

    def edit(chunks, rnd):
        stream = b"".join(body for kind, body in chunks if kind == b"IDAT")
        try:
            raw = bytearray(zlib.decompress(stream))
        except zlib.error:
            return chunks
        action = rnd.randrange(4)
        if action == 0 and raw:
            raw[rnd.randrange(len(raw))] = rnd.choice([5, 6, 255, 0, 4])
        elif action == 1:
            del raw[rnd.randrange(len(raw) + 1) :]
        elif action == 2:
            raw += bytes(rnd.randint(1, 64))
        else:
            raw = bytearray(rnd.choice([10**5, 10**6]))  # far more than the header allows: a small bomb
        packed = zlib.compress(bytes(raw), 9)
        first = next((n for n, (kind, _) in enumerate(chunks) if kind == b"IDAT"), None)
        if first is None:
            return chunks
        kept = [c for c in chunks if c[0] != b"IDAT"]
        kept.insert(first, (b"IDAT", packed))
        return kept

    return _with_chunks(data, rnd, edit)


def wrong_length(data: bytes, rnd: random.Random) -> bytes:
    """A chunk length that disagrees with the data (the CRC is left as it was)."""
    if not data.startswith(SIGNATURE):
        return data
    chunks, _ = split_chunks(data)
    pos, offsets = 8, []
    for _, body in chunks:
        offsets.append((pos, len(body)))
        pos += 12 + len(body)
    if not offsets:
        return data
    at, length = rnd.choice(offsets)
    new = rnd.choice([0, length + 1, max(length - 1, 0), length + 4096, 2**31 - 1, 2**31, 2**32 - 1])
    return data[:at] + struct.pack(">I", new) + data[at + 4 :]


MUTATORS: List[Mutator] = [damage_a_chunk, rewrite_ihdr, reorder_chunks, rewrite_image_data, wrong_length]
