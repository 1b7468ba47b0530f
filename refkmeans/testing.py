"""Checks for a plugin's own test suite: codecs round-trip, metrics are sane, initializers repeat.

=====================================  ==========================================
``check_codec_roundtrip(codec)``       encode then decode gives the image back;
                                       sniff, the pixel limit, bad input
``check_metric(metric)``               identity, symmetry, non-negativity, the
                                       triangle inequality where claimed, exact
                                       keys that agree with the floats, and a
                                       declared geometry that is true
``check_initializer_determinism(f)``   same seed, same centroids, whatever the
                                       global ``random`` state; k valid centroids
``sample_images(...)``                 the small images the codec check uses
=====================================  ==========================================

Each check raises :class:`AssertionError` with a one-line reason (so it reads
well under pytest or plain ``assert``-free scripts) and returns how many
cases it checked.  Nothing here needs pytest.

>>> from refkmeans.builtin.netpbm import NetpbmCodec
>>> check_codec_roundtrip(NetpbmCodec()) > 0
True
"""

from __future__ import annotations

import itertools
import math
import random
from array import array
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .dataset import Dataset
from .errors import ImageError, UsageError
from .image import Image, typecode_for
from .metric import declaration_problem, declared_geometry, error_terms
from .rational import as_centroid
from .rng import make_generator

__all__ = ["check_codec_roundtrip", "check_initializer_determinism", "check_metric", "sample_images"]

#: Sizes that catch off-by-one errors in row padding and bit packing.
SIZES = ((1, 1), (3, 2), (7, 5), (17, 3))


def sample_images(channels: Sequence[int] = (1, 2, 3, 4), maxvals: Sequence[int] = (255,)) -> List[Image]:
    """Small deterministic images: every channel count and maxval, odd sizes, 0 and maxval present.

    >>> [repr(im) for im in sample_images(channels=(3,), maxvals=(1,))][:1]
    ['Image(1x1, channels=3, maxval=1)']
    """
    images = []
    for c, maxval, (w, h) in itertools.product(channels, maxvals, SIZES):
        n = w * h * c
        # A multiplicative walk over 0..maxval, with both extremes forced in.
        samples = [(i * 40503 + 7) % (maxval + 1) for i in range(n)]
        samples[0] = maxval
        if n > 1:
            samples[-1] = 0
        images.append(Image(w, h, c, maxval, array(typecode_for(maxval), samples)))
    return images


def _same(expected: Image, got: Any, max_error: int, what: str) -> None:
    if not isinstance(got, Image):
        raise AssertionError(f"{what}: decode returned {type(got).__name__}, not an Image")
    shape = (expected.width, expected.height, expected.channels, expected.maxval)
    found = (got.width, got.height, got.channels, got.maxval)
    if shape != found:
        raise AssertionError(f"{what}: decoded width, height, channels, maxval {found}, expected {shape}")
    for i, (a, b) in enumerate(zip(expected.samples, got.samples)):
        if abs(a - b) > max_error:
            raise AssertionError(f"{what}: sample {i} decoded as {b}, expected {a} (allowed error {max_error})")


def _palette_of(image: Image) -> Optional[Tuple[List[Tuple[int, ...]], array]]:
    """The image's colours as a palette with indices, when there are at most 256."""
    pixels = image.pixels()
    palette = list(dict.fromkeys(pixels))
    if len(palette) > 256:
        return None
    position = {colour: i for i, colour in enumerate(palette)}
    return palette, array("B", map(position.__getitem__, pixels))


def _decode_or_image_error(codec: Any, data: bytes, what: str) -> None:
    try:
        codec.decode(data)
    except ImageError:
        return
    except Exception as exc:
        raise AssertionError(f"{what}: decode raised {type(exc).__name__} ({exc}), not ImageError") from None


def check_codec_roundtrip(
    codec: Any,
    images: Optional[Sequence[Image]] = None,
    *,
    max_error: int = 0,
    palette: bool = True,
    sniff: bool = True,
    malformed: bool = True,
) -> int:
    """Check that ``codec`` gives back what it encodes, and fails cleanly on bad input.

    For each image (default :func:`sample_images`): ``encode`` returns bytes,
    ``sniff`` recognises their head, ``decode`` restores the shape and every
    sample to within ``max_error`` (0: lossless), the same holds when the
    image comes with a ``palette`` and ``indices``, and ``decode`` refuses the
    file with ImageError when ``max_pixels`` is one below its pixel count.
    With ``malformed``, cut and corrupted copies of each file must decode or
    raise ImageError, never anything else.
    """
    images = sample_images() if images is None else images
    checked = 0
    for image in images:
        what = f"{getattr(codec, 'name', codec)!s} on {image!r}"
        data = codec.encode(image, palette=None, indices=None, plain=False)
        if not isinstance(data, bytes):
            raise AssertionError(f"{what}: encode returned {type(data).__name__}, not bytes")
        if sniff and not codec.sniff(data[:64]):
            raise AssertionError(f"{what}: sniff does not recognise the codec's own output")
        _same(image, codec.decode(data), max_error, what)
        checked += 1
        indexed = _palette_of(image) if palette else None
        if indexed is not None:
            colours, indices = indexed
            again = codec.encode(image, palette=colours, indices=indices, plain=False)
            _same(image, codec.decode(again), max_error, what + " with a palette")
            checked += 1
        if image.pixel_count > 1:
            try:
                codec.decode(data, max_pixels=image.pixel_count - 1)
            except ImageError:
                pass
            else:
                raise AssertionError(f"{what}: decode ignores max_pixels={image.pixel_count - 1}")
            checked += 1
        if malformed:
            for cut in sorted({0, 1, len(data) // 2, len(data) - 1}):
                _decode_or_image_error(codec, data[:cut], f"{what}, cut to {cut} bytes")
            for position in sorted({0, len(data) // 3, len(data) // 2, len(data) - 1}):
                broken = bytearray(data)
                broken[position] ^= 0x5A
                _decode_or_image_error(codec, bytes(broken), f"{what}, byte {position} corrupted")
            checked += 1
    return checked


def _metric_points(channels: int) -> List[Tuple[Any, ...]]:
    """Corners of the 8-bit cube, greys, a walk through it, and fractional centroids."""
    corners = list(itertools.product((0, 255), repeat=channels)) if channels <= 4 else []
    greys = [(v,) * channels for v in (1, 128, 254)]
    walk = [tuple((i * 97 + j * 61) % 256 for j in range(channels)) for i in range(8)]
    fractions = [tuple(Fraction(2 * i + 1, 3) * (j + 1) for j in range(channels)) for i in range(3)]
    return corners + greys + walk + fractions


def check_metric(
    metric: Any,
    points: Optional[Sequence[Sequence[Any]]] = None,
    *,
    channels: int = 3,
    triangle: Optional[bool] = None,
    tolerance: Optional[float] = None,
) -> int:
    """Check the metric axioms that ``metric`` claims, on ``points`` (ints or Fractions).

    Always: d(x, x) = 0, d(x, y) >= 0 and finite, d(x, y) = d(y, x), each
    within ``tolerance`` (default: the metric's ``tolerance`` attribute, else
    0).  The triangle inequality when ``triangle`` is true (default: the
    metric's ``triangle`` attribute, else not checked: squared Euclidean,
    for one, does not satisfy it).  For an exact metric, ``key`` must order
    any two distances from one point as the floats do whenever their error
    bounds do not overlap, and ``key(x, x)`` must be the smallest key.  A
    metric that declares a ``geometry`` must be that distance: ``key``
    orders as the geometry's exact distance does, and ``distance`` from an
    integer point is within ``error_bound`` of it (engines rely on both
    without calling the metric).
    """
    points = _metric_points(channels) if points is None else [tuple(p) for p in points]
    if triangle is None:
        triangle = bool(getattr(metric, "triangle", False))
    if tolerance is None:
        tolerance = float(getattr(metric, "tolerance", 0.0))
    name = getattr(metric, "name", metric)
    floats = [tuple(float(v) for v in p) for p in points]
    d = [[metric.distance(a, b) for b in floats] for a in floats]
    checked = 0
    for i, j in itertools.product(range(len(points)), repeat=2):
        value = d[i][j]
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise AssertionError(f"{name}: distance{points[i], points[j]} = {value!r}, not a finite non-negative number")
        if i == j and value > tolerance:
            raise AssertionError(f"{name}: distance{points[i], points[i]} = {value!r}, not 0")
        if abs(value - d[j][i]) > tolerance:
            raise AssertionError(f"{name}: not symmetric: d{points[i], points[j]} = {value!r} but d{points[j], points[i]} = {d[j][i]!r}")
        checked += 1
    if triangle:
        for i, j, m in itertools.product(range(len(points)), repeat=3):
            slack = tolerance + 1e-12 * (d[i][j] + d[j][m])
            if d[i][m] > d[i][j] + d[j][m] + slack:
                raise AssertionError(
                    f"{name}: triangle inequality fails: d{points[i], points[m]} = {d[i][m]!r} > "
                    f"d{points[i], points[j]} + d{points[j], points[m]} = {d[i][j] + d[j][m]!r}"
                )
            checked += 1
    if getattr(metric, "exact", True):
        checked += _check_keys(metric, points, d, channels, name)
    checked += _check_declaration(metric, points, d, channels, name)
    return checked


#: Each geometry's exact distance, or for the Euclidean ones its square (same order), from Fraction differences.
_EXACT: Dict[str, Callable[[List[Fraction]], Any]] = {
    "euclidean": lambda diffs: sum(v * v for v in diffs),
    "squared-euclidean": lambda diffs: sum(v * v for v in diffs),
    "manhattan": lambda diffs: sum(map(abs, diffs)),
    "chebyshev": lambda diffs: max(map(abs, diffs)),
}


def _check_declaration(metric: Any, points: Sequence[Tuple[Any, ...]], d: List[List[float]], channels: int, name: Any) -> int:
    problem = declaration_problem(metric, (channels,))
    if problem is not None:
        raise AssertionError(f"{name}: {problem}")
    geometry = declared_geometry(metric)
    if geometry is None:
        return 0
    exact = _EXACT[geometry]
    terms_of = getattr(metric, "error_terms", partial(error_terms, geometry))

    def default_bound(value: float, c: int) -> Optional[float]:  # what the host fills in (refkmeans.plugins)
        terms = terms_of(c)
        return None if terms is None else terms[0] + terms[1] * value

    bound = getattr(metric, "error_bound", default_bound)
    checked = 0
    for i, a in enumerate(points):
        true = [exact([Fraction(x) - Fraction(y) for x, y in zip(a, b)]) for b in points]
        keys = [metric.key(a, b) for b in points]
        for j, m in itertools.combinations(range(len(points)), 2):
            if (true[j] < true[m], true[j] == true[m]) != (keys[j] < keys[m], keys[j] == keys[m]):
                raise AssertionError(
                    f"{name}: declares geometry {geometry!r}, but its keys from {a} order {points[j]} and {points[m]} otherwise"
                )
            checked += 1
        if not all(isinstance(v, int) for v in a):
            continue  # error bounds are promised from integer pixels
        for j, b in enumerate(points):
            e = bound(d[i][j], channels)
            if e is None:
                raise AssertionError(f"{name}: declares geometry {geometry!r} but gives no error bound")
            low, high = max(Fraction(d[i][j]) - Fraction(e), Fraction(0)), Fraction(d[i][j]) + Fraction(e)
            if geometry == "euclidean":
                low, high = low * low, high * high
            if not low <= true[j] <= high:
                raise AssertionError(
                    f"{name}: distance{a, b} = {d[i][j]!r} is farther than {e!r} from the true {geometry} distance"
                )
            checked += 1
    return checked


def _check_keys(metric: Any, points: Sequence[Tuple[Any, ...]], d: List[List[float]], channels: int, name: Any) -> int:
    bound = getattr(metric, "error_bound", lambda value, c: None)
    checked = 0
    for i, a in enumerate(points):
        keys = [metric.key(a, b) for b in points]
        if keys[i] > min(keys):
            raise AssertionError(f"{name}: key{a, a} = {keys[i]!r} is not the smallest key from {a}")
        for j, m in itertools.combinations(range(len(points)), 2):
            ej, em = bound(d[i][j], channels), bound(d[i][m], channels)
            if ej is None or em is None:
                continue
            if d[i][j] + ej < d[i][m] - em and not keys[j] < keys[m]:
                raise AssertionError(
                    f"{name}: floats say {points[j]} is nearer to {a} than {points[m]} beyond the error bound, keys disagree"
                )
            if d[i][m] + em < d[i][j] - ej and not keys[m] < keys[j]:
                raise AssertionError(
                    f"{name}: floats say {points[m]} is nearer to {a} than {points[j]} beyond the error bound, keys disagree"
                )
            checked += 1
    return checked


def _sample_dataset() -> Dataset:
    pixels = [tuple((i * 37 + c * 101) % 256 for c in range(3)) for i in range(40)]
    return Dataset(pixels + pixels[:10])  # repeated colours, as in a real image


def check_initializer_determinism(
    function: Callable[..., Any],
    dataset: Optional[Dataset] = None,
    k: int = 4,
    seeds: Sequence[int] = (0, 1, 2),
    rng: str = "portable",
) -> int:
    """Check that an initializer depends on ``(dataset, k, rng)`` only, and returns k valid centroids.

    For each seed it runs twice with fresh generators, the global ``random``
    module seeded differently each time, and compares the exact centroids.
    It also checks that the dataset is left unchanged.
    """
    dataset = _sample_dataset() if dataset is None else dataset
    before = (list(dataset.pixels), list(dataset.colours), list(dataset.counts))
    name = getattr(function, "__name__", function)
    checked = 0
    for seed in seeds:
        runs = []
        for disturbance in (1, 2):
            random.seed(f"refkmeans.testing {seed} {disturbance}")
            raw = function(dataset, k, make_generator(rng, seed))
            try:
                centroids = [as_centroid(c, dataset.channels) for c in list(raw)]
            except (UsageError, TypeError) as exc:
                raise AssertionError(f"initializer {name}: seed {seed}: a bad centroid: {exc}") from None
            if len(centroids) != k:
                raise AssertionError(f"initializer {name}: seed {seed}: {len(centroids)} centroids, expected {k}")
            runs.append(centroids)
        if runs[0] != runs[1]:
            raise AssertionError(
                f"initializer {name}: seed {seed} gave different centroids on two runs "
                "(does it use anything but the generator it is given?)"
            )
        checked += 1
    if (list(dataset.pixels), list(dataset.colours), list(dataset.counts)) != before:
        raise AssertionError(f"initializer {name}: it changed the dataset")
    return checked
