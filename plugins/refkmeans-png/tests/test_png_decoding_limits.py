"""PNG decoding memory: a tRNS colour key costs no Python object per pixel (G-MEM-1)."""

from __future__ import annotations

import random
import struct
import tracemalloc
import zlib

import pytest
from refkmeans_png.decode import decode_png


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def packed_row(samples: list, depth: int) -> bytes:
    """A scanline's bytes, written here from the PNG specification (most significant bits first)."""
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in samples)
    if depth == 8:
        return bytes(samples)
    bits = "".join(format(v, f"0{depth}b") for v in samples)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))


def keyed_png(width: int, height: int, depth: int, colour_type: int, samples: list, key: tuple) -> bytes:
    channels = 3 if colour_type == 2 else 1
    rows = [samples[y * width * channels : (y + 1) * width * channels] for y in range(height)]
    raw = b"".join(b"\0" + packed_row(row, depth) for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0))
        + chunk(b"tRNS", struct.pack(f">{channels}H", *key))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("colour_type, depth", [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16)])
def test_a_colour_key_makes_exactly_the_matching_pixels_transparent(colour_type: int, depth: int) -> None:
    rng = random.Random(depth * 10 + colour_type)
    channels = 3 if colour_type == 2 else 1
    maxval = (1 << depth) - 1
    width, height = 7, 5
    # Few distinct values, so that the key matches often, and partial matches (one channel) occur.
    choices = [0, 1, maxval, maxval // 2] if maxval > 1 else [0, 1]
    samples = [rng.choice(choices) for _ in range(width * height * channels)]
    key = tuple(samples[:channels])
    image = decode_png(keyed_png(width, height, depth, colour_type, samples, key))
    assert (image.channels, image.maxval) == (channels + 1, maxval)
    pixels = [tuple(samples[i : i + channels]) for i in range(0, len(samples), channels)]
    expected = [p + ((0,) if p == key else (maxval,)) for p in pixels]
    assert image.pixels() == expected
    assert any(p == key for p in pixels) and any(p != key for p in pixels)


def test_a_key_above_the_bit_depth_matches_nothing() -> None:
    image = decode_png(keyed_png(2, 1, 4, 0, [15, 3], (300,)))
    assert image.pixels() == [(15, 15), (3, 15)]


def test_a_colour_key_costs_no_python_object_per_pixel() -> None:
    """Grey with tRNS peaked at 5.1 times the decoded raster (a list of alphas); G-MEM-1 says under 4."""
    width = height = 500
    samples = [(x * 7) % 256 for x in range(width)] * height
    data = keyed_png(width, height, 8, 0, samples, (5,))
    tracemalloc.start()
    try:
        image = decode_png(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raster = width * height * image.channels
    assert peak < 4 * raster, peak / raster
