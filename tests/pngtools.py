"""Test-side PNG building blocks, written from the PNG specification independently of refkmeans_png.

Plain loops, no cleverness: these make the files (and the expected samples)
that the plugin's decoder is checked against, and the corrupt files that it
must refuse.
"""

from __future__ import annotations

import struct
import zlib
from typing import Iterable, List, Optional, Sequence, Tuple

SIGNATURE = b"\x89PNG\r\n\x1a\n"
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
PLANES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, body: bytes = b"") -> bytes:
    """One chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def ihdr(width: int, height: int, depth: int, colour_type: int, interlace: int = 0, compression: int = 0, filtering: int = 0) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, compression, filtering, interlace))


def png_file(*chunks: bytes) -> bytes:
    return SIGNATURE + b"".join(chunks)


def lcg_samples(count: int, maxval: int, seed: int) -> List[int]:
    """Deterministic pseudo-random samples in 0..maxval (both ends forced in)."""
    state = seed * 2654435761 + 1
    out = []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append((state >> 33) % (maxval + 1))
    if count:
        out[0] = maxval
        out[-1] = 0
    return out


def pack(samples: Sequence[int], depth: int) -> bytes:
    """One row of samples packed at ``depth`` bits, big-endian, last byte zero-padded."""
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in samples)
    if depth == 8:
        return bytes(samples)
    out = bytearray()
    per_byte = 8 // depth
    for start in range(0, len(samples), per_byte):
        byte = 0
        group = list(samples[start : start + per_byte]) + [0] * (per_byte - len(samples[start : start + per_byte]))
        for value in group:
            byte = (byte << depth) | value
        out.append(byte)
    return bytes(out)


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    """The specification's filters, byte by byte."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def scanlines(
    samples: Sequence[int],
    width: int,
    height: int,
    planes: int,
    depth: int,
    interlaced: bool = False,
    filters: Optional[Iterable[int]] = None,
) -> bytes:
    """The filtered image data (before deflate): for each pass, each row's filter byte and bytes.

    ``filters`` gives the filter type of each row in turn (cycled); default all 0.
    """
    kinds = list(filters or [0])
    out = bytearray()
    row_number = 0
    passes = [(0, 0, 1, 1)] if not interlaced else list(ADAM7)
    bpp = max(1, planes * depth // 8)
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, width, dx))
        ys = list(range(y0, height, dy))
        if not xs or not ys:
            continue
        prior = bytes(len(pack([0] * (len(xs) * planes), depth)))
        for y in ys:
            row_samples = []
            for x in xs:
                base = (y * width + x) * planes
                row_samples.extend(samples[base : base + planes])
            raw = pack(row_samples, depth)
            kind = kinds[row_number % len(kinds)]
            row_number += 1
            out.append(kind)
            out += filter_row(kind, raw, prior, bpp)
            prior = raw
    return bytes(out)


def build(
    samples: Sequence[int],
    width: int,
    height: int,
    depth: int,
    colour_type: int,
    *,
    interlaced: bool = False,
    filters: Optional[Iterable[int]] = None,
    palette: Optional[Sequence[Tuple[int, int, int]]] = None,
    trns: Optional[bytes] = None,
    idat_pieces: int = 1,
    extra: Sequence[bytes] = (),
) -> bytes:
    """A complete PNG file made by this module alone."""
    data = zlib.compress(scanlines(samples, width, height, PLANES[colour_type], depth, interlaced, filters), 9)
    chunks = [ihdr(width, height, depth, colour_type, int(interlaced))]
    chunks.extend(extra)
    if palette is not None:
        chunks.append(chunk(b"PLTE", bytes(v for colour in palette for v in colour)))
    if trns is not None:
        chunks.append(chunk(b"tRNS", trns))
    size = -(-len(data) // idat_pieces)
    chunks.extend(chunk(b"IDAT", data[i : i + size]) for i in range(0, len(data), size))
    chunks.append(chunk(b"IEND"))
    return png_file(*chunks)


def chunk_offsets(data: bytes) -> List[Tuple[bytes, int, int]]:
    """(type, offset of the length field, data length) of every chunk."""
    out = []
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        out.append((kind, pos, length))
        pos += 12 + length
    return out


def header_of(data: bytes) -> Tuple[int, int, int, int, int]:
    """(width, height, bit depth, colour type, interlace) read from IHDR."""
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return width, height, depth, colour_type, interlace


def row_filters(data: bytes) -> List[int]:
    """The filter type of every row of a non-interlaced PNG (inflating all IDAT)."""
    width, height, depth, colour_type, interlace = header_of(data)
    assert interlace == 0
    stream = zlib.decompress(b"".join(data[pos + 8 : pos + 8 + n] for kind, pos, n in chunk_offsets(data) if kind == b"IDAT"))
    stride = 1 + (width * PLANES[colour_type] * depth + 7) // 8
    return [stream[r * stride] for r in range(height)]
