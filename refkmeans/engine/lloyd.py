"""Lloyd's algorithm, written to read like the notebook and to answer exactly.

The notebook's loop (``refkmeans/teach/notebook.py`` replays it, bugs and
all; ``docs/tutorial.md`` walks through it on a picture) is::

    for i in range(iterations):
        labels = [argmin(norm(pixel - centroids, axis=1)) for pixel in pixels]
        centroids = [pixels[labels == j].mean(axis=0) for j in range(K)]

:func:`assign` and :func:`iterate` below are that loop.  Two things make it
a reference rather than a sketch:

* Distances are floats only while floats can decide.  When the two nearest
  centroids are closer than the metric's rigorous error bound, the argmin is
  settled with the metric's exact ``key``; an exact tie goes to the lowest
  index (KM-ASN-2).
* Means are exact: integer channel sums over an integer count, a Fraction.
  The loop stops when an update leaves every centroid exactly unchanged.

Four points on a line and two centroids.  The point at 2 is exactly as far
from 0 as from 4, and then the point at 4 exactly as far from 1 as from 7:
both ties go to centroid 0.

>>> from refkmeans.plugins import get_registry
>>> euclidean = get_registry().metric("euclidean")
>>> r = lloyd([(0,), (2,), (4,), (10,)], [(Fraction(0),), (Fraction(4),)], euclidean, trace=True, trace_labels=True)
>>> [s.labels for s in r.steps]
[(0, 0, 1, 1), (0, 0, 0, 1), (0, 0, 0, 1)]
>>> [[str(c[0]) for c in s.centroids] for s in r.steps], r.converged
([['0', '4'], ['1', '7'], ['2', '10']], True)

``points`` may be all pixels (weights of 1: the plain engine) or the distinct
colours with their counts as weights (the histogram engine).  Identical
pixels always share a label, so both give the same answer.  The fast engine
(``fast.py``) runs this same loop with its own assignment step.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple

from ..errors import EmptyClusterError, UsageError
from ..metric import Metric, checked_bound, checked_key, nearest
from ..rational import Centroid, mean
from ..result import Result, Step

Point = Tuple[int, ...]

#: The empty-cluster policies, the default first.
EMPTY_POLICIES = ("keep", "farthest", "error")


def assign(points: Sequence[Point], centroids: Sequence[Centroid], metric: Metric) -> List[int]:
    """Label each point with its nearest centroid; an exact tie goes to the lowest index."""
    floats = [tuple(map(float, c)) for c in centroids]
    distance = metric.distance
    labels = []
    for point in points:
        distances = [distance(point, c) for c in floats]  # the notebook's norm(pixel - c), to every centroid
        d, too_close = nearest(metric, point, distances)  # metric.py: the float error bound, and checks
        label = distances.index(d)  # argmin
        if too_close:  # to call with floats? decide in exact arithmetic
            label = exact_nearest(point, centroids, metric, distances)
        labels.append(label)
    return labels


def iterate(assigner: Assignment, centroids: Sequence[Centroid], loop: Loop) -> Result:
    """Lloyd's loop from the exact ``centroids``, with an engine's assignment step.

    Each iteration assigns every point, then moves every centroid.  The run
    stops when an update moves no centroid (``converged``), after
    ``max_iter`` iterations, or, with ``loop.tol``, once the exact inertia
    changed by less than ``tol`` of itself in an iteration (``settled``); the
    labels returned always belong to the centroids returned.
    """
    loop.check()
    centroids = list(centroids)
    steps: List[Step] = []
    iterations, converged, settled = 0, False, False
    previous: Optional[Fraction] = None  # the inertia of the step before
    for iteration in range(loop.max_iter):
        changed = assigner.assign(centroids)  # each point to its nearest centroid
        sums = assigner.sums
        # Each centroid moves to the exact mean of its points; an empty one follows the policy.
        new, empties, relocated = update(centroids, sums, loop.empty, iteration, assigner.farthest)
        labels = tuple(assigner.ordered_labels()) if loop.trace_labels else None
        step = Step(iteration, tuple(centroids), tuple(sums.counts), sums.inertia(centroids), changed,
                    tuple(empties), relocated, labels)
        if loop.trace:
            steps.append(step)
        if loop.progress is not None:
            loop.progress(step)
        iterations = iteration + 1
        if new == centroids:
            converged = True
            break
        centroids = new
        settled = loop.settled(previous, step.inertia)  # KM-STOP-4 (only with a tol): the inertia barely moved
        if settled:
            break
        previous = step.inertia
    if not converged:
        assigner.assign(centroids)  # stopped after an update: label for the centroids returned
    sums = assigner.sums
    return Result(tuple(centroids), assigner.ordered_labels(), iterations, converged, sums.inertia(centroids),
                  tuple(sums.counts), steps if loop.trace else None, assigner.metric.name, settled)


def update(
    centroids: Sequence[Centroid],
    sums: Sums,
    empty: str,
    iteration: int,
    farthest: Callable[[int], Sequence[Point]],
) -> Tuple[List[Centroid], List[int], Dict[int, Centroid]]:
    """Each centroid moves to the exact mean of its points (KM-UPD-1); an empty one follows the policy.

    Returns the new centroids, the empty clusters, and where the ``farthest``
    policy moved them: to ``farthest(wanted)``, the colours farthest from
    their own centroid (KM-EMP-2), which each engine finds its own way.
    """
    new = [mean(total, n) if n else c for c, total, n in zip(centroids, sums.totals, sums.counts)]
    empties = [j for j, n in enumerate(sums.counts) if n == 0]
    relocated: Dict[int, Centroid] = {}
    if empties and empty == "error":
        raise EmptyClusterError(f"cluster {empties[0]} is empty at iteration {iteration} (policy 'error')")
    if empties and empty == "farthest":
        for j, point in zip(empties, farthest(len(empties))):
            relocated[j] = new[j] = tuple(Fraction(v) for v in point)
    return new, empties, relocated


def exact_nearest(
    point: Point,
    centroids: Sequence[Centroid],
    metric: Metric,
    distances: Optional[List[float]] = None,
) -> int:
    """The exact argmin of ``metric.key``, lowest index on an exact tie.

    With the float ``distances`` at hand, only centroids whose error interval
    reaches the float winner's are compared exactly.
    """
    candidates: Sequence[int] = range(len(centroids))
    if distances is not None:
        bounds = [checked_bound(metric, d, len(point)) for d in distances]
        if None not in bounds:
            d1 = min(distances)
            reach = d1 + bounds[distances.index(d1)]  # type: ignore[operator]
            candidates = [j for j in candidates if distances[j] - bounds[j] <= reach]  # type: ignore[operator]
    return min(candidates, key=lambda j: (checked_key(metric, point, centroids[j], j), j))


class Sums:
    """Per-cluster weighted counts and channel sums, and the weighted total of squared norms.

    They are the exact work behind every mean, and give the inertia without
    another pass over the points.
    """

    __slots__ = ("counts", "totals", "square_total")

    def __init__(self, k: int, channels: int, square_total: int = 0) -> None:
        self.counts = [0] * k
        self.totals = [[0] * channels for _ in range(k)]
        self.square_total = square_total

    def inertia(self, centres: Sequence[Sequence[Any]]) -> Fraction:
        """Exact sum of squared Euclidean distances of the points to their cluster's centre (KM-OUT-2).

        Over clusters, sum |x - c|^2 = sum |x|^2 - 2 c . S + n |c|^2; the
        first terms add up to ``square_total``.
        """
        total: Any = Fraction(self.square_total)
        for c, s, n in zip(centres, self.totals, self.counts):
            if n:
                total += n * sum(a * a for a in c) - 2 * sum(a * b for a, b in zip(c, s))
        return total  # type: ignore[no-any-return]


def accumulate(points: Sequence[Point], weights: Optional[Sequence[int]], labels: Sequence[int], k: int) -> Sums:
    """Add up each cluster's points."""
    sums = Sums(k, len(points[0]))
    totals, counts = sums.totals, sums.counts
    square_total = 0
    for i, (point, label) in enumerate(zip(points, labels)):
        w = 1 if weights is None else weights[i]
        counts[label] += w
        square_total += w * sum(v * v for v in point)
        total = totals[label]
        for ch, v in enumerate(point):
            total[ch] += w * v
    sums.square_total = square_total
    return sums


def farthest_points(
    points: Sequence[Point],
    labels: Sequence[int],
    centroids: Sequence[Centroid],
    metric: Metric,
    wanted: int,
) -> List[Point]:
    """Up to ``wanted`` distinct colours, farthest from their own centroid first.

    Order: exact distance (``metric.key``) descending, then point index
    ascending.  Points at distance 0 never move, and a colour is taken once.
    """
    keyed = [(checked_key(metric, p, centroids[label], label), i) for i, (p, label) in enumerate(zip(points, labels))]
    keyed.sort(key=lambda item: (-item[0], item[1]))
    chosen: List[Point] = []
    seen = set()
    for key, i in keyed:
        if len(chosen) == wanted or key == 0:
            break
        if points[i] not in seen:
            seen.add(points[i])
            chosen.append(points[i])
    return chosen


@dataclass(frozen=True)
class Loop:
    """How :func:`iterate` runs: at most ``max_iter`` iterations, the ``empty`` policy, and what it reports.

    ``tol`` (None: off, the default) is KM-STOP-4's relative inertia
    tolerance, an exact rational (a Fraction, an int, or a decimal string
    such as ``"1e-5"``; a float means the exact value it holds).
    """

    max_iter: int = 300
    empty: str = "keep"
    trace: bool = False
    trace_labels: bool = False
    progress: Optional[Callable[[Step], None]] = None
    tol: Optional[Any] = None

    def check(self) -> None:
        """Refuse an unknown empty-cluster policy, a ``max_iter`` that is not a count, or a bad ``tol``."""
        if self.empty not in EMPTY_POLICIES:
            raise UsageError(f"unknown empty-cluster policy {self.empty!r}; choose from {', '.join(EMPTY_POLICIES)}")
        max_iter = self.max_iter
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 0:
            raise UsageError(f"max_iter must be a non-negative integer, got {max_iter!r}")
        exact_tol(self.tol)

    def settled(self, before: Optional[Fraction], after: Fraction) -> bool:
        """KM-STOP-4: the exact inertia moved from ``before`` to ``after`` by less than ``tol`` of ``before``."""
        tol = exact_tol(self.tol)
        return tol is not None and before is not None and abs(before - after) < tol * before


def exact_tol(tol: Any) -> Optional[Fraction]:
    """``tol`` as an exact non-negative Fraction (None stays None); anything else is a UsageError."""
    if tol is None:
        return None
    try:
        if isinstance(tol, bool) or not isinstance(tol, (int, float, str, Fraction)):
            raise TypeError
        exact = Fraction(tol)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        raise UsageError(f"tol must be a non-negative rational number, got {tol!r}") from None
    if exact < 0:
        raise UsageError(f"tol must be a non-negative rational number, got {tol!r}")
    return exact


class Assignment(Protocol):
    """The assignment step that an engine gives :func:`iterate`."""

    metric: Metric
    #: The clusters' sums after the last ``assign``.
    sums: Sums

    def assign(self, centroids: Sequence[Centroid]) -> Optional[int]:
        """Label every point with its nearest centroid; return the weight that changed label (None the first time)."""

    def ordered_labels(self) -> List[int]:
        """The labels, one per point in the order the engine was given its points."""

    def farthest(self, wanted: int) -> Sequence[Point]:
        """KM-EMP-2: up to ``wanted`` colours farthest from their centroid (see :func:`farthest_points`)."""


class Points:
    """The assignment step over a list of points: every pixel, or each distinct colour weighted by its count."""

    def __init__(self, points: Sequence[Point], metric: Metric, weights: Optional[Sequence[int]] = None) -> None:
        self.points = points
        self.metric = metric
        self.weights = weights
        self.centroids: Sequence[Centroid] = []
        self.labels: Optional[List[int]] = None
        self.sums = Sums(0, 0)

    def assign(self, centroids: Sequence[Centroid]) -> Optional[int]:
        previous = self.labels
        self.centroids = centroids
        labels = self.labels = self.label(centroids)
        self.sums = accumulate(self.points, self.weights, labels, len(centroids))
        if previous is None:
            return None
        if self.weights is None:
            return sum(a != b for a, b in zip(previous, labels))
        return sum(w for a, b, w in zip(previous, labels, self.weights) if a != b)

    def label(self, centroids: Sequence[Centroid]) -> List[int]:
        """The labels for ``centroids`` (the conformance replay decides ties its own way here)."""
        return assign(self.points, centroids, self.metric)

    def ordered_labels(self) -> List[int]:
        assert self.labels is not None
        return self.labels

    def farthest(self, wanted: int) -> List[Point]:
        assert self.labels is not None
        return farthest_points(self.points, self.labels, self.centroids, self.metric, wanted)


def lloyd(
    points: Sequence[Point],
    centroids: Sequence[Centroid],
    metric: Metric,
    *,
    weights: Optional[Sequence[int]] = None,
    **options: Any,
) -> Result:
    """Run Lloyd's algorithm over ``points`` (weighted by ``weights``) from the exact ``centroids``.

    ``options`` are those of :class:`Loop`: ``max_iter``, ``empty``,
    ``trace``, ``trace_labels``, ``progress`` and ``tol``.
    """
    return iterate(Points(points, metric, weights), centroids, Loop(**options))
