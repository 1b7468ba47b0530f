"""Resource limits (SPEC.md KM-LIM-*): pixels, input bytes, k, and memory in proportion to the image.

The header-token limits of the Netpbm decoder are tested in
``tests/test_netpbm.py`` (overlong tokens, plain samples, the 64 KiB PAM
header) and the k limit in ``tests/test_hardening_edges.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from refkmeans import ImageError, UsageError
from refkmeans.cli.main import main
from refkmeans.codec import DEFAULT_MAX_PIXELS
from refkmeans.files import BYTES_PER_PIXEL, HEADER_BYTES, max_input_bytes, read, read_bytes

ROOT = Path(__file__).resolve().parents[1]

#: Peak resident memory of a whole quantize run, in multiples of the raw
#: sample bytes (width x height x channels).  Measured: about 32 with the
#: foundation's Dataset (a tuple per pixel, ~90 bytes each), about 15.5 with
#: the compact Morton-coded storage of the fast engine (the interpreter's own
#: ~20 MB included); the bound leaves headroom for allocator noise.
RUN_MEMORY_FACTOR = 22
#: Peak traced memory of reading a raw file, in multiples of its raster:
#: the file's bytes, the raster slice, the sample array.
DECODE_MEMORY_FACTOR = 4


def env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), REFKMEANS_LOAD_PLUGINS="")


# -- KM-LIM-1: pixels -----------------------------------------------------------------------------


def test_the_default_pixel_limit_is_generous_and_documented() -> None:
    """KM-LIM-1: 100 million pixels by default (a 10000 x 10000 photo)."""
    assert DEFAULT_MAX_PIXELS == 100_000_000
    assert "100 000 000" in (ROOT / "SPEC.md").read_text()


def test_the_pixel_limit_is_settable_from_the_api(tmp_path: Path) -> None:
    """KM-LIM-1"""
    path = tmp_path / "four.pgm"
    path.write_bytes(b"P5 2 2 255\n\x00\x01\x02\x03")
    assert read(str(path), max_pixels=4).pixel_count == 4
    with pytest.raises(ImageError, match="2x2 image has 4 pixels, above the limit of 3"):
        read(str(path), max_pixels=3)


@pytest.mark.parametrize("limit", [0, -5, True, 2.5])
def test_a_pixel_limit_that_is_not_a_positive_integer_is_a_usage_error(tmp_path: Path, limit) -> None:
    path = tmp_path / "one.pgm"
    path.write_bytes(b"P5 1 1 255\n\x00")
    with pytest.raises(UsageError, match="the pixel limit must be a positive integer"):
        read(str(path), max_pixels=limit)


def test_the_pixel_limit_is_settable_on_the_command_line(tmp_path: Path, capsys) -> None:
    """KM-LIM-1 (--max-pixels); the same file passes with the default limit."""
    path = tmp_path / "wide.pgm"
    path.write_bytes(b"P5 10 1 255\n" + bytes(range(10)))
    assert main(["quantize", str(path), "--max-pixels", "9", "-o", str(tmp_path / "o.pgm")]) == 3
    assert "10x1 image has 10 pixels, above the limit of 9" in capsys.readouterr().err
    assert main(["quantize", str(path), "-k", "2", "-o", str(tmp_path / "o.pgm"), "-q"]) == 0
    assert main(["quantize", str(path), "--max-pixels", "0", "-o", str(tmp_path / "p.pgm")]) == 2


# -- KM-LIM-4: input bytes -------------------------------------------------------------------------


def test_the_input_limit_is_64_bytes_a_pixel_plus_1_mib() -> None:
    """KM-LIM-4"""
    assert (BYTES_PER_PIXEL, HEADER_BYTES) == (64, 1 << 20)
    assert max_input_bytes(1) == 64 + 1048576
    assert max_input_bytes(DEFAULT_MAX_PIXELS) == 6_401_048_576


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_device_is_refused_after_the_limit_not_read_forever(tmp_path: Path) -> None:
    """KM-LIM-4: /dev/zero never ends; reading stops one chunk past the limit (returning at all shows it stopped)."""
    (tmp_path / "one.pgm").write_bytes(b"P5 1 1 255\n\x00")
    read(str(tmp_path / "one.pgm"))  # load the plugins first: their imports are not the read's memory
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match="cannot read /dev/zero: it is larger than 1048640 bytes"):
            read("/dev/zero", max_pixels=1, codec="netpbm")  # named: no magic number to refuse it by
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * max_input_bytes(1)


def test_an_oversized_regular_file_is_refused_without_being_read(tmp_path: Path) -> None:
    """KM-LIM-4: a regular file's size is known, so none of it is read."""
    path = tmp_path / "big.pgm"
    path.write_bytes(b"P5 1 1 255\n" + bytes(3 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match="larger than 1048640 bytes"):
            read(str(path), max_pixels=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000


def test_reading_stops_at_the_limit_for_a_pipe_too() -> None:
    """KM-LIM-4 through standard input: an endless stream ends the run with exit 3."""
    with open("/dev/zero", "rb") as zeros:
        run = subprocess.run(
            [sys.executable, "-m", "refkmeans", "quantize", "-", "--max-pixels", "16", "-o", os.devnull, "--format", "netpbm"],
            stdin=zeros,
            capture_output=True,
            text=True,
            env=env(),
        )
    assert run.returncode == 3
    assert run.stderr.startswith("refkmeans: error: -: not a format any codec recognises (codecs: ")  # refused by its first 64 bytes


def test_a_file_within_the_limit_reads_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc" * 1000)
    assert read_bytes(str(path), limit=3000) == b"abc" * 1000
    with pytest.raises(ImageError, match="larger than 2999 bytes"):
        read_bytes(str(path), limit=2999)


# -- memory in proportion to the image ---------------------------------------------------------------


def few_colour_ppm(width: int, height: int) -> bytes:
    """Vertical bands of 8 colours: a large image with few distinct colours."""
    colours = [bytes(((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)) for i in range(8)]
    row = b"".join(colours[(x * 8) // width] for x in range(width))
    return b"P6 %d %d 255\n" % (width, height) + row * height


MEASURE = textwrap.dedent(
    """
    import sys
    from refkmeans.cli.main import main

    def peak():
        # VmHWM: the peak resident set of this process image.  (ru_maxrss
        # would do, but Linux carries it over from the parent across exec.)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

    before = peak()
    code = main(sys.argv[1:])
    print(code, before, peak())
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc for the peak resident set")
def test_a_whole_run_uses_memory_in_proportion_to_the_image(tmp_path: Path) -> None:
    """1000 x 1000 RGB, 8 colours: the peak resident memory of read + quantize + write, over the raw samples."""
    width = height = 1000
    raw = width * height * 3
    (tmp_path / "big.ppm").write_bytes(few_colour_ppm(width, height))
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, "quantize", "big.ppm", "-k", "4", "--init", "kmeans++", "-o", "out.ppm", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
    )
    code, before, after = map(int, run.stdout.split())
    assert code == 0, run.stderr
    factor = (after - before) / raw
    print(f"peak RSS of the run: {after - before} bytes = {factor:.1f} x the {raw} raw sample bytes")
    assert factor <= RUN_MEMORY_FACTOR
    assert (tmp_path / "out.ppm").stat().st_size == len(b"P6\n1000 1000\n255\n") + raw


def test_decoding_allocates_a_small_multiple_of_the_raster(tmp_path: Path) -> None:
    """tracemalloc over read(): the file, one copy of the raster, the samples; nothing per pixel."""
    path = tmp_path / "big.ppm"
    path.write_bytes(few_colour_ppm(1000, 1000))
    tracemalloc.start()
    try:
        image = read(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert image.pixel_count == 1_000_000
    assert peak <= DECODE_MEMORY_FACTOR * 3_000_000 + (1 << 20), peak
