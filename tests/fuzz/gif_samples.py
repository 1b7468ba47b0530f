"""Valid GIF files and GIF-aware mutators.

The samples are put together from the codec's own building blocks
(``header``, ``image_block``: signature, logical screen, frames with local
colour tables and LZW data), with random sizes, offsets, transparency,
disposal, loops, comment extensions and several frames, so that the decoder
is fed every structure it reads.  The mutators know where the sizes, the
flags and the LZW code size sit.
"""

from __future__ import annotations

import random
from typing import List, Optional

from refkmeans.builtin.gif import header, image_block

from .mutators import Mutator


def valid_file(rnd: random.Random) -> bytes:
    """A small valid GIF: one to three frames, sometimes offset, transparent or looping."""
    width, height = rnd.randint(1, 12), rnd.randint(1, 8)
    parts = [header(width, height, loop=rnd.choice([None, 0, 3]))]
    if rnd.random() < 0.2:
        parts.append(b"\x21\xfe\x05hello\x00")  # a comment extension, skipped by readers
    for _ in range(1 if rnd.random() < 0.7 else rnd.randint(2, 3)):
        w, h = rnd.randint(1, width), rnd.randint(1, height)
        colours = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(rnd.choice([1, 2, 3, 4, 16, 200, 256]))]
        indices = bytes(rnd.randrange(len(colours)) for _ in range(w * h))
        transparent = rnd.randrange(len(colours)) if rnd.random() < 0.3 else None
        parts.append(
            image_block(
                w,
                h,
                colours,
                indices,
                left=rnd.randint(0, width - w),
                top=rnd.randint(0, height - h),
                delay=rnd.choice([None, 0, 10]),
                transparent=transparent,
                disposal=rnd.choice([0, 0, 1, 2, 3]),
            )
        )
    parts.append(b"\x3b")
    return b"".join(parts)


def _first_descriptor(data: bytes) -> Optional[int]:
    """Offset of the first image descriptor (0x2C), walking the blocks; None if not found."""
    if len(data) < 13:
        return None
    pos = 13
    if data[10] & 0x80:
        pos += 3 * 2 ** ((data[10] & 7) + 1)
    while pos < len(data):
        if data[pos] == 0x2C:
            return pos
        if data[pos] != 0x21 or pos + 2 >= len(data):
            return None
        pos += 2
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return None


def _u16(value: int) -> bytes:
    return (value & 0xFFFF).to_bytes(2, "little")


def screen_size(data: bytes, rnd: random.Random) -> bytes:
    """A logical screen of 0, 1 or 65535 pixels a side."""
    if len(data) < 10:
        return data
    at = rnd.choice([6, 8])
    return data[:at] + _u16(rnd.choice([0, 1, 255, 256, 65535])) + data[at + 2 :]


def frame_geometry(data: bytes, rnd: random.Random) -> bytes:
    """The first frame's left, top, width or height made extreme (past the screen, zero, huge)."""
    at = _first_descriptor(data)
    if at is None or at + 9 > len(data):
        return data
    field = at + 1 + 2 * rnd.randrange(4)
    return data[:field] + _u16(rnd.choice([0, 1, 2, 4096, 65535])) + data[field + 2 :]


def frame_flags(data: bytes, rnd: random.Random) -> bytes:
    """Flip the interlace flag or change the colour table bits of the first frame or the screen."""
    at = _first_descriptor(data)
    targets = [10] + ([at + 9] if at is not None and at + 9 < len(data) else [])
    where = rnd.choice(targets)
    if where >= len(data):
        return data
    out = bytearray(data)
    out[where] ^= rnd.choice([0x40, 0x80, 0x07, 0x01, 0x20])
    return bytes(out)


def lzw_code_size(data: bytes, rnd: random.Random) -> bytes:
    """The LZW minimum code size of the first frame: 0, 1, 8, 11, 12 or 255."""
    at = _first_descriptor(data)
    if at is None or at + 10 > len(data):
        return data
    pos = at + 10
    if data[at + 9] & 0x80:
        pos += 3 * 2 ** ((data[at + 9] & 7) + 1)
    if pos >= len(data):
        return data
    return data[:pos] + bytes([rnd.choice([0, 1, 8, 11, 12, 255])]) + data[pos + 1 :]


MUTATORS: List[Mutator] = [screen_size, frame_geometry, frame_flags, lzw_code_size]
