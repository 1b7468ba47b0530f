"""Exact nearest-centroid facts, fast where floating point can decide.

The certifier asks, for a pixel and a list of centroids: which centroid is
nearest in exact arithmetic (the lowest index on a tie), and which others
come within a slack of it, with the exact gap.  Computing every exact key
would be slow, so a float filter goes first, as in ``lloyd.assign``: each
float distance d is within the metric's error bound e(d) of the truth, so a
centroid whose ``d - e(d)`` lies beyond the winner's ``d + e(d)`` plus the
slack cannot be within the slack, and its exact key is never needed.

Centroids may be ``None``: a candidate reported a coordinate that is not a
number.  Such a centroid is never nearest.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from ..metric import FLOAT_DISTANCES, Metric, compared_geometry, error_terms
from ..rational import MAX_SAMPLE, Centroid

Key = Union[int, Fraction]
Point = Tuple[int, ...]
MaybeCentroid = Optional[Centroid]

# Relative margin on float comparisons, far above the rounding of the few
# operations that build the reach (a square root, a square, two sums).
_MARGIN = 1e-9


class Nearest(NamedTuple):
    """The exact nearest centroid of one pixel and its rivals within the slack."""

    best: int
    """Lowest index at the exact minimum key; -1 when no centroid is a number."""
    rivals: Tuple[Tuple[int, Fraction], ...]
    """(index, exact key gap to ``best``) of every other centroid within the slack."""


class Judge:
    """Exact distance facts from pixels to one fixed list of centroids.

    >>> from refkmeans.plugins import Registry
    >>> metric = Registry(load_entrypoints=False).metric("euclidean")
    >>> judge = Judge([(Fraction(0),), (Fraction(10),)], metric, slack=Fraction(0))
    >>> judge.nearest((5,))
    Nearest(best=0, rivals=((1, Fraction(0, 1)),))
    >>> judge.gap((7,), 0)
    Fraction(40, 1)
    """

    def __init__(self, centroids: Sequence[MaybeCentroid], metric: Metric, slack: Fraction) -> None:
        self.centroids = list(centroids)
        self.metric = metric
        self.slack = Fraction(slack)
        self.valid = [j for j, c in enumerate(self.centroids) if c is not None]
        self._slack_float = float(self.slack) * (1 + _MARGIN) + 1e-300
        self._floats: Dict[int, Tuple[float, ...]] = {
            j: tuple(float(v) for v in self.centroids[j]) for j in self.valid  # type: ignore[union-attr]
        }
        in_range = all(
            0 <= v <= MAX_SAMPLE for j in self.valid for v in self.centroids[j]  # type: ignore[union-attr]
        )
        self._filter = _float_filter(metric) if in_range else None
        self._cache: Dict[Point, Nearest] = {}

    def key(self, point: Point, j: int) -> Key:
        """The exact key (squared distance for Euclidean) from ``point`` to centroid ``j``."""
        return self.metric.key(point, self.centroids[j])  # type: ignore[arg-type,return-value]

    def nearest(self, point: Point) -> Nearest:
        """The exact nearest centroid and every rival within the slack."""
        found = self._cache.get(point)
        if found is None:
            found = self._cache[point] = self._nearest(point)
        return found

    def gap(self, point: Point, label: int) -> Fraction:
        """Exact key of centroid ``label`` minus the exact minimum key (0 for a nearest one)."""
        best = self.nearest(point).best
        if label == best:
            return Fraction(0)
        return Fraction(self.key(point, label)) - Fraction(self.key(point, best))

    def _nearest(self, point: Point) -> Nearest:
        candidates = self._candidates(point)
        if not candidates:
            return Nearest(-1, ())
        if len(candidates) == 1:
            return Nearest(candidates[0], ())
        keyed = sorted((Fraction(self.key(point, j)), j) for j in candidates)
        low, best = keyed[0]
        rivals = tuple((j, k - low) for k, j in keyed[1:] if k - low <= self.slack)
        return Nearest(best, rivals)

    def _candidates(self, point: Point) -> List[int]:
        """Indices that may be within the slack of the minimum (a superset, never missing one)."""
        if self._filter is None or len(self.valid) < 2:
            return list(self.valid)
        distance, bound, reach = self._filter
        channels = len(point)
        floats = self._floats
        d = [(distance(point, floats[j]), j) for j in self.valid]
        low = min(d)[0]
        limit = reach(low + bound(low, channels), self._slack_float)
        return [j for v, j in d if v - bound(v, channels) <= limit]


Filter = Tuple[
    Callable[[Sequence[float], Sequence[float]], float],
    Callable[[float, int], float],
    Callable[[float, float], float],
]


def _float_filter(metric: Metric) -> Optional[Filter]:
    """(float distance, its error bound, reach) for a metric that declares its geometry, else None.

    The float distance is the geometry's own function, with the error terms
    of :func:`refkmeans.metric.error_terms` (squared Euclidean distances are
    compared as Euclidean ones).  ``reach(high, slack)`` is an upper bound on
    the float distance of any centroid whose exact key is within ``slack`` of
    a key whose distance is at most ``high``.  Euclidean distances are square
    roots of the keys, so the slack is added under the root.
    """
    geometry = compared_geometry(metric)
    if geometry is None:
        return None

    def bound(d: float, channels: int) -> float:
        A, B = error_terms(geometry, channels)
        return A + B * d

    if geometry == "euclidean":

        def reach(high: float, slack: float) -> float:
            return math.sqrt(high * high + slack) * (1 + _MARGIN)

    else:

        def reach(high: float, slack: float) -> float:
            return (high + slack) * (1 + _MARGIN)

    return FLOAT_DISTANCES[geometry], bound, reach
