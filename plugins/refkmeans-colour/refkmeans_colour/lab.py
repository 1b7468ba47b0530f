"""8-bit sRGB to CIELAB (D65), with one pinned set of constants.

The constants (stated in SPEC.md, KM-LAB-1..4, so that other
implementations can match them):

* sRGB decoding (IEC 61966-2-1): c = v / 255; linear = c / 12.92 when
  c <= 0.04045, else ((c + 0.055) / 1.055) ** 2.4.
* Linear sRGB to XYZ: the IEC 61966-2-1 matrix to four decimals, ``MATRIX``.
* The D65 white is that matrix applied to (1, 1, 1): (0.9505, 1.0, 1.0890),
  so sRGB white is exactly L* = 100, a* = b* = 0 and every grey has
  a* = b* = 0 (up to rounding).
* CIE 15's exact constants: epsilon = 216/24389 and kappa = 24389/27, not
  the rounded 0.008856 and 903.3 (7.787 = kappa/116).  With them the two
  branches of f meet exactly at t = epsilon.

Everything is binary64 floating point, so results may differ from another
implementation in the last few bits: these metrics are float-defined.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence, Tuple

Lab = Tuple[float, float, float]

MATRIX = (
    (0.4124, 0.3576, 0.1805),
    (0.2126, 0.7152, 0.0722),
    (0.0193, 0.1192, 0.9505),
)
WHITE = tuple(sum(row) for row in MATRIX)
EPSILON = 216 / 24389
KAPPA = 24389 / 27
#: Sample value of sRGB white: the metrics read 8-bit samples.
MAXVAL = 255


def decode_srgb(value: float) -> float:
    """An sRGB sample in 0..255 to linear light in 0..1."""
    c = value / MAXVAL
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _f(t: float) -> float:
    return t ** (1 / 3) if t > EPSILON else (KAPPA * t + 16) / 116


@lru_cache(maxsize=1 << 17)
def srgb_to_lab(rgb: Sequence[float]) -> Lab:
    """CIELAB (D65) of an 8-bit sRGB colour; channel values may be fractional.

    >>> [round(v, 6) for v in srgb_to_lab((255, 255, 255))]
    [100.0, 0.0, 0.0]
    """
    r, g, b = (decode_srgb(v) for v in rgb)
    fx, fy, fz = (_f((m0 * r + m1 * g + m2 * b) / white) for (m0, m1, m2), white in zip(MATRIX, WHITE))
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
