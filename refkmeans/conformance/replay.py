"""Replays: exact Lloyd runs that decide ties the way a candidate may have.

A candidate that returns only its final state cannot be certified step by
step, and one tie decided differently makes its whole trajectory differ from
the reference's.  The kit accepts such a difference only where it can show
the ties that produce it: it reruns the case in exact arithmetic, letting
each pixel with acceptable labels (exact ties, and near-ties within the
tolerance) take the one the candidate's final labels suggest, and checks
that this legal run ends in the candidate's final state.  Each decision that
differs from the reference's lowest-index rule is recorded so the verdict
can show it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

from ..engine.lloyd import accumulate, update
from ..errors import EmptyClusterError
from ..metric import Metric
from ..rational import Centroid
from .exact import Judge
from .vectors import Case

#: chooser(iteration or None for the final relabel, pixel index, acceptable labels lowest first) -> label
Chooser = Callable[[Optional[int], int, Sequence[int]], int]


class Decision(NamedTuple):
    """A tie or near-tie that a replay decided differently from the reference rule."""

    iteration: Optional[int]
    pixel: int
    chosen: int
    lowest: int
    gap: Fraction


class Run(NamedTuple):
    """The outcome of a replay."""

    steps: List[Tuple[List[Centroid], List[int]]]
    centroids: List[Centroid]
    labels: List[int]
    counts: List[int]
    iterations: int
    converged: bool
    decisions: List[Decision]


def replay(case: Case, metric: Metric, slack: Fraction, chooser: Chooser, allow_ties: bool = True) -> Optional[Run]:
    """Run the case exactly from its start, letting ``chooser`` settle ties; None if the policy stops it."""
    points = case.pixels
    centroids = list(case.initial)
    k = case.k
    steps: List[Tuple[List[Centroid], List[int]]] = []
    decisions: List[Decision] = []
    converged = False
    iterations = 0
    sums = None
    labels: List[int] = []
    while iterations < case.max_iter:
        labels = _assign(points, centroids, metric, slack, chooser, iterations, decisions, allow_ties)
        sums = accumulate(points, None, labels, k)
        try:
            new, _, _ = update(points, labels, centroids, sums, metric, case.empty, iterations)
        except EmptyClusterError:
            return None
        steps.append((centroids, labels))
        iterations += 1
        if new == centroids:
            converged = True
            break
        centroids = new
    if not converged:
        labels = _assign(points, centroids, metric, slack, chooser, None, decisions, allow_ties)
        sums = accumulate(points, None, labels, k)
    assert sums is not None or not points
    counts = list(sums.counts) if sums is not None else [0] * k
    return Run(steps, centroids, labels, counts, iterations, converged, decisions)


def _assign(
    points: Sequence[Tuple[int, ...]],
    centroids: Sequence[Centroid],
    metric: Metric,
    slack: Fraction,
    chooser: Chooser,
    iteration: Optional[int],
    decisions: List[Decision],
    allow_ties: bool,
) -> List[int]:
    judge = Judge(centroids, metric, slack)
    labels = []
    for i, point in enumerate(points):
        near = judge.nearest(point)
        options = [near.best] + [j for j, gap in near.rivals if allow_ties or gap > 0]
        label = near.best if len(options) == 1 else chooser(iteration, i, options)
        if label != near.best:
            gap = dict(near.rivals)[label]
            decisions.append(Decision(iteration, i, label, near.best, gap))
        labels.append(label)
    return labels


def prefer(final_labels: Sequence[int]) -> Chooser:
    """Take the candidate's final label for a pixel whenever it is among the acceptable ones."""

    def choose(iteration: Optional[int], pixel: int, options: Sequence[int]) -> int:
        wanted = final_labels[pixel]
        return wanted if wanted in options else options[0]

    return choose


def highest(iteration: Optional[int], pixel: int, options: Sequence[int]) -> int:
    """Give every tie to the highest index (a common reversed tie rule)."""
    return max(options)


def one_more_step(case: Case, metric: Metric) -> Optional[List[Centroid]]:
    """The reference's centroids after one iteration more than ``max_iter`` allowed (None if converged)."""
    if case.final is None or case.final.converged:
        return None
    sums = accumulate(case.pixels, None, case.final.labels, case.k)
    try:
        new, _, _ = update(case.pixels, case.final.labels, case.final.centroids, sums, metric, case.empty, case.max_iter)
    except EmptyClusterError:  # pragma: no cover - error-policy cases have no final state
        return None
    return new
