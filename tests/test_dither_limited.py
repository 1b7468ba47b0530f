"""KM-DIT-7: the ``limited`` dithering (serpentine, error-limited), against a literal reading of SPEC.md.

The reference below is written from the rule's text with Fractions and a
dict of carried errors, sharing nothing with refkmeans.dither but the
image and palette it is given.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refkmeans
from refkmeans.cli.main import main
from refkmeans.dither import dithered, floyd_steinberg
from refkmeans.image import Image
from refkmeans.plugins import get_registry

REGISTRY = get_registry(False)


def reference(image: Image, palette, s: Fraction) -> list:
    """KM-DIT-1..7 for ``limited``, literally: serpentine rows, carried error clamped to ±16 ceil(maxval/8)."""
    w, h, ch, maxval = image.width, image.height, image.channels, image.maxval
    bound = 16 * math.ceil(Fraction(maxval, 8))
    carried = {}
    out = [None] * (w * h)
    for y in range(h):
        order = range(w) if y % 2 == 0 else range(w - 1, -1, -1)
        step = 1 if y % 2 == 0 else -1
        for x in order:
            pixel = image.samples[(y * w + x) * ch : (y * w + x + 1) * ch]
            e = [max(-bound, min(bound, carried.get((x, y, c), 0))) for c in range(ch)]
            t = [max(0, min(16 * maxval, 16 * pixel[c] + e[c])) for c in range(ch)]
            j = min(range(len(palette)), key=lambda i: (sum((t[c] - 16 * palette[i][c]) ** 2 for c in range(ch)), i))
            out[y * w + x] = j
            for c in range(ch):
                exact = s * Fraction(t[c] - 16 * palette[j][c], 16)
                q = int(math.floor(abs(exact) + Fraction(1, 2))) * (1 if exact >= 0 else -1)
                for dx, dy, share in ((step, 0, 7), (-step, 1, 3), (0, 1, 5), (step, 1, 1)):
                    nx, ny = x + dx, y + dy
                    if 0 <= nx < w and ny < h:
                        carried[(nx, ny, c)] = carried.get((nx, ny, c), 0) + share * q
    return out


def test_the_spec_vector():
    grey = Image(4, 1, 1, 255, [100, 100, 100, 100])
    assert list(floyd_steinberg(grey, [(0,), (255,)], limited=True)) == [0, 1, 0, 1]
    assert list(floyd_steinberg(grey, [(0,), (255,)])) == [0, 1, 0, 0]
    assert reference(grey, [(0,), (255,)], Fraction(1)) == [0, 1, 0, 1]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda w: st.integers(1, 4).flatmap(
            lambda h: st.tuples(
                st.just((w, h)),
                st.lists(st.integers(0, 255), min_size=3 * w * h, max_size=3 * w * h),
                st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=1, max_size=5),
                st.sampled_from([Fraction(1), Fraction(3, 4), Fraction(1, 3)]),
            )
        )
    )
)
def test_limited_agrees_bit_for_bit_with_the_literal_reading(case):
    (w, h), samples, palette, s = case
    image = Image(w, h, 3, 255, samples)
    assert list(floyd_steinberg(image, palette, s, limited=True)) == reference(image, palette, s)


CUP = 64  # the smooth area's width


def cup_and_tiles() -> Image:
    """A smooth warm gradient (a coffee cup) beside black and white tiles: the palette has far colours."""
    pixels = []
    for y in range(64):
        for x in range(96):
            if x < CUP:
                pixels.append((120 + x // 2, 80 + y // 2, 50 + (x + y) // 4))
            else:
                pixels.append((0, 0, 0) if (y // 8) % 2 else (255, 255, 255))
    return Image(96, 64, 3, 255, [v for p in pixels for v in p])


def specks(image: Image, q) -> int:
    """Pixels of the smooth area written with a colour more than a quarter of the range from their own."""
    count = 0
    for i, j in enumerate(q.indices):
        if i % image.width < CUP:
            own = image.samples[3 * i : 3 * i + 3]
            if max(abs(a - b) for a, b in zip(own, q.palette[j])) > 64:
                count += 1
    return count


def test_limited_leaves_no_specks_where_floyd_steinberg_does():
    image = cup_and_tiles()
    q = refkmeans.quantize(image, 4, registry=REGISTRY)
    assert specks(image, dithered(q, "floyd-steinberg")) > 0
    assert specks(image, dithered(q, "limited")) == 0


def test_dither_without_a_name_is_limited(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    image = cup_and_tiles()
    refkmeans.write("in.ppm", image, registry=REGISTRY)
    assert main(["--no-plugins", "quantize", "in.ppm", "-k", "6", "-o", "out.ppm", "--dither"]) == 0
    assert "dither      limited, strength 1" in capsys.readouterr().out
    q = refkmeans.quantize(image, 6, registry=REGISTRY)
    expected = reference(image, q.palette, Fraction(1))
    written = refkmeans.read("out.ppm", registry=REGISTRY)
    assert written.pixels() == [q.palette[j] for j in expected]


@pytest.mark.parametrize("maxval", [1, 7, 65535])
def test_other_sample_ranges_follow_the_reference(maxval):
    samples = [(i * 37) % (maxval + 1) for i in range(2 * 5 * 3)]
    image = Image(5, 3, 2, maxval, samples)
    palette = [(0, 0), (maxval, maxval), (maxval // 2, 0)]
    assert list(floyd_steinberg(image, palette, 1, limited=True)) == reference(image, palette, Fraction(1))
