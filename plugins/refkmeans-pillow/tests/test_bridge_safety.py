"""The Pillow bridge on untrusted input and on samples Pillow holds differently."""

from __future__ import annotations

from array import array
from fractions import Fraction
from math import floor

import pytest

PIL = pytest.importorskip("PIL")
from PIL import EpsImagePlugin  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from refkmeans import Image, ImageError, read, write  # noqa: E402
from refkmeans.plugins import Registry  # noqa: E402

POSTSCRIPT_LOOP = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ } loop\n"


@pytest.fixture
def ghostscript_calls(monkeypatch):
    """Record every attempt to run Ghostscript instead of running it."""
    calls = []

    def fake_ghostscript(*args, **kwargs):
        calls.append(args)
        raise OSError("Ghostscript is not run in tests")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", fake_ghostscript)
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    return calls


@pytest.mark.parametrize("name", ["loop.eps", "loop.png", "loop.ppm", "loop"])
def test_a_postscript_file_is_never_handed_to_ghostscript_by_content(tmp_path, ghostscript_calls, name):
    path = tmp_path / name
    path.write_bytes(POSTSCRIPT_LOOP)
    with pytest.raises(ImageError, match="not a format any codec recognises"):
        read(str(path))
    assert ghostscript_calls == []


def test_naming_the_eps_codec_reaches_its_decoder(tmp_path, ghostscript_calls):
    path = tmp_path / "figure.eps"
    path.write_bytes(POSTSCRIPT_LOOP)
    with pytest.raises(ImageError):
        read(str(path), codec="pillow-eps")
    assert len(ghostscript_calls) == 1


def test_the_eps_codec_says_why_it_reads_only_when_named():
    codec = Registry().codec("pillow-eps")
    assert "Ghostscript" in codec.description
    assert codec.sniff(POSTSCRIPT_LOOP) is False


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


@pytest.mark.parametrize("maxval", [4095, 1023, 256, 65535])
def test_sixteen_bit_grey_below_full_scale_is_rescaled_when_written(tmp_path, maxval):
    samples = [0, 1, maxval // 3, maxval // 2, maxval - 1, maxval]
    image = Image(len(samples), 1, 1, maxval, array("H", samples))
    path = tmp_path / "grey.tif"
    write(str(path), image)
    with PILImage.open(path) as written:
        got = [written.getpixel((x, 0)) for x in range(written.width)]
    assert got == [half_up(Fraction(v * 65535, maxval)) for v in samples]
