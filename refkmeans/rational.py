"""Exact arithmetic on centroids: the one place where the semantics are written down.

A pixel is a tuple of ints.  A centroid is a tuple of :class:`fractions.Fraction`
(the mean of integer pixels is rational).  Everything here is exact; floats
appear only as correctly rounded *reports* of exact values.

>>> c = mean((3, 4), 2)
>>> c
(Fraction(3, 2), Fraction(2, 1))
>>> palette_colour(c, 255)
(2, 2)
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Rational
from typing import Sequence, Tuple, Union

from .errors import UsageError

Number = Union[int, float, Fraction]
Centroid = Tuple[Fraction, ...]

#: Largest sample value any image may hold (Netpbm's 16-bit ceiling).
MAX_SAMPLE = 65535


def as_fraction(value: object) -> Fraction:
    """The exact rational a number denotes: a float becomes the binary value it holds.

    >>> as_fraction(0.1)
    Fraction(3602879701896397, 36028797018963968)
    >>> as_fraction(float("nan"))
    Traceback (most recent call last):
    ...
    refkmeans.errors.UsageError: centroid coordinate nan is not a finite number
    """
    if isinstance(value, bool):
        raise UsageError(f"centroid coordinate {value!r} is not a number")
    if isinstance(value, (int, Rational)):
        return Fraction(value)  # type: ignore[arg-type]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"centroid coordinate {value!r} is not a finite number")
        return Fraction(value)
    raise UsageError(f"centroid coordinate {value!r} is not a number")


def as_centroid(values: Sequence[object], channels: int) -> Centroid:
    """Convert a given centroid to exact form, checking its length and range."""
    try:
        coords = tuple(as_fraction(v) for v in values)
    except TypeError:
        raise UsageError(f"centroid {values!r} is not a sequence of numbers") from None
    if len(coords) != channels:
        raise UsageError(
            f"centroid {tuple(values)!r} has {len(coords)} channels, "
            f"the pixels have {channels}"
        )
    for v in coords:
        if not (0 <= v <= MAX_SAMPLE):
            raise UsageError(f"centroid coordinate {float(v)!r} is outside 0..{MAX_SAMPLE}")
    return coords


def mean(total: Sequence[int], count: int) -> Centroid:
    """The exact mean of ``count`` pixels whose channel sums are ``total``."""
    return tuple(Fraction(s, count) for s in total)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves rounded up: floor(value + 1/2).

    >>> [round_half_up(Fraction(n, 2)) for n in (-1, 1, 3, 5)]
    [0, 1, 2, 3]
    """
    return math.floor(value + Fraction(1, 2))


def palette_colour(centroid: Sequence[Fraction], maxval: int) -> Tuple[int, ...]:
    """A centroid's output colour: each channel rounded half up, clamped to 0..maxval."""
    return tuple(min(max(round_half_up(v), 0), maxval) for v in centroid)


def to_float(value: Fraction) -> float:
    """The float nearest to ``value`` (``Fraction.__float__`` rounds correctly)."""
    return float(value)


def to_hex(value: Fraction) -> str:
    """A correctly rounded float written as a C99 hex float, e.g. '0x1.8p+0'."""
    return float(value).hex()


def to_text(value: Fraction) -> str:
    """A rational as text, '3/2' or '7': how traces, vectors and verdicts write exact numbers."""
    return str(value)


def from_text(text: Union[str, int]) -> Fraction:
    """The rational that ``to_text`` wrote (an int is taken as it is); a ValueError otherwise.

    Decimal text is read exactly, as :class:`fractions.Fraction` reads it.

    >>> from_text("3/2"), from_text("7"), from_text("0.25")
    (Fraction(3, 2), Fraction(7, 1), Fraction(1, 4))
    >>> from_text("1/0")
    Traceback (most recent call last):
    ...
    ValueError: '1/0' has a zero denominator
    """
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise ValueError(f"{text!r} has a zero denominator") from None
