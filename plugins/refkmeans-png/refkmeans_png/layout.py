"""Where samples sit in a PNG: colour types, bit packing and Adam7 passes."""

from __future__ import annotations

import sys
from array import array
from operator import or_
from typing import Any, List, NamedTuple, Sequence

#: Colour type -> (name, samples per pixel, allowed bit depths).
COLOUR_TYPES = {
    0: ("greyscale", 1, (1, 2, 4, 8, 16)),
    2: ("truecolour", 3, (8, 16)),
    3: ("indexed", 1, (1, 2, 4, 8)),
    4: ("greyscale with alpha", 2, (8, 16)),
    6: ("truecolour with alpha", 4, (8, 16)),
}

#: Adam7: (first column, first row, column step, row step) of each pass.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


# For bit depths below 8, sample j of each byte: translate tables to take it
# out of a packed byte (unpack) and to put it in place (pack), made once.
_UNPACK = {
    depth: [bytes((v >> (8 - depth * (j + 1))) & ((1 << depth) - 1) for v in range(256)) for j in range(8 // depth)]
    for depth in (1, 2, 4)
}
_PACK = {depth: [bytes((v << (8 - depth * (j + 1))) & 255 for v in range(256)) for j in range(8 // depth)] for depth in (1, 2, 4)}


class Pass(NamedTuple):
    """One sub-image: its origin and steps in the full image, and its size."""

    x0: int
    y0: int
    dx: int
    dy: int
    width: int
    height: int


def passes(width: int, height: int, interlaced: bool) -> List[Pass]:
    """The sub-images a PNG stores, in order (one for a non-interlaced image).

    Passes with no pixels are kept (with width or height 0): they store nothing.
    """
    if not interlaced:
        return [Pass(0, 0, 1, 1, width, height)]
    return [
        Pass(x0, y0, dx, dy, max(0, (width - x0 + dx - 1) // dx), max(0, (height - y0 + dy - 1) // dy))
        for x0, y0, dx, dy in ADAM7
    ]


def row_bytes(width: int, channels: int, depth: int) -> int:
    """Bytes in one row of ``width`` pixels (without the filter byte)."""
    return (width * channels * depth + 7) // 8


def unpack_row(row: bytes, depth: int, count: int) -> Sequence[int]:
    """The first ``count`` samples of a packed row: bytes for depth <= 8, else an array('H')."""
    if depth == 8:
        return row[:count]
    if depth == 16:
        samples = array("H", row[: 2 * count])
        if sys.byteorder == "little":
            samples.byteswap()  # PNG is big-endian
        return samples
    per_byte = 8 // depth
    out = bytearray(len(row) * per_byte)
    for j, table in enumerate(_UNPACK[depth]):
        out[j::per_byte] = row.translate(table)
    return bytes(out[:count])


def pack_row(samples: Sequence[int], depth: int) -> bytes:
    """Pack samples (each below 2**depth) into a PNG row, the last byte zero-padded."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        wide = array("H", samples)
        if sys.byteorder == "little":
            wide.byteswap()
        return wide.tobytes()
    per_byte = 8 // depth
    padded = bytes(samples) + bytes(-len(samples) % per_byte)
    packed = padded[0::per_byte].translate(_PACK[depth][0])
    for j in range(1, per_byte):
        packed = bytes(map(or_, packed, padded[j::per_byte].translate(_PACK[depth][j])))
    return packed


def scatter(full: array, sub: array, width: int, channels: int, p: Pass) -> None:
    """Put a pass's samples (row by row) where they belong in the full image."""
    step = p.dx * channels
    span = (p.width - 1) * step + 1
    row_len = p.width * channels
    for r in range(p.height):
        base = ((p.y0 + r * p.dy) * width + p.x0) * channels
        row = sub[r * row_len : (r + 1) * row_len]
        for c in range(channels):
            full[base + c : base + c + span : step] = row[c::channels]


def gather(full: Sequence[int], width: int, channels: int, p: Pass) -> List[Sequence[int]]:
    """A pass's rows of samples, taken from the full image (the inverse of scatter)."""
    step = p.dx * channels
    span = (p.width - 1) * step + 1
    rows: List[Sequence[int]] = []
    for r in range(p.height):
        base = ((p.y0 + r * p.dy) * width + p.x0) * channels
        if p.dx == 1:  # a whole row: one contiguous slice
            rows.append(full[base : base + p.width * channels])
            continue
        if channels == 1:
            rows.append(full[base : base + span : step])
            continue
        row: Any = array(full.typecode, [0]) * (p.width * channels) if isinstance(full, array) else bytearray(p.width * channels)
        for c in range(channels):
            row[c::channels] = full[base + c : base + c + span : step]
        rows.append(row)
    return rows
