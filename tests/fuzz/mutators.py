"""Format-blind mutations: each takes (data, rnd) and returns new bytes.

They are the damage a file suffers on its way to a decoder: bit rot,
truncation, a number made huge, a length field made wrong.  A codec adds
its own structure-aware mutators (see :mod:`fuzz.netpbm_samples`); a
checksummed format should also have mutators that fix the checksum after
damaging the content, so the decoder's deeper checks are reached.
"""

from __future__ import annotations

import random
import re
import struct
from typing import Callable, List, Sequence

Mutator = Callable[[bytes, random.Random], bytes]

#: Numbers that break parsers: zero, one, around powers of two, huge.
INTERESTING_NUMBERS = (
    b"0",
    b"1",
    b"2",
    b"255",
    b"256",
    b"65535",
    b"65536",
    b"2147483647",
    b"4294967296",
    b"99999999999999999999",
    b"999999999999999999999",
    b"-1",
    b"+1",
    b"1e3",
    b"0x10",
    b"00000000000000000000001",
)
#: Bytes that mean something to many formats.
INTERESTING_BYTES = b"\x00\x01\x7f\x80\xff \n\r\t#0129P"
#: 16- and 32-bit values for binary length and size fields.
INTERESTING_WORDS = (0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)

_DIGITS = re.compile(rb"\d+")


def flip_bits(data: bytes, rnd: random.Random) -> bytes:
    """Flip one to four random bits."""
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(len(out))
        out[at] ^= 1 << rnd.randrange(8)
    return bytes(out)


def truncate(data: bytes, rnd: random.Random) -> bytes:
    """Cut the file at a random point (often near the end, where rasters are)."""
    if not data:
        return data
    at = len(data) - rnd.randint(1, max(1, len(data) // 4)) if rnd.random() < 0.5 else rnd.randrange(len(data))
    return data[: max(at, 0)]


def delete_range(data: bytes, rnd: random.Random) -> bytes:
    """Remove a short run of bytes from the middle."""
    if not data:
        return data
    at = rnd.randrange(len(data))
    return data[:at] + data[at + rnd.randint(1, 8) :]


def insert_bytes(data: bytes, rnd: random.Random) -> bytes:
    """Insert one to eight random or meaningful bytes."""
    at = rnd.randint(0, len(data))
    pool = INTERESTING_BYTES if rnd.random() < 0.5 else bytes(range(256))
    return data[:at] + bytes(rnd.choice(pool) for _ in range(rnd.randint(1, 8))) + data[at:]


def duplicate_range(data: bytes, rnd: random.Random) -> bytes:
    """Copy a slice of the file somewhere else in it (repeated chunks, extra counts)."""
    if not data:
        return data
    start = rnd.randrange(len(data))
    piece = data[start : start + rnd.randint(1, 64)]
    at = rnd.randint(0, len(data))
    return data[:at] + piece + data[at:]


def overwrite_byte(data: bytes, rnd: random.Random) -> bytes:
    """Overwrite a byte with one that means something (0, 255, a blank, '#', a digit)."""
    if not data:
        return data
    out = bytearray(data)
    out[rnd.randrange(len(out))] = rnd.choice(INTERESTING_BYTES)
    return bytes(out)


def overwrite_word(data: bytes, rnd: random.Random) -> bytes:
    """Overwrite 2 or 4 bytes with an extreme value, either byte order (binary sizes and lengths)."""
    size = rnd.choice((2, 4))
    if len(data) < size:
        return data
    value = rnd.choice(INTERESTING_WORDS) & ((1 << (8 * size)) - 1)
    packed = struct.pack((">" if rnd.random() < 0.5 else "<") + ("H" if size == 2 else "I"), value)
    at = rnd.randrange(len(data) - size + 1)
    return data[:at] + packed + data[at + size :]


def replace_number(data: bytes, rnd: random.Random) -> bytes:
    """Replace a run of ASCII digits (a size, a maxval, a sample) with an extreme number."""
    runs = list(_DIGITS.finditer(data))
    if not runs:
        return data
    run = rnd.choice(runs[:8]) if rnd.random() < 0.7 else rnd.choice(runs)  # headers come first
    return data[: run.start()] + rnd.choice(INTERESTING_NUMBERS) + data[run.end() :]


def splice(data: bytes, other: bytes, rnd: random.Random) -> bytes:
    """The head of one file joined to the tail of another."""
    return data[: rnd.randint(0, len(data))] + other[rnd.randint(0, len(other)) :]


GENERIC: List[Mutator] = [
    flip_bits,
    truncate,
    delete_range,
    insert_bytes,
    duplicate_range,
    overwrite_byte,
    overwrite_word,
    replace_number,
]


def mutate(data: bytes, rnd: random.Random, mutators: Sequence[Mutator], rounds: int = 0) -> bytes:
    """Apply ``rounds`` (default one to four) mutators chosen at random."""
    for _ in range(rounds or rnd.randint(1, 4)):
        data = rnd.choice(mutators)(data, rnd)
    return data
