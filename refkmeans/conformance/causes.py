"""Why a check failed: the likely cause, found by testing hypotheses against the candidate's numbers.

The certifier (:mod:`certify`) decides *that* a step is wrong; this module
explains *why*, naming one of :data:`diagnosis.CAUSES` (KM-DIAG-1).  Each
cause is a concrete hypothesis tested on the candidate's own numbers: "the
labels are the argmin of distances computed with uint8 wraparound" is either
true for the failing pixels or not, and a cause is named only when it is.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from ..metric import SQUARED_ORDER, Metric, declared_geometry
from ..plugins import Registry
from ..rational import Centroid, mean, to_text
from . import diagnosis as dx
from .diagnosis import Diagnosis
from .exact import Judge, MaybeCentroid
from .replay import one_more_step
from .tolerance import Tolerance
from .vectors import Case


class Diagnoser:
    """The diagnoses of one case's failed checks."""

    def __init__(self, case: Case, metric: Metric, tol: Tolerance, registry: Registry) -> None:
        self.case = case
        self.metric = metric
        self.tol = tol
        self.registry = registry
        self.key_name = "squared distance" if declared_geometry(metric) in SQUARED_ORDER else "distance"

    def assignment(
        self,
        t: Optional[int],
        judge: Judge,
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        failing: List[int],
        tie_breaks: List[int],
        previous: Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]],
        check: str,
    ) -> Diagnosis:
        case = self.case
        pixels = case.pixels
        if tie_breaks and (not failing or tie_breaks[0] < failing[0]):
            i = tie_breaks[0]
            best = judge.nearest(pixels[i]).best
            return Diagnosis(
                check,
                "KM-ASN-2",
                "tie-rule",
                f"pixel {i} {pixels[i]} is exactly as far from centroids {best} and {labels[i]}; the candidate "
                f"took {labels[i]}",
                iteration=t,
                details=self._pixel_details(i, judge, centroids, labels[i], best)
                + [f"{len(tie_breaks)} exact tie(s) at this step went to a higher index"],
                evidence="--ties lowest holds candidates to the reference's tie rule",
                snippet=dx.exact_snippet(pixels[i], {best: centroids[best], labels[i]: centroids[labels[i]]},
                                         case.metric),
            )
        i = failing[0]
        label = labels[i]
        if centroids[label] is None:
            return Diagnosis(
                check,
                "KM-ASN-1",
                "empty-cluster",
                f"pixel {i} {pixels[i]} is labelled {label}, whose centroid is not a number",
                iteration=t,
                evidence="a centroid becomes NaN when an empty cluster's mean is taken over no pixels",
            )
        best = judge.nearest(pixels[i]).best
        gaps = [judge.gap(pixels[f], labels[f]) for f in failing if centroids[labels[f]] is not None]
        details = self._pixel_details(i, judge, centroids, label, best)
        details.append(
            f"gap {dx.num(gaps[0])} exceeds the {self.tol.name} tolerance {dx.num(self.tol.assignment)}; "
            f"{len(failing)} of {len(pixels)} labels are wrong at this step"
        )
        cause, rule, evidence = "unknown", "KM-ASN-1", ""
        wrap = explains_wraparound(pixels, centroids, labels, failing, case.maxval)
        other_metric = explains_metric(pixels, centroids, labels, failing, self._metrics(), case.metric)
        stale = self._explains_stale(previous, labels, failing)
        looser = self.tol.looser()
        unassigned = check == "final labels" and len(set(labels)) == 1 and len(failing) > 0
        if wrap:
            cause, evidence = "wraparound", wrap
        elif unassigned:
            cause, rule = "stale-labels", "KM-STOP-3"
            evidence = (f"every label is {labels[0]}: no assignment was made against the final centroids "
                        "(even max_iter = 0 returns the labels of the centroids returned)")
        elif stale:
            cause, rule, evidence = "stale-labels", "KM-STOP-3", stale
        elif other_metric:
            cause, rule, evidence = "metric", "KM-ASN-3", other_metric
        elif looser is not None and max(gaps) <= looser.assignment:
            cause, rule = "rounding", "KM-TOL-2"
            evidence = (f"every gap is within the {looser.name} tolerance {dx.num(looser.assignment)}: declare "
                        f"--tolerance {looser.name} if the candidate computes in {looser.name}")
        elif max(gaps) <= Fraction(self.tol.scale, 2**10):
            cause, rule = "rounding", "KM-TOL-2"
            evidence = "every gap is below 2**-10 of the largest possible distance: arithmetic coarser than float32?"
        return Diagnosis(
            check,
            rule,
            cause,
            f"pixel {i} {pixels[i]} is labelled {label}, but centroid {best} is nearer",
            iteration=t,
            details=details,
            evidence=evidence,
            snippet=dx.exact_snippet(pixels[i], {label: centroids[label], best: centroids[best]}, case.metric),
        )


    def stale_final_labels(
        self,
        judge: Judge,
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        wrong: List[int],
        last: Tuple[Sequence[MaybeCentroid], Sequence[int]],
    ) -> Diagnosis:
        """The final labels are the last trace entry's, and wrong for the final centroids."""
        d = self.assignment(None, judge, centroids, labels, wrong, [], last, "final labels")
        d.cause, d.rule = "stale-labels", "KM-STOP-3"
        d.evidence = (
            "the final labels are those of the last trace entry, assigned before the last update; when "
            "max_iter stops the run, one more assignment must be made against the final centroids"
        )
        return d

    def not_fixed_point(
        self, j: int, n: int, total: Sequence[int], got: MaybeCentroid, labels: Sequence[int],
        failing: Sequence[Tuple[int, MaybeCentroid]] = (),
    ) -> Diagnosis:
        """Centroid j of a final state (the reference converged) is not the mean of its n pixels."""
        unknown_before: List[MaybeCentroid] = [None] * self.case.k  # a fixed point has no "before"
        d = self.mean(None, j, n, total, mean(total, n), got, labels, unknown_before, None, failing)
        if d.cause == "wrong-mean" and not d.evidence:
            d.cause, d.rule = "iteration-count", "KM-STOP-1"
            d.evidence = "the reference converged; a state that is not a fixed point stopped too early"
        d.check = "fixed point"
        return d

    def mean(
        self,
        t: Optional[int],
        j: int,
        n: int,
        total: Sequence[int],
        exact: Centroid,
        got: MaybeCentroid,
        labels: Sequence[int],
        centroids: Sequence[MaybeCentroid],
        previous_labels: Optional[Sequence[int]],
        failing: Sequence[Tuple[int, MaybeCentroid]] = (),
    ) -> Diagnosis:
        """Centroid j is not the mean of its n pixels; ``failing`` lists every failing cluster at this step.

        Each hypothesis is tested on every failing centroid at once, so a named wrong mean fits them all
        (KM-DIAG-2).
        """
        step = "" if t is None else f" after iteration {t}"
        failing = list(failing) or [(j, got)]
        details = [
            f"cluster {j}: {n} pixel(s), channel sums {tuple(total)}",
            f"exact mean {dx.vec(exact)} = ({', '.join(to_text(v) for v in exact)})",
            f"candidate's centroid {dx.vec(got)}",
        ]
        if got is not None:
            details.append(
                f"largest difference {float(dx.worst_difference(got, exact)):.4g} exceeds the {self.tol.name} "
                f"tolerance {float(self.tol.centroid(n)):.3g}"
            )
        if len(failing) > 1:
            details.append(f"{len(failing)} centroids fail at this step: clusters {[i for i, _ in failing]}")
        cause, rule, evidence = "wrong-mean", "KM-UPD-1", ""
        members = {i: [p for p, label in zip(self.case.pixels, labels) if label == i] for i, _ in failing}
        if any(g is None for _, g in failing):
            evidence = "the centroid of a non-empty cluster is not a number"
        elif previous_labels is not None and all(
            self._mean_of(previous_labels, i) is not None
            and dx.close_to(g, self._mean_of(previous_labels, i), self.tol.centroid(len(members[i])))
            for i, g in failing
        ):
            cause, rule = "stale-labels", "KM-STOP-3"
            evidence = "it is the mean of the cluster under the previous iteration's labels"
        else:
            fits = [
                name
                for name in MEAN_VARIANTS
                if all(dx.close_to(g, mean_variant(name, members[i]), self.tol.centroid(len(members[i])))
                       for i, g in failing)
            ]
            looser = self.tol.looser()
            if fits:
                evidence = (f"it equals {' or '.join(fits)}"
                            + (f", as do all {len(failing)} failing centroids" if len(failing) > 1 else ""))
            elif all(centroids[i] is not None and g == centroids[i] for i, g in failing):
                evidence = "the centroid did not move: the update was skipped"
            elif looser is not None and all(
                dx.close_to(g, mean_variant(EXACT_MEAN, members[i]), looser.centroid(len(members[i])))
                for i, g in failing
            ):
                cause, rule = "rounding", "KM-TOL-3"
                evidence = (f"within the {looser.name} tolerance {float(looser.centroid(n)):.3g}: declare "
                            f"--tolerance {looser.name} if the candidate computes in {looser.name}")
        return Diagnosis(
            "update" if t is not None else "fixed point",
            rule,
            cause,
            f"centroid {j}{step} is not the mean of its {n} pixel(s)",
            iteration=t,
            details=details,
            evidence=evidence,
        )

    def refill(
        self,
        t: int,
        labels: Sequence[int],
        sums: Any,
        following: Sequence[MaybeCentroid],
        empties: Sequence[int],
        wrong_means: Sequence[int],
        wrong_empty: Sequence[int],
    ) -> Optional[Diagnosis]:
        """A diagnosis when only the clusters of a refill fail: the empty one and the one it took from.

        Two refill patterns take from a populated cluster (KM-DIAG-3): *pixels move* (the donor's centroid
        is the mean of its pixels less those that went to refill, as scikit-learn and OpenCV do) and *a split* (the donor's mean is
        copied into the empty cluster and the copies are pushed apart, as Faiss does: both end within 1/64
        of the donor's exact mean, relative to its size).
        """
        if not empties or not wrong_means:
            return None
        pixels = self.case.pixels
        seen: List[str] = []
        explained: Set[int] = set()
        for d in wrong_means:
            n, total, got_d = sums.counts[d], sums.totals[d], following[d]
            if got_d is None:
                return None
            exact = mean(total, n)
            tolerance = self.tol.centroid(n)
            moved = self._moved_pixels(d, labels, total, n, got_d, following, empties, tolerance)
            if moved is not None:
                shown = ", ".join(f"pixel {i} {pixels[i]} to cluster {e}" for i, e in moved)
                seen.append(f"pixels move: cluster {d} gave {shown}, so its centroid is the mean of its other "
                            f"{n - len(moved)} pixel(s)" + (" (none left: the sum of nothing)" if len(moved) == n
                                                             else ""))
                explained.update([d, *(e for _, e in moved)])
                continue
            # A split leaves the donor and its copies close to the donor's exact mean (within 1/64 of it).
            copies = [e for e in empties if _relative_gap(following[e], exact) <= Fraction(1, 64)]
            if not copies or _relative_gap(got_d, exact) > Fraction(1, 64):
                return None
            nudge = max(_relative_gap(following[e], exact) for e in copies)
            seen.append(f"a split: cluster {d}'s mean {dx.vec(exact)} was copied into empty cluster(s) {copies} and "
                        f"the copies pushed apart (by up to a factor 1 \u00b1 {float(nudge):.3g})")
            explained.update([d, *copies])
        if not set(wrong_empty) <= explained:
            return None
        policy = self.case.empty
        return Diagnosis(
            "update",
            "KM-EMP-2" if policy == "farthest" else "KM-EMP-1",
            "empty-cluster",
            f"cluster(s) {list(empties)} received no pixel at iteration {t}; the candidate refilled from a "
            f"populated cluster, which changed that cluster's centroid too",
            iteration=t,
            details=seen,
            evidence=f"refill pattern: {'; '.join(seen)}. Under policy {policy!r} "
            + ("the empty cluster moves to the farthest colour and no other mean changes"
               if policy == "farthest" else "an empty cluster keeps its centroid and no other mean changes"),
        )

    def _moved_pixels(
        self, d: int, labels: Sequence[int], total: Sequence[int], n: int, got_d: Centroid,
        following: Sequence[MaybeCentroid], empties: Sequence[int], tolerance: Fraction,
    ) -> Optional[List[Tuple[int, int]]]:
        """(pixel, empty cluster) pairs whose removal makes ``got_d`` the donor's mean, if any.

        The empty clusters took pixels of the donor (each now sits on its pixel's colour); the donor's
        centroid is the mean of what is left (scikit-learn keeps 0, the empty sum, when nothing is).
        """
        pixels = self.case.pixels
        members = [i for i, label in enumerate(labels) if label == d]
        taken: List[Tuple[int, int]] = []
        for e in empties:
            i = next((i for i in members if i not in [m for m, _ in taken] and following[e] is not None
                      and dx.close_to(following[e], tuple(Fraction(v) for v in pixels[i]), self.tol.start)), None)
            if i is not None:
                taken.append((i, e))
        for r in range(1, min(len(taken), 6) + 1):
            for chosen in itertools.combinations(taken, r):
                rest = [s - sum(pixels[i][ch] for i, _ in chosen) for ch, s in enumerate(total)]
                expected = mean(rest, n - r) if n > r else tuple(Fraction(0) for _ in rest)
                if dx.close_to(got_d, expected, tolerance):
                    return list(chosen)
        # A pixel that left for an empty cluster placed elsewhere (policy 'farthest' moved that one).
        lost = next((i for i in members if n > 1
                     and dx.close_to(got_d, mean([s - v for s, v in zip(total, pixels[i])], n - 1), tolerance)), None)
        return None if lost is None else [(lost, empties[0])]

    def empty(
        self,
        t: int,
        j: int,
        expected: MaybeCentroid,
        got: MaybeCentroid,
        before: MaybeCentroid,
        relocated: bool,
    ) -> Diagnosis:
        case = self.case
        if got is None:
            what = "made it not a number (the mean of no pixels)"
        elif before is not None and dx.close_to(got, before, self.tol.start):
            what = f"left it at {dx.vec(got)}"
        elif got in [tuple(Fraction(v) for v in p) for p in case.pixels]:
            what = f"moved it to {dx.vec(got)}, a pixel's colour (a relocation)"
        else:
            what = f"moved it to {dx.vec(got)}"
        policy = case.empty
        if relocated:
            should = f"policy 'farthest' moves it to {dx.vec(expected)} (KM-EMP-2)"
        else:
            should = f"policy {policy!r} leaves it at {dx.vec(before)}"
        return Diagnosis(
            "update",
            "KM-EMP-2" if policy == "farthest" else "KM-EMP-1",
            "empty-cluster",
            f"cluster {j} received no pixel at iteration {t}; {should}, the candidate {what}",
            iteration=t,
        )



    def final_difference(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> Diagnosis:
        """The candidate's (self-consistent) final state is not the reference's and no tie explains it."""
        case = self.case
        ref = case.final
        assert ref is not None
        details = [
            f"reference: {ref.iterations} iteration(s), {'converged' if ref.converged else 'stopped by max_iter'}",
            f"labels differ from the reference's at {sum(a != b for a, b in zip(labels, ref.labels))} of "
            f"{len(labels)} pixels",
        ]
        ref_empty = [s.iteration for s in case.steps if s.empty]
        worst = [
            (j, dx.worst_difference(c, r)) for j, (c, r) in enumerate(zip(centroids, ref.centroids)) if c is not None
        ]
        if worst and not ref_empty:
            j, w = max(worst, key=lambda x: x[1])
            details.append(f"centroid {j}: {dx.vec(centroids[j])}, reference {dx.vec(ref.centroids[j])} "
                           f"(differs by {float(w):.4g})")
        if ref_empty:
            first = case.steps[ref_empty[0]]
            e = first.empty[0]
            details.append(f"cluster {e} (empty in the reference at iteration {first.iteration}): candidate "
                           f"{dx.vec(centroids[e])}, reference {dx.vec(ref.centroids[e])}")
            return Diagnosis(
                "reference",
                "KM-EMP-1",
                "empty-cluster",
                f"the final state differs from the reference's, which has cluster {first.empty[0]} go empty at "
                f"iteration {first.iteration} (policy {case.empty!r})",
                details=details,
                evidence="the candidate likely handled the empty cluster differently (relocated it, or gave it NaN)",
            )
        summary = "the final state differs from the reference's and no tie decision explains it"
        evidence = (
            "the reference passes through ties here, but no exact replay through them reaches this state; "
            "return a 'trace' so that each step can be certified"
            if case.result == "acceptable"
            else "this case has no ties or near-ties: its answer is unique"
        )
        return Diagnosis("reference", "KM-UPD-1", "unknown", summary, details=details, evidence=evidence)


    def iteration_count(self, centroids: Sequence[MaybeCentroid]) -> Optional[Diagnosis]:
        """A diagnosis if the final centroids are the reference's after one iteration more or fewer."""
        case = self.case
        ref = case.final
        assert ref is not None
        if ref.converged:
            return None
        tolerance = max(self.tol.centroid(len(case.pixels)), self.tol.start)
        neighbours = []
        if case.steps:
            neighbours.append((case.max_iter - 1, case.steps[-1].centroids))
        extra = one_more_step(case, self.metric)
        if extra is not None:
            neighbours.append((case.max_iter + 1, extra))
        for count, state in neighbours:
            if all(dx.close_to(c, s, tolerance) for c, s in zip(centroids, state)):
                return Diagnosis(
                    "reference",
                    "KM-STOP-2",
                    "iteration-count",
                    f"the final centroids are the reference's after {count} iteration(s); max_iter is {case.max_iter}",
                    details=[f"reference after {count} iteration(s): {', '.join(dx.vec(c) for c in state[:4])}"
                             + (", ..." if len(state) > 4 else "")],
                    evidence=f"they match the reference's state after {count} iterations within the tolerance",
                )
        return None


    def _pixel_details(
        self, i: int, judge: Judge, centroids: Sequence[MaybeCentroid], label: int, best: int
    ) -> List[str]:
        w = self.case.width or 1
        point = self.case.pixels[i]
        return [
            f"pixel {i} at (x={i % w}, y={i // w}) = {point}",
            f"candidate's centroid {label} = {dx.vec(centroids[label])}: exact {self.key_name} "
            f"{dx.num(Fraction(judge.key(point, label)))}",
            f"nearest centroid {best} = {dx.vec(centroids[best])}: exact {self.key_name} "
            f"{dx.num(Fraction(judge.key(point, best)))}",
        ]


    def _metrics(self) -> Dict[str, Any]:
        return {name: self.registry.metric(name) for name in ("euclidean", "manhattan", "chebyshev")}


    def _explains_stale(
        self,
        previous: Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]],
        labels: Sequence[int],
        failing: List[int],
    ) -> str:
        if previous is None or any(c is None for c in previous[0]):
            return ""
        old = Judge(previous[0], self.metric, self.tol.assignment)
        pixels = self.case.pixels
        if all(old.gap(pixels[i], labels[i]) <= self.tol.assignment for i in failing):
            return (
                f"the {len(failing)} wrong labels are argmins for the centroids of the previous iteration: "
                "labels and centroids are out of step"
            )
        return ""


    def _mean_of(self, labels: Sequence[int], j: int) -> Optional[Centroid]:
        members = [p for p, label in zip(self.case.pixels, labels) if label == j]
        if not members:
            return None
        return mean([sum(ch) for ch in zip(*members)], len(members))


# --- hypotheses about assignment failures -----------------------------------------


def wrapped_argmin(pixel: Sequence[int], centroids: Sequence[Tuple[int, ...]], bits: int) -> int:
    """The argmin (lowest index on a tie) of distances computed with unsigned wraparound.

    ``(x - c) mod 2**bits`` is what ``uint8`` or ``uint16`` arrays give when
    a pixel and an integer centroid are subtracted without widening.

    >>> wrapped_argmin((10,), [(60,), (250,)], 8)  # 10 - 250 wraps to 16
    1
    """
    modulus = 1 << bits
    best, best_key = 0, None
    for j, c in enumerate(centroids):
        key = sum(((x - v) % modulus) ** 2 for x, v in zip(pixel, c))
        if best_key is None or key < best_key:
            best, best_key = j, key
    return best


def explains_wraparound(
    pixels: Sequence[Tuple[int, ...]], centroids: Sequence[Optional[Centroid]], labels: Sequence[int],
    failing: Sequence[int], maxval: int,
) -> Optional[str]:
    """Evidence that wraparound explains the failing labels, or None."""
    if any(c is None or any(v.denominator != 1 for v in c) for c in centroids):
        return None  # wraparound needs integer centroids (the first pass)
    ints = [tuple(int(v) for v in c) for c in centroids]  # type: ignore[union-attr]
    for bits in ((8, 16) if maxval <= 255 else (16,)):
        hits = sum(1 for i in failing if wrapped_argmin(pixels[i], ints, bits) == labels[i])
        if hits == len(failing):
            agree = sum(1 for p, label in zip(pixels, labels) if wrapped_argmin(p, ints, bits) == label)
            return (
                f"with uint{bits} arithmetic, (x - c) mod {1 << bits}, the argmin gives the candidate's label "
                f"for all {len(failing)} mislabelled pixels ({agree} of {len(labels)} pixels in all)"
            )
    return None


def explains_metric(
    pixels: Sequence[Tuple[int, ...]], centroids: Sequence[Optional[Centroid]], labels: Sequence[int],
    failing: Sequence[int], metrics: Dict[str, Metric], case_metric: str,
) -> Optional[str]:
    """Evidence that another built-in metric explains the failing labels, or None."""
    if any(c is None for c in centroids):
        return None
    same = {"euclidean": "sqeuclidean", "sqeuclidean": "euclidean"}.get(case_metric)
    for name, metric in metrics.items():
        if name in (case_metric, same):
            continue
        if all(_argmin(metric, pixels[i], centroids) == labels[i] for i in failing):  # type: ignore[arg-type]
            return f"the {name!r} argmin gives the candidate's label for all {len(failing)} mislabelled pixels"
    return None


def _argmin(metric: Metric, pixel: Tuple[int, ...], centroids: Sequence[Centroid]) -> int:
    return min(range(len(centroids)), key=lambda j: (metric.key(pixel, centroids[j]), j))


def _relative_gap(got: MaybeCentroid, exact: Centroid) -> Fraction:
    """The largest coordinate difference relative to the exact value (to 1 near zero); 1 for no number."""
    if got is None:
        return Fraction(1)
    return max(abs(a - m) / max(abs(m), Fraction(1)) for a, m in zip(got, exact))


# --- hypotheses about update failures ---------------------------------------------------


#: The exact mean, for the looser-tolerance hypothesis.
EXACT_MEAN = "the exact mean"

#: Wrong means that real implementations produce, by the name the diagnosis gives them.
MEAN_VARIANTS = (
    "the mean rounded down (integer division, or truncation)",
    "the mean rounded half up (the palette rule KM-OUT-1, applied to centroids)",
    "the mean rounded half to even (Python's round, numpy.rint)",
    "the mean rounded up (ceiling)",
    "the sum divided by count + 1",
    "the sum divided by count - 1",
    "the mean of the distinct colours (pixel counts ignored)",
)


def mean_variant(name: str, colours: Sequence[Tuple[int, ...]]) -> MaybeCentroid:
    """The centroid that the mean variant ``name`` gives for these colours (None where it is undefined).

    >>> [float(mean_variant(v, [(1,), (2,)])[0]) for v in MEAN_VARIANTS[:4]]
    [1.0, 2.0, 2.0, 2.0]
    """
    count = len(colours)
    if not count:
        return None
    total = [sum(ch) for ch in zip(*colours)]
    exact = mean(total, count)
    if name == EXACT_MEAN:
        return exact
    index = MEAN_VARIANTS.index(name)
    if index == 0:
        return tuple(Fraction(math.floor(v)) for v in exact)
    if index == 1:
        return tuple(Fraction(math.floor(v + Fraction(1, 2))) for v in exact)
    if index == 2:
        return tuple(Fraction(round(v)) for v in exact)
    if index == 3:
        return tuple(Fraction(math.ceil(v)) for v in exact)
    if index == 4:
        return tuple(Fraction(s, count + 1) for s in total)
    if index == 5:
        return tuple(Fraction(s, count - 1) for s in total) if count > 1 else None
    distinct = sorted(set(colours))
    return tuple(Fraction(sum(c[ch] for c in distinct), len(distinct)) for ch in range(len(total)))


def replay_with_mean(case: Case, metric: Metric, name: str) -> Optional[Tuple[List[Centroid], List[int]]]:
    """The final state of an exact Lloyd run whose update takes mean variant ``name`` (policy 'keep' only).

    Without a trace, a wrong mean shows only in the end state; rerunning the case with each hypothesised
    update tells which one the candidate made (KM-DIAG-2).
    """
    if case.empty != "keep":
        return None
    centroids: List[Centroid] = list(case.initial)

    def assign(current: Sequence[Centroid]) -> List[int]:
        judge = Judge(current, metric, Fraction(0))
        return [judge.nearest(p).best for p in case.pixels]

    for _ in range(case.max_iter):
        labels = assign(centroids)
        new = []
        for j in range(case.k):
            moved = mean_variant(name, [p for p, label in zip(case.pixels, labels) if label == j])
            new.append(centroids[j] if moved is None else moved)
        if new == centroids:
            break
        centroids = new
    return centroids, assign(centroids)
