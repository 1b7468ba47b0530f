"""Lloyd's algorithm, written to read like the notebook and to answer exactly.

The notebook's loop is::

    for i in range(iterations):
        for each pixel: distances = [norm(pixel - c) for c in centroids]
                        label = argmin(distances)
        for each cluster: centroid = mean of its pixels

This module is that loop.  Two things make it a reference rather than a sketch:

* Distances are floats only while floats can decide.  When the two nearest
  centroids are closer than the metric's rigorous error bound, the argmin is
  settled with the metric's exact ``key`` (ties go to the lowest index).
* Means are exact: integer channel sums over an integer count, a Fraction.
  The loop stops when an update leaves every centroid exactly unchanged.

``points`` may be all pixels (weights of 1: the plain engine) or the distinct
colours with their counts as weights.  Identical pixels always share a label,
so both give the same answer.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import EmptyClusterError, UsageError
from ..metric import Metric, bad_bound, check_row, checked_key, is_bound
from ..rational import Centroid, mean
from ..result import Result, Step

Point = Tuple[int, ...]

#: The empty-cluster policies, the default first.
EMPTY_POLICIES = ("keep", "farthest", "error")

_INF = float("inf")


def assign(points: Sequence[Point], centroids: Sequence[Centroid], metric: Metric) -> List[int]:
    """Label each point with its nearest centroid; an exact tie goes to the lowest index."""
    floats = [tuple(map(float, c)) for c in centroids]
    distance = metric.distance
    labels = []
    for point in points:
        distances = [distance(point, c) for c in floats]
        # A plugin metric may return nonsense (KM-LIM-5).  A negative value
        # sorts first, and one C-level sum is NaN or infinite if any distance
        # is; without this check min() would silently mislabel.  The sort is
        # needed for the near-tie test anyway, so the check costs one sum.
        try:
            ordered = sorted(distances)
            sane = 0 <= ordered[0] and sum(distances) < _INF
        except TypeError:  # not numbers at all
            sane = False
        if not sane:
            check_row(metric, point, distances)  # raises, unless finite values summed past the float range
            ordered = sorted(distances)
        nearest = distances.index(ordered[0])
        if len(ordered) > 1 and _near_tie(ordered[0], ordered[1], metric, len(point)):
            nearest = exact_nearest(point, centroids, metric, distances)
        labels.append(nearest)
    return labels


def _near_tie(d1: float, d2: float, metric: Metric, channels: int) -> bool:
    """True when floating point cannot tell the nearest centroid (at d1) from the runner-up (d2).

    Each float d is within e = error_bound(d) of the true distance, so the
    float winner is certain when the runner-up's lowest possible true distance
    exceeds the winner's highest.  Bounds are increasing and d - e(d) is
    non-decreasing, so checking the second-smallest float is enough.
    """
    if not metric.exact:
        return False
    e1 = metric.error_bound(d1, channels)
    if e1 is None:
        return True
    e2 = metric.error_bound(d2, channels)
    if e2 is None:
        return True
    # A NaN or negative bound would make the test below trust floats wrongly.
    # Plain comparisons here: an isinstance() check per pixel costs too much.
    try:
        sane = e1 >= 0 and e2 >= 0
    except TypeError:
        sane = False
    if not sane:
        raise bad_bound(metric, e1, d1) if not is_bound(e1) else bad_bound(metric, e2, d2)
    return d2 - e2 <= d1 + e1  # type: ignore[no-any-return]


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
        channels = len(point)
        d1 = min(distances)
        bounds = [metric.error_bound(d, channels) for d in distances]
        for d, bound in zip(distances, bounds):
            if bound is not None and not is_bound(bound):
                raise bad_bound(metric, bound, d)
        if None not in bounds:
            reach = d1 + bounds[distances.index(d1)]  # type: ignore[operator]
            candidates = [j for j in candidates if distances[j] - bounds[j] <= reach]  # type: ignore[operator,assignment]
    return min(candidates, key=lambda j: (checked_key(metric, point, centroids[j], j), j))


class Sums:
    """Per-cluster weighted channel sums, counts and sums of squares."""

    __slots__ = ("totals", "counts", "squares")

    def __init__(self, k: int, channels: int) -> None:
        self.totals = [[0] * channels for _ in range(k)]
        self.counts = [0] * k
        self.squares = [0] * k

    def inertia(self, centroids: Sequence[Centroid]) -> Fraction:
        """Exact sum of squared Euclidean distances of the points to their centroids.

        Per cluster: sum |x - c|^2 = sum |x|^2 - 2 c . S + n |c|^2.
        """
        total = Fraction(0)
        for c, s, n, q in zip(centroids, self.totals, self.counts, self.squares):
            if n:
                total += q - 2 * sum(a * b for a, b in zip(c, s)) + n * sum(a * a for a in c)
        return total


def accumulate(points: Sequence[Point], weights: Optional[Sequence[int]], labels: Sequence[int], k: int) -> Sums:
    """Add up each cluster's points (the exact work behind every mean)."""
    sums = Sums(k, len(points[0]))
    totals, counts, squares = sums.totals, sums.counts, sums.squares
    for i, (point, label) in enumerate(zip(points, labels)):
        w = 1 if weights is None else weights[i]
        counts[label] += w
        squares[label] += w * sum(v * v for v in point)
        total = totals[label]
        for ch, v in enumerate(point):
            total[ch] += w * v
    return sums


def update(
    points: Sequence[Point],
    labels: Sequence[int],
    centroids: Sequence[Centroid],
    sums: Sums,
    metric: Metric,
    empty: str,
    iteration: int,
) -> Tuple[List[Centroid], List[int], Dict[int, Centroid]]:
    """Move each centroid to the exact mean of its points; apply the empty-cluster policy.

    Returns the new centroids, the indices of the empty clusters, and the
    relocations that the ``farthest`` policy made.
    """
    return move_centroids(
        centroids,
        sums.totals,
        sums.counts,
        empty,
        iteration,
        lambda wanted: farthest_points(points, labels, centroids, metric, wanted),
    )


def move_centroids(
    centroids: Sequence[Centroid],
    totals: Sequence[Sequence[int]],
    counts: Sequence[int],
    empty: str,
    iteration: int,
    farthest: Callable[[int], Sequence[Point]],
) -> Tuple[List[Centroid], List[int], Dict[int, Centroid]]:
    """KM-UPD-1 and KM-EMP-1/2 from each cluster's channel sums and count, shared by every engine.

    ``farthest(wanted)`` gives the colours the ``farthest`` policy moves
    empty clusters to (KM-EMP-2); each engine finds them its own way.
    """
    new = [mean(s, n) if n else c for c, s, n in zip(centroids, totals, counts)]
    empties = [j for j, n in enumerate(counts) if n == 0]
    relocated: Dict[int, Centroid] = {}
    if empties and empty == "error":
        raise EmptyClusterError(f"cluster {empties[0]} is empty at iteration {iteration} (policy 'error')")
    if empties and empty == "farthest":
        for j, point in zip(empties, farthest(len(empties))):
            relocated[j] = new[j] = tuple(Fraction(v) for v in point)
    return new, empties, relocated


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


def lloyd(
    points: Sequence[Point],
    centroids: Sequence[Centroid],
    metric: Metric,
    *,
    weights: Optional[Sequence[int]] = None,
    max_iter: int = 300,
    empty: str = "keep",
    trace: bool = False,
    trace_labels: bool = False,
    progress: Optional[Callable[[Step], None]] = None,
) -> Result:
    """Run Lloyd's algorithm from the given exact ``centroids``.

    Each iteration assigns every point, then updates every centroid.  The
    run stops when an update changes no centroid (``converged``) or after
    ``max_iter`` iterations; the labels returned always belong to the
    centroids returned.
    """
    if empty not in EMPTY_POLICIES:
        raise UsageError(f"unknown empty-cluster policy {empty!r}; choose from {', '.join(EMPTY_POLICIES)}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 0:
        raise UsageError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    k = len(centroids)
    centroids = list(centroids)
    steps: List[Step] = []
    previous: Optional[List[int]] = None
    converged = False
    iterations = 0
    labels: List[int] = []
    sums: Optional[Sums] = None
    while iterations < max_iter:
        labels = assign(points, centroids, metric)
        sums = accumulate(points, weights, labels, k)
        new, empties, relocated = update(points, labels, centroids, sums, metric, empty, iterations)
        step = Step(
            iteration=iterations,
            centroids=tuple(centroids),
            counts=tuple(sums.counts),
            inertia=sums.inertia(centroids),
            changed=_changed(previous, labels, weights),
            empty=tuple(empties),
            relocated=relocated,
            labels=tuple(labels) if trace_labels else None,
        )
        if trace:
            steps.append(step)
        if progress is not None:
            progress(step)
        iterations += 1
        previous = labels
        if new == centroids:
            converged = True
            break
        centroids = new
    if not converged:
        # max_iter stopped us after an update (or before any step): relabel so
        # that the labels returned belong to the centroids returned.
        labels = assign(points, centroids, metric)
        sums = accumulate(points, weights, labels, k)
    assert sums is not None
    return Result(
        centroids=tuple(centroids),
        labels=labels,
        iterations=iterations,
        converged=converged,
        inertia_exact=sums.inertia(centroids),
        counts=tuple(sums.counts),
        steps=steps if trace else None,
        metric=metric.name,
    )


def _changed(previous: Optional[List[int]], labels: List[int], weights: Optional[Sequence[int]]) -> Optional[int]:
    """How many pixels changed cluster since the last iteration (None at the first)."""
    if previous is None:
        return None
    if weights is None:
        return sum(a != b for a, b in zip(previous, labels))
    return sum(w for a, b, w in zip(previous, labels, weights) if a != b)
