"""Floyd–Steinberg error diffusion onto a fixed palette, in exact integer arithmetic.

This is an *output stage*, kept apart from k-means: the palette is decided
first (by k-means or a palette file), then each pixel is given a palette
index.  Without dithering that index is the nearest colour (k-means labels,
the reference output).  With dithering, part of each pixel's error is pushed
onto its unvisited neighbours, so that areas average to their true colour.

The arithmetic (SPEC.md, KM-DIT-1..6) uses integers only, so that two
implementations agree bit for bit:

* errors are kept per sample in sixteenths of a sample value;
* pixels are visited in raster order (every row left to right);
* the target t = clamp(16 x + E, 0, 16 maxval) is the sample plus the error
  it received, clamped to the image's range;
* the palette index is the nearest colour to t / 16 (the run's metric;
  ties to the lowest index);
* the error q = round(s (t - 16 c) / 16), to the nearest integer with halves
  away from zero, where s is the strength (a rational in 0..1), goes 7q to
  the right, 3q below left, 5q below and 1q below right, in sixteenths;
  shares that would fall outside the image are dropped.

The ``limited`` method (KM-DIT-7, what a bare ``--dither`` gives) visits
rows in serpentine order and clamps the carried error to an eighth of the
range, so a smooth area does not collect error until a pixel jumps to a far
colour (the black and white specks plain Floyd–Steinberg leaves).

>>> from refkmeans.image import Image
>>> grey = Image(4, 1, 1, 255, [100, 100, 100, 100])
>>> list(floyd_steinberg(grey, [(0,), (255,)]))
[0, 1, 0, 0]
"""

from __future__ import annotations

from array import array
from fractions import Fraction
from itertools import chain
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from .errors import UsageError
from .image import Image, typecode_for
from .metric import SQUARED_ORDER, Metric, declared_geometry
from .quantize import Quantized, index_typecode

#: Dithering methods by name; ``none`` is the default (k-means labels as they are).
#: ``limited`` (serpentine, error-limited: KM-DIT-7) is what a bare ``--dither`` asks for.
METHODS = ("none", "floyd-steinberg", "limited")
#: The method ``--dither`` without a name gives: the one that does not speckle.
DEFAULT_METHOD = "limited"

Colour = Tuple[int, ...]


def parse_strength(text: Union[str, int, float, Fraction]) -> Fraction:
    """A strength in 0..1, exactly: "0.8" is 4/5, "2/3" is 2/3.

    >>> parse_strength("0.75")
    Fraction(3, 4)
    """
    try:
        value = Fraction(text) if not isinstance(text, float) else Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"dither strength must be a number in 0..1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise UsageError(f"dither strength must be in 0..1, got {text!r}")
    return value


def _nearest_finder(palette: Sequence[Colour], metric: Optional[Metric]) -> Callable[[Tuple[int, ...]], int]:
    """index_of(target in sixteenths) for the palette, lowest index on a tie."""
    scaled = [tuple(16 * v for v in colour) for colour in palette]
    order = range(len(palette))
    if metric is None or declared_geometry(metric) in SQUARED_ORDER:
        # Scaling every coordinate by 16 scales every squared distance by 256:
        # the order, ties included, is that of the true distances.
        def index_of(target: Tuple[int, ...]) -> int:
            return min(order, key=lambda j: (sum((t - c) * (t - c) for t, c in zip(target, scaled[j])), j))

    elif metric.exact:
        exact_palette = [tuple(Fraction(v) for v in colour) for colour in palette]

        def index_of(target: Tuple[int, ...]) -> int:
            point = tuple(Fraction(t, 16) for t in target)
            return min(order, key=lambda j: (metric.key(point, exact_palette[j]), j))

    else:
        float_palette = [tuple(float(v) for v in colour) for colour in palette]

        def index_of(target: Tuple[int, ...]) -> int:
            point = tuple(t / 16 for t in target)  # exact: a multiple of 1/16
            return min(order, key=lambda j: (metric.distance(point, float_palette[j]), j))

    cache: Dict[Tuple[int, ...], int] = {}

    def cached(target: Tuple[int, ...]) -> int:
        found = cache.get(target)
        if found is None:
            found = cache[target] = index_of(target)
        return found

    return cached


def _round_half_away(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero (denominator > 0)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def floyd_steinberg(
    image: Image,
    palette: Sequence[Colour],
    strength: Union[str, int, float, Fraction] = 1,
    metric: Optional[Metric] = None,
    *,
    limited: bool = False,
) -> array:
    """Palette indices for ``image`` with Floyd–Steinberg error diffusion (KM-DIT-1..6).

    ``limited`` gives the ``limited`` method (KM-DIT-7): rows visited in
    serpentine order and the carried error clamped to :func:`error_limit`.
    """
    if not palette:
        raise UsageError("dithering needs a palette of at least one colour")
    channels, width, height, maxval = image.channels, image.width, image.height, image.maxval
    for colour in palette:
        if len(colour) != channels:
            raise UsageError(f"palette colour {tuple(colour)} has {len(colour)} channels, the image has {channels}")
    s = parse_strength(strength)
    numerator, denominator = s.numerator, 16 * s.denominator
    scaled = [tuple(16 * v for v in colour) for colour in palette]
    index_of = _nearest_finder(palette, metric)
    top = 16 * maxval
    bound = 16 * error_limit(maxval) if limited else None
    samples = image.samples
    out = [0] * (width * height)
    row_len = width * channels
    here: List[int] = [0] * row_len  # errors carried into the current row, in sixteenths
    for y in range(height):
        below = [0] * row_len
        start = y * row_len
        backwards = limited and y % 2 == 1  # serpentine: odd rows right to left
        step = -1 if backwards else 1
        for x in range(width - 1, -1, -1) if backwards else range(width):
            base = x * channels
            if bound is None:
                carried = here[base : base + channels]
            else:
                carried = [min(max(e, -bound), bound) for e in here[base : base + channels]]
            target = tuple(
                min(max(16 * samples[start + base + c] + carried[c], 0), top) for c in range(channels)
            )
            j = index_of(target)
            out[y * width + x] = j
            if not numerator:
                continue
            colour = scaled[j]
            ahead, behind = x + step, x - step  # the next pixel in visiting order, and the one before
            for c in range(channels):
                q = _round_half_away(numerator * (target[c] - colour[c]), denominator)
                if not q:
                    continue
                if 0 <= ahead < width:
                    here[ahead * channels + c] += 7 * q
                if y + 1 < height:
                    if 0 <= behind < width:
                        below[behind * channels + c] += 3 * q
                    below[base + c] += 5 * q
                    if 0 <= ahead < width:
                        below[ahead * channels + c] += q
        here = below
    return array(index_typecode(len(palette)), out)


def error_limit(maxval: int) -> int:
    """The most carried error a sample takes under ``limited`` (KM-DIT-7): ceil(maxval / 8), in sample units.

    A speck is a pixel pushed by accumulated error onto a palette colour far
    from its own; with the push held to an eighth of the range, a pixel can
    only take a colour within that of its own colour's neighbourhood.

    >>> error_limit(255), error_limit(1)
    (32, 1)
    """
    return -(-maxval // 8)


def dithered(
    q: Quantized,
    method: str = "floyd-steinberg",
    strength: Union[str, int, float, Fraction] = 1,
    metric: Optional[Metric] = None,
) -> Quantized:
    """``q`` with its indices (and image) redone by error diffusion onto the same palette.

    The k-means result is kept as it was: dithering changes what is
    written, not the clustering.
    """
    if method not in METHODS:
        raise UsageError(f"unknown dithering {method!r}; choose from {', '.join(METHODS)}")
    if method == "none":
        return q
    original = q.original
    indices = floyd_steinberg(original, q.palette, strength, metric, limited=method == "limited")
    flat = array(typecode_for(original.maxval), chain.from_iterable(map(q.palette.__getitem__, indices)))
    image = Image(original.width, original.height, original.channels, original.maxval, flat, original.tupltype)
    return Quantized(image, q.palette, indices, q.result, original)
