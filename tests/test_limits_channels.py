"""KM-LIM-8: an image has at most 8 channels, refused from the header before any work."""

from __future__ import annotations

import tracemalloc
from array import array

import pytest

from refkmeans import Image, ImageError, quantize, read
from refkmeans.image import MAX_CHANNELS


def pam(depth: int, width: int = 2, height: int = 1) -> bytes:
    header = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH {depth}\nMAXVAL 255\nENDHDR\n".encode()
    return header + bytes(range(width * height * depth))


@pytest.mark.parametrize("depth", [9, 20, 64, 10**6])
def test_a_pam_with_too_many_channels_is_refused_from_its_header(tmp_path, depth):
    path = tmp_path / "deep.pam"
    path.write_bytes(pam(depth, 1, 1) if depth < 1000 else pam(1)[:-2].replace(b"DEPTH 1", f"DEPTH {depth}".encode()))
    (tmp_path / "one.pam").write_bytes(pam(1))
    read(str(tmp_path / "one.pam"))  # load the plugins first: only the refusal is measured
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match=f"DEPTH must be 1..{MAX_CHANNELS}, got {depth}"):
            read(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_the_largest_channel_count_still_quantizes():
    samples = [(i * 37 + c * 11) % 256 for i in range(40) for c in range(MAX_CHANNELS)]
    image = Image(40, 1, MAX_CHANNELS, 255, array("B", samples))
    result = quantize(image, k=4, init="first", max_iter=3)
    assert result.image.channels == MAX_CHANNELS
    assert len(set(result.image.pixels())) <= 4


@pytest.mark.parametrize("channels", [0, MAX_CHANNELS + 1])
def test_an_image_outside_the_channel_range_is_refused(channels):
    with pytest.raises(ImageError, match=f"channels must be 1..{MAX_CHANNELS}"):
        Image(1, 1, channels, 255, [0] * channels)
