"""The four built-in metrics, each exact.

Error bounds (u = 2**-53, the unit roundoff; C = channels).  A pixel x holds
integers; a centroid c is rational in 0..65535 and reaches the float code as
c' = fl(c), so |c_i - c'_i| <= 65535 u = delta ~ 7.3e-12 per channel.

* euclidean: ||x - c'|| differs from ||x - c|| by at most ||c - c'|| <=
  sqrt(C) delta (triangle inequality); ``math.dist`` adds a few ulps
  (< 16 u d, generous).
* sqeuclidean: sum (x_i - c'_i)^2 differs from the exact sum by at most
  C delta (2 * 65535 + delta) < 1e-6 C; summing C+1 rounded terms adds
  (C + 3) u d.
* manhattan: C delta from the centroid, (C + 1) u d from the arithmetic.
* chebyshev: delta from the centroid, u d from the arithmetic.

Each bound below is at least twice these.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Optional, Sequence

from ..hookspecs import hookimpl
from ..metric import Metric
from ..rational import Number

_U = 2.0**-53


class Euclidean(Metric):
    name = "euclidean"
    description = "straight-line distance, norm(pixel - centroid) as in the notebook"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return math.dist(a, b)

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        # sqrt is monotone, so the squared distance orders exactly like the distance.
        return sum((Fraction(x) - Fraction(y)) ** 2 for x, y in zip(a, b))

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        return 2e-11 * channels + 32 * _U * d


class SquaredEuclidean(Euclidean):
    name = "sqeuclidean"
    description = "squared straight-line distance (same assignments as euclidean)"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return sum((x - y) * (x - y) for x, y in zip(a, b))

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        return 2e-6 * channels + 2 * (channels + 3) * _U * d


class Manhattan(Metric):
    name = "manhattan"
    description = "sum of absolute channel differences (L1)"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return sum(abs(x - y) for x, y in zip(a, b))

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        return 2e-11 * channels + 2 * (channels + 1) * _U * d


class Chebyshev(Metric):
    name = "chebyshev"
    description = "largest absolute channel difference (L-infinity)"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return max(abs(x - y) for x, y in zip(a, b))

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        return max(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        return 2e-11 + 2 * _U * d


@hookimpl
def refkmeans_register_metrics(register):  # type: ignore[no-untyped-def]
    for metric in (Euclidean(), SquaredEuclidean(), Manhattan(), Chebyshev()):
        register(metric)
