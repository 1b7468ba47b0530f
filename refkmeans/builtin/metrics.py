"""The four built-in metrics, each exact.

Each declares its geometry, so its float ``distance`` is the geometry's own
function and its ``error_bound`` the geometry's error terms; the bounds and
their derivation live in :mod:`refkmeans.metric`, once.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from ..hookspecs import hookimpl
from ..metric import Metric, chebyshev, manhattan, squared_euclidean
from ..rational import Number


class Euclidean(Metric):
    name = "euclidean"
    description = "straight-line distance, norm(pixel - centroid) as in the notebook"
    geometry = "euclidean"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return math.dist(a, b)

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        # sqrt is monotone, so the squared distance orders exactly like the distance.
        return sum((Fraction(x) - Fraction(y)) ** 2 for x, y in zip(a, b))


class SquaredEuclidean(Euclidean):
    name = "sqeuclidean"
    description = "squared straight-line distance (same assignments as euclidean)"
    geometry = "squared-euclidean"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return squared_euclidean(a, b)


class Manhattan(Metric):
    name = "manhattan"
    description = "sum of absolute channel differences (L1)"
    geometry = "manhattan"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return manhattan(a, b)

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


class Chebyshev(Metric):
    name = "chebyshev"
    description = "largest absolute channel difference (L-infinity)"
    geometry = "chebyshev"

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        return chebyshev(a, b)

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        return max(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


@hookimpl
def refkmeans_register_metrics(register):  # type: ignore[no-untyped-def]
    for metric in (Euclidean(), SquaredEuclidean(), Manhattan(), Chebyshev()):
        register(metric)
