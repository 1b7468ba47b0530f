"""Decoding costs in proportion to the image, not to what a hostile file asks for.

Memory is measured with tracemalloc around the real ``read()`` (the
registry is loaded first, so only the decode is counted); work is counted,
never timed: bytes copied out of the file, or Python lines run.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

from refkmeans import read
from refkmeans.builtin.gif import LZW_TABLE_BYTES, GifCodec, header, image_block
from refkmeans.builtin.netpbm import NetpbmCodec
from refkmeans.plugins import get_registry

#: G-MEM-1: decoding peaks below this many times the decoded raster's bytes.
DECODE_MEMORY_FACTOR = 4
#: G-MEM-1 for GIF: the screen's array becomes the image, so twice is room enough
#: (plus the LZW table, whose size does not depend on the image).
GIF_MEMORY_FACTOR = 2
T = TypeVar("T")


def peak_of(action: Callable[[], T]) -> tuple[T, int]:
    """(result, peak bytes traced) of ``action``, with plugins already loaded."""
    get_registry()
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def raster_bytes(image) -> int:
    return image.width * image.height * image.channels * image.samples.itemsize


# -- GIF (finding 8) ----------------------------------------------------------------


def patterned_gif(w: int, h: int) -> bytes:
    colours = [(i, 255 - i, (5 * i) % 256) for i in range(256)]
    indices = bytes((7 * x + 3 * y) % 200 for y in range(h) for x in range(w))
    return header(w, h) + image_block(w, h, colours, indices) + b";"


def test_gif_decoding_allocates_under_four_times_the_raster(tmp_path: Path) -> None:
    """Was about 140 bytes a pixel (a Python object per pixel); now a few bytes a pixel."""
    path = tmp_path / "big.gif"
    path.write_bytes(patterned_gif(600, 600))
    image, peak = peak_of(lambda: read(str(path)))
    assert (image.width, image.height, image.channels) == (600, 600, 3)
    assert image.pixels()[601] == (10, 255 - 10, 50)  # pixel (1, 1): index 7 + 3
    assert peak < GIF_MEMORY_FACTOR * raster_bytes(image) + LZW_TABLE_BYTES, peak


def test_a_later_gif_frame_holds_one_frame_at_a_time(tmp_path: Path) -> None:
    """Frames before --index are composited and dropped, not all kept until the wanted one."""
    w = h = 1000
    frames = [image_block(w, h, [(n, n, n)], bytes(w * h)) for n in range(2)]
    path = tmp_path / "long.gif"
    path.write_bytes(header(w, h) + frames[0] * 29 + frames[1] + b";")
    image, peak = peak_of(lambda: read(str(path), index=29))
    assert image.pixels()[-1] == (1, 1, 1)
    # 30 frames of a million indices each would be 30 MB on their own.
    assert peak < GIF_MEMORY_FACTOR * raster_bytes(image) + LZW_TABLE_BYTES, peak


def test_a_tiny_gif_with_a_huge_screen_costs_the_screen_not_more(tmp_path: Path) -> None:
    """A 1x1 frame on a 2000x2000 screen: the screen is the raster (RGBA, the rest transparent)."""
    data = header(2000, 2000) + image_block(1, 1, [(9, 8, 7)], b"\0") + b";"
    assert len(data) < 40
    path = tmp_path / "screen.gif"
    path.write_bytes(data)
    image, peak = peak_of(lambda: read(str(path)))
    assert (image.channels, image.pixels()[0], image.pixels()[1]) == (4, (9, 8, 7, 255), (0, 0, 0, 0))
    assert peak < GIF_MEMORY_FACTOR * raster_bytes(image), peak
