"""The five PNG scanline filters (PNG specification, section 9), both ways.

A filtered row is a filter-type byte followed by the row's bytes, each
replaced by its difference (mod 256) from a prediction made from the byte
``bpp`` to the left (a), the byte above (b) and the byte above-left (c):

====  =======  ==========================================
type  name     prediction
====  =======  ==========================================
0     None     0
1     Sub      a
2     Up       b
3     Average  floor((a + b) / 2)
4     Paeth    whichever of a, b, c is nearest to a + b - c
====  =======  ==========================================

Pure Python is slow per byte, so the filters that have no dependency
between neighbouring output bytes work on a whole row at once: the row is
read as one big integer and bytes are added or subtracted in parallel with
the carries masked off (SIMD within a register; Hacker's Delight, 2-18).
Only Average and Paeth decoding, where each byte needs the one just
decoded, loop per byte.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Dict, Tuple

_MASKS: Dict[int, Tuple[int, int]] = {}
_LOW_BYTE = (255).__and__


def _masks(n: int) -> Tuple[int, int]:
    """(high bit of every byte, the other seven bits of every byte) for n bytes."""
    masks = _MASKS.get(n)
    if masks is None:
        high = int.from_bytes(b"\x80" * n, "big")
        masks = _MASKS[n] = (high, int.from_bytes(b"\x7f" * n, "big"))
    return masks


def add_bytes(x: bytes, y: bytes) -> bytes:
    """Bytewise (x + y) mod 256 of two equally long byte strings."""
    n = len(x)
    high, low = _masks(n)
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    # Add the low seven bits of each byte (no carry can leave a byte), then
    # put back the top bits with xor (their carry out is dropped: mod 256).
    return (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "big")


def sub_bytes(x: bytes, y: bytes) -> bytes:
    """Bytewise (x - y) mod 256 of two equally long byte strings."""
    n = len(x)
    high, low = _masks(n)
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    # Setting each top bit of x first means no byte ever borrows from the next.
    return (((a | high) - (b & low)) ^ ((a ^ ~b) & high)).to_bytes(n, "big")


def average_bytes(x: bytes, y: bytes) -> bytes:
    """Bytewise floor((x + y) / 2): common bits plus half the differing ones."""
    n = len(x)
    high, low = _masks(n)
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    return ((a & b) + (((a ^ b) >> 1) & low)).to_bytes(n, "big")


def _left(row: bytes, bpp: int) -> bytes:
    """The byte bpp to the left of each position (0 before the row starts)."""
    return bytes(bpp) + row[:-bpp] if len(row) > bpp else bytes(len(row))


def _paeth_predictions(row: bytes, prior: bytes, bpp: int) -> bytes:
    """Paeth's predictor for each byte of ``row`` (the raw row, when encoding)."""
    out = bytearray(len(row))
    left, upleft = _left(row, bpp), _left(prior, bpp)
    for i, (a, b, c) in enumerate(zip(left, prior, upleft)):
        pa = abs(b - c)
        pb = abs(a - c)
        pc = abs(a + b - c - c)
        out[i] = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
    return bytes(out)


def filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    """Filter one raw row (without the type byte) given the raw row above it."""
    if kind == 0:
        return bytes(row)
    if kind == 1:
        return sub_bytes(row, _left(row, bpp))
    if kind == 2:
        return sub_bytes(row, prior)
    if kind == 3:
        return sub_bytes(row, average_bytes(_left(row, bpp), prior))
    if kind == 4:
        return sub_bytes(row, _paeth_predictions(row, prior, bpp))
    raise ValueError(f"no PNG filter type {kind}")


def unfilter_row(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    """Undo filter ``kind`` on one row; ``prior`` is the decoded row above (zeros at the top).

    Raises ValueError for a filter type other than 0..4.
    """
    if kind == 0:
        return bytes(line)
    if kind == 2:
        return add_bytes(line, prior)
    if kind == 1:
        # Each channel's bytes are a running sum mod 256: accumulate runs in C.
        out = bytearray(len(line))
        for start in range(min(bpp, len(line))):
            out[start::bpp] = bytes(map(_LOW_BYTE, accumulate(line[start::bpp])))
        return bytes(out)
    if kind == 3:
        out = bytearray(line)
        for i in range(min(bpp, len(out))):
            out[i] = (out[i] + (prior[i] >> 1)) & 255
        for i in range(bpp, len(out)):
            out[i] = (out[i] + ((out[i - bpp] + prior[i]) >> 1)) & 255
        return bytes(out)
    if kind == 4:
        if not any(prior):
            # With zeros above, Paeth always predicts the left byte: it is Sub.
            return unfilter_row(1, line, prior, bpp)
        out = bytearray(line)
        for i in range(min(bpp, len(out))):
            out[i] = (out[i] + prior[i]) & 255  # a = c = 0: predicts b
        for i in range(bpp, len(out)):
            a = out[i - bpp]
            b = prior[i]
            c = prior[i - bpp]
            pa = abs(b - c)
            pb = abs(a - c)
            pc = abs(a + b - c - c)
            out[i] = (out[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
        return bytes(out)
    raise ValueError(f"no PNG filter type {kind}")
