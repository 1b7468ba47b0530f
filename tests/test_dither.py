"""Floyd–Steinberg dithering follows SPEC.md KM-DIT-1..6 exactly, checked against a Fraction re-implementation."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import List, Sequence, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans import kmeans, quantize
from refkmeans.dither import METHODS, dithered, floyd_steinberg, parse_strength
from refkmeans.errors import UsageError
from refkmeans.image import Image
from refkmeans.metric import Metric
from refkmeans.plugins import get_registry

REGISTRY = get_registry(load_entrypoints=False)


def reference(image: Image, palette: Sequence[Tuple[int, ...]], strength: Fraction, distance=None) -> List[int]:
    """SPEC.md KM-DIT, read literally: Fractions everywhere, a 2-D grid of carried errors."""
    w, h, c = image.width, image.height, image.channels
    carried = [[[Fraction(0)] * c for _ in range(w)] for _ in range(h)]
    labels = []
    for y in range(h):
        for x in range(w):
            pixel = image.samples[(y * w + x) * c : (y * w + x + 1) * c]
            # KM-DIT-3: the sample plus the carried error, clamped to 0..maxval.
            target = [min(max(Fraction(v) + e, Fraction(0)), Fraction(image.maxval)) for v, e in zip(pixel, carried[y][x])]
            # KM-DIT-4: nearest palette colour, lowest index on a tie.
            if distance is None:
                costs = [sum((t - p) ** 2 for t, p in zip(target, colour)) for colour in palette]
            else:
                costs = [distance(target, colour) for colour in palette]
            j = costs.index(min(costs))
            labels.append(j)
            for ch in range(c):
                # KM-DIT-5: the scaled error, rounded to whole sample units, halves away from zero.
                exact = strength * (target[ch] - palette[j][ch])
                q = math.floor(abs(exact) + Fraction(1, 2)) * (1 if exact >= 0 else -1)
                # KM-DIT-6: 7/16 right, 3/16 below left, 5/16 below, 1/16 below right.
                for dx, dy, share in ((1, 0, 7), (-1, 1, 3), (0, 1, 5), (1, 1, 1)):
                    if 0 <= x + dx < w and y + dy < h:
                        carried[y + dy][x + dx][ch] += Fraction(share * q, 16)
    return labels


@st.composite
def images_and_palettes(draw: st.DrawFn) -> Tuple[Image, List[Tuple[int, ...]]]:
    channels = draw(st.sampled_from([1, 3]))
    maxval = draw(st.sampled_from([1, 15, 255, 65535]))
    w, h = draw(st.integers(1, 7)), draw(st.integers(1, 6))
    sample = st.one_of(st.sampled_from([0, maxval]), st.integers(0, maxval))
    samples = draw(st.lists(sample, min_size=w * h * channels, max_size=w * h * channels))
    palette = draw(st.lists(st.tuples(*[sample] * channels), min_size=1, max_size=5))
    return Image(w, h, channels, maxval, samples), palette


@settings(max_examples=150, deadline=None)
@given(images_and_palettes(), st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(3, 4), Fraction(1), Fraction(1, 3)]))
def test_floyd_steinberg_agrees_bit_for_bit_with_the_literal_reading_of_the_spec(case, strength: Fraction) -> None:
    image, palette = case
    assert list(floyd_steinberg(image, palette, strength)) == reference(image, palette, strength)


def test_strength_zero_is_the_plain_nearest_colour_remap_that_kmeans_with_no_iterations_gives() -> None:
    image = Image(5, 4, 3, 255, [(i * 53 + c * 97) % 256 for i in range(20) for c in range(3)])
    palette = [(0, 0, 0), (255, 255, 255), (200, 40, 40), (40, 200, 40)]
    labels = kmeans(image.pixels(), init=palette, max_iter=0, registry=REGISTRY).labels
    assert list(floyd_steinberg(image, palette, 0)) == labels


def test_a_palette_holding_every_colour_leaves_the_image_unchanged() -> None:
    image = Image(6, 3, 3, 255, [(i * 31 + c * 7) % 256 for i in range(18) for c in range(3)])
    palette = list(dict.fromkeys(image.pixels()))
    q = dithered(quantize(image, init=palette, max_iter=0, registry=REGISTRY))
    assert q.image == image


def test_a_flat_grey_between_two_palette_colours_averages_to_its_true_value() -> None:
    image = Image(64, 64, 1, 255, [100] * 64 * 64)
    labels = floyd_steinberg(image, [(0,), (255,)])
    white = sum(labels) / len(labels)
    assert abs(white - 100 / 255) < 0.01
    assert len(set(labels)) == 2


def test_dithering_is_deterministic_and_keeps_the_kmeans_result() -> None:
    image = Image(9, 9, 3, 255, [(i * 7 + c * 50) % 256 for i in range(81) for c in range(3)])
    q = quantize(image, k=4, init="kmeans++", registry=REGISTRY)
    first, second = dithered(q, strength="0.8"), dithered(q, strength=Fraction(4, 5))
    assert first.indices == second.indices and first.image == second.image
    assert first.result is q.result and first.palette == q.palette
    assert first.image.pixels() == [q.palette[j] for j in first.indices]
    assert dithered(q, "none") is q


def test_the_carried_error_is_clamped_to_the_sample_range() -> None:
    # Without the clamp, the bright pixel's error (255 -> 128 leaves +127) plus the
    # next pixel's own value would exceed 255; clamped, both map as 255 does.
    image = Image(3, 1, 1, 255, [255, 255, 255])
    assert list(floyd_steinberg(image, [(0,), (128,)])) == reference(image, [(0,), (128,)], Fraction(1))


class HalfManhattan(Metric):
    """An exact metric with an exact key, to exercise the generic exact path."""

    name = "half-manhattan"

    def distance(self, a, b):
        return sum(abs(x - y) for x, y in zip(a, b)) / 2

    def key(self, a, b):
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


class FloatChebyshev(Metric):
    """A float-defined metric: decided by its float distance."""

    name = "float-chebyshev"
    exact = False

    def distance(self, a, b):
        return float(max(abs(x - y) for x, y in zip(a, b)))

    def key(self, a, b):
        return self.distance(a, b)


@settings(max_examples=40, deadline=None)
@given(images_and_palettes())
def test_other_metrics_choose_the_nearest_colour_their_way(case) -> None:
    image, palette = case
    manhattan = lambda t, p: sum(abs(a - b) for a, b in zip(t, p))  # noqa: E731
    chebyshev = lambda t, p: max(abs(a - b) for a, b in zip(t, p))  # noqa: E731
    assert list(floyd_steinberg(image, palette, 1, HalfManhattan())) == reference(image, palette, Fraction(1), manhattan)
    assert list(floyd_steinberg(image, palette, 1, FloatChebyshev())) == reference(image, palette, Fraction(1), chebyshev)
    assert list(floyd_steinberg(image, palette, 1, REGISTRY.metric("sqeuclidean"))) == reference(image, palette, Fraction(1))


@pytest.mark.parametrize("text, value", [("0", Fraction(0)), ("1", Fraction(1)), ("0.8", Fraction(4, 5)), ("2/3", Fraction(2, 3)), (0.5, Fraction(1, 2))])
def test_strength_is_read_exactly(text, value: Fraction) -> None:
    assert parse_strength(text) == value


@pytest.mark.parametrize("text", ["abc", "1.5", "-0.1", "1/0", ""])
def test_a_strength_outside_0_to_1_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="dither strength"):
        parse_strength(text)


def test_bad_palettes_and_methods_are_usage_errors() -> None:
    image = Image(2, 1, 3, 255, [1, 2, 3, 4, 5, 6])
    with pytest.raises(UsageError, match="at least one colour"):
        floyd_steinberg(image, [])
    with pytest.raises(UsageError, match=r"palette colour \(1, 2\) has 2 channels, the image has 3"):
        floyd_steinberg(image, [(1, 2)])
    q = quantize(image, k=1, registry=REGISTRY)
    with pytest.raises(UsageError, match="unknown dithering 'ordered'"):
        dithered(q, "ordered")
    assert METHODS[0] == "none"
