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
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple, Union

from ..engine.lloyd import Loop, Points, accumulate, farthest_points, iterate, update
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


class Stopped(NamedTuple):
    """A replay that the ``error`` policy stopped: where, which clusters were empty, and the decisions on the way."""

    iteration: int
    empties: List[int]
    decisions: List[Decision]


def replay(case: Case, metric: Metric, slack: Fraction, chooser: Chooser, allow_ties: bool = True) -> Optional[Run]:
    """Run the case exactly from its start, letting ``chooser`` settle ties; None if the policy stops it."""
    outcome = run_replay(case, metric, slack, chooser, allow_ties)
    return outcome if isinstance(outcome, Run) else None


def run_replay(case: Case, metric: Metric, slack: Fraction, chooser: Chooser,
               allow_ties: bool = True) -> Union[Run, Stopped]:
    """The replay's run, or where the ``error`` policy stopped it (KM-CERT-6)."""
    assigner = _Replayed(case, metric, slack, chooser, allow_ties)
    try:
        result = iterate(assigner, case.initial, Loop(max_iter=case.max_iter, empty=case.empty, trace=True,
                                                       trace_labels=True))
    except EmptyClusterError:
        used = set(assigner.last)
        return Stopped(assigner.calls - 1, [j for j in range(case.k) if j not in used], assigner.decisions)
    assert result.steps is not None
    steps = [(list(s.centroids), list(s.labels or ())) for s in result.steps]
    return Run(steps, list(result.centroids), list(result.labels), list(result.counts), result.iterations,
               result.converged, assigner.decisions)


class _Replayed(Points):
    """The reference's assignment step over the case's pixels, except that ``chooser`` settles each tie."""

    def __init__(self, case: Case, metric: Metric, slack: Fraction, chooser: Chooser, allow_ties: bool) -> None:
        super().__init__(case.pixels, metric)
        self.slack, self.chooser, self.allow_ties = slack, chooser, allow_ties
        self.max_iter = case.max_iter
        self.calls = 0
        self.decisions: List[Decision] = []
        self.last: List[int] = []

    def label(self, centroids: Sequence[Centroid]) -> List[int]:
        # The loop assigns once per iteration, then once more only to relabel after max_iter.
        iteration = self.calls if self.calls < self.max_iter else None
        self.calls += 1
        judge = Judge(centroids, self.metric, self.slack)
        labels = []
        for i, point in enumerate(self.points):
            near = judge.nearest(point)
            options = [near.best] + [j for j, gap in near.rivals if self.allow_ties or gap > 0]
            label = near.best if len(options) == 1 else self.chooser(iteration, i, options)
            if label != near.best:
                gap = dict(near.rivals)[label]
                self.decisions.append(Decision(iteration, i, label, near.best, gap))
            labels.append(label)
        self.last = labels
        return labels


def prefer(final_labels: Sequence[int]) -> Chooser:
    """Take the candidate's final label for a pixel whenever it is among the acceptable ones."""

    def choose(iteration: Optional[int], pixel: int, options: Sequence[int]) -> int:
        wanted = final_labels[pixel]
        return wanted if wanted in options else options[0]

    return choose


def avoiding(cluster: int) -> Chooser:
    """Keep ``cluster`` out of every tie, so that it goes empty where a tie rule can empty it."""

    def choose(iteration: Optional[int], pixel: int, options: Sequence[int]) -> int:
        return next((j for j in options if j != cluster), options[0])

    return choose


def highest(iteration: Optional[int], pixel: int, options: Sequence[int]) -> int:
    """Give every tie to the highest index (a common reversed tie rule)."""
    return max(options)


def one_more_step(case: Case, metric: Metric) -> Optional[List[Centroid]]:
    """The reference's centroids after one iteration more than ``max_iter`` allowed (None if converged)."""
    if case.final is None or case.final.converged:
        return None
    final = case.final
    sums = accumulate(case.pixels, None, final.labels, case.k)
    try:
        new, _, _ = update(final.centroids, sums, case.empty, case.max_iter,
                           lambda wanted: farthest_points(case.pixels, final.labels, final.centroids, metric, wanted))
    except EmptyClusterError:  # pragma: no cover - error-policy cases have no final state
        return None
    return new
