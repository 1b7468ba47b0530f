"""Decoding costs in proportion to the image, not to what a hostile file asks for.

Memory is measured with tracemalloc around the real ``read()`` (the
registry is loaded first, so only the decode is counted); work is counted,
never timed: bytes copied out of the file, or Python lines run.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Callable, TypeVar

import pytest

from refkmeans import ImageError, read
from refkmeans.builtin.gif import LZW_TABLE_BYTES, header, image_block
from refkmeans.builtin.netpbm import NetpbmCodec
from refkmeans.files import max_input_bytes
from refkmeans.palette_file import read_palette
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


def test_gif_decoding_allocates_under_twice_the_raster_plus_the_lzw_table(tmp_path: Path) -> None:
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


# -- Netpbm (findings 9 and 20) -------------------------------------------------------


class CountingBytes(bytes):
    """A file that counts the bytes copied out of it by slicing (the decoder's only copies)."""

    copied = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def,override]
        part = super().__getitem__(key)
        if isinstance(key, slice):
            CountingBytes.copied += len(part)
        return part


def plain_ppm(number: int) -> bytes:
    samples = b" ".join(b"%d" % ((13 * i + number) % 256) for i in range(48))
    return b"P3\n4 4\n255\n" + samples + b"\n"


def test_skipping_plain_netpbm_images_copies_each_byte_a_bounded_number_of_times() -> None:
    """Each skipped plain image used to copy the rest of the file: quadratic in the image count."""
    images = [plain_ppm(n) for n in range(2000)]
    data = CountingBytes(b"".join(images))
    CountingBytes.copied = 0
    image = NetpbmCodec().decode(data, index=1999)
    assert image.samples.tolist() == [(13 * i + 1999) % 256 for i in range(48)]
    # Linear: a window of at most 21 bytes a sample (+1) per image, however many follow it.
    assert CountingBytes.copied <= 2000 * (21 * 48 + 1) + len(data), CountingBytes.copied


def python_lines(action: Callable[[], T]) -> tuple[T, int]:
    """(result, Python lines run by ``action``): interpreted work, counted rather than timed."""
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    previous = sys.gettrace()  # coverage's tracer, when the suite runs under coverage: put it back
    sys.settrace(tracer)
    try:
        result = action()
    finally:
        sys.settrace(previous)
    return result, count


@pytest.mark.skipif(sys.version_info < (3, 11), reason="possessive repeats in re need Python 3.11")
def test_header_comments_cost_no_python_work_each() -> None:
    """100 MB of '#\\n' comments took about a minute, one Python loop turn per comment."""
    data = b"P5\n" + b"#\n" * 100_000 + b"2 1 # and\n#more\n255\n\x07\x09"
    image, lines = python_lines(lambda: NetpbmCodec().decode(data))
    assert image.samples.tolist() == [7, 9]
    assert lines < 1000, lines


# -- PNG: the stated bound (finding 20) --------------------------------------------------


def paeth_png(width: int, height: int) -> bytes:
    """An RGB PNG whose rows after the first are Paeth-filtered zeros: tiny, and slow to unfilter."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"\x01\x01" + bytes(3 * width - 1) + (b"\x04" + bytes(3 * width)) * (height - 1)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def test_png_decoding_work_and_memory_grow_with_the_declared_pixels_only() -> None:
    """G-DEC-9: Paeth rows run a Python loop per byte; the cost is linear and bounded per byte.

    This is the bound the docs state (so many Python lines a raster byte),
    not a speed: at the default limit a file of a few hundred kilobytes may
    declare 100 MP and legitimately take minutes.
    """
    codec = get_registry().codec("png") if "png" in get_registry().codecs else pytest.skip("refkmeans-png not installed")
    small, large = paeth_png(64, 32), paeth_png(64, 64)
    assert len(large) < 200  # 12 KiB of raster from under 200 bytes
    image, lines_small = python_lines(lambda: codec.decode(small))
    assert image.samples[:6].tolist() == [1, 0, 0, 1, 0, 0]  # Sub then Paeth repeat the first pixel
    image, lines_large = python_lines(lambda: codec.decode(large))
    assert image.samples[-6:].tolist() == [1, 0, 0, 1, 0, 0]
    assert lines_large <= 2.1 * lines_small  # linear in the rows
    assert lines_large <= PNG_LINES_PER_BYTE * raster_bytes(image)
    image, peak = peak_of(lambda: codec.decode(paeth_png(300, 300)))
    assert peak < DECODE_MEMORY_FACTOR * raster_bytes(image), peak


#: G-DEC-9: Python lines run per raster byte by the slowest PNG filter (Paeth).
PNG_LINES_PER_BYTE = 10


# -- every file read is limited, and refused by its first bytes (finding 17) -----------------

#: Address space for a refkmeans process in these tests: plenty for the run, far
#: below the 6.4 GB that /dev/zero reached before being refused.
ADDRESS_SPACE = 1 << 30


def run_limited(args: list[str], **options: object) -> subprocess.CompletedProcess:
    """``python -m refkmeans ARGS`` with its address space capped (so a regression fails, not the machine)."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "refkmeans", *args],
        preexec_fn=cap, capture_output=True, text=True, **options,  # type: ignore[call-overload]
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_quantize_dev_zero_is_refused_by_its_magic_number(tmp_path: Path) -> None:
    run = run_limited(["quantize", "/dev/zero", "-o", str(tmp_path / "out.ppm")])
    assert run.returncode == 3, run.stderr
    assert run.stderr.startswith("refkmeans: error: /dev/zero: not a format any codec recognises (codecs: ")
    assert run.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_palette_from_dev_zero_is_refused_by_its_first_bytes(tmp_path: Path) -> None:
    source = tmp_path / "in.ppm"
    source.write_bytes(b"P6\n2 1\n255\n" + bytes([255, 0, 0, 0, 0, 255]))
    run = run_limited(["quantize", str(source), "--palette", "/dev/zero", "-o", str(tmp_path / "out.ppm")])
    assert run.returncode == 3, run.stderr
    assert run.stderr == "refkmeans: error: /dev/zero: not an image any codec recognises, nor a text palette\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ppm"]


def test_a_palette_file_is_read_only_up_to_the_input_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"1 2 3\n" * 200_000)  # 1.2 MB of text: over 64 B + 1 MiB
    with pytest.raises(ImageError, match=f"larger than {max_input_bytes(1)} bytes"):
        read_palette(str(path), channels=3, maxval=255, max_pixels=1)
    assert read_palette(str(path), channels=3, maxval=255, max_pixels=10_000) == [(1, 2, 3)]


def test_a_stream_with_a_good_head_is_still_cut_at_the_limit(tmp_path: Path) -> None:
    """The head check comes first; an endless stream that passes it still stops at the limit."""
    feeder = "import sys; sys.stdout.buffer.write(b'P5\\n4 4\\n255\\n'); [sys.stdout.buffer.write(bytes(65536)) for _ in iter(int, 1)]"
    producer = subprocess.Popen([sys.executable, "-c", feeder], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        run = run_limited(["quantize", "-", "--max-pixels", "16", "-o", os.devnull, "--format", "netpbm"], stdin=producer.stdout)
    finally:
        producer.kill()
        producer.wait()
    assert run.returncode == 3
    assert run.stderr.startswith(f"refkmeans: error: cannot read -: it is larger than {max_input_bytes(16)} bytes")
