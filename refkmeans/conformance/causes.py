"""Why a check failed: the likely cause, found by testing hypotheses against the candidate's numbers.

The certifier (:mod:`certify`) decides *that* a step is wrong; this module
explains *why*, naming one of :data:`diagnosis.CAUSES` (KM-DIAG-1).  Each
cause is a concrete hypothesis tested on the candidate's own numbers: "the
labels are the argmin of distances computed with uint8 wraparound" is either
true for the failing pixels or not, and a cause is named only when it is.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..metric import Metric
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
        self.key_name = "squared distance" if case.metric in ("euclidean", "sqeuclidean") else "distance"

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
        self, j: int, n: int, total: Sequence[int], got: MaybeCentroid, labels: Sequence[int]
    ) -> Diagnosis:
        """Centroid j of a final state (the reference converged) is not the mean of its n pixels."""
        unknown_before: List[MaybeCentroid] = [None] * self.case.k  # a fixed point has no "before"
        d = self.mean(None, j, n, total, mean(total, n), got, labels, unknown_before, [], None)
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
        empties: List[int],
        previous_labels: Optional[Sequence[int]],
    ) -> Diagnosis:
        case = self.case
        step = "" if t is None else f" after iteration {t}"
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
        cause, rule, evidence = "wrong-mean", "KM-UPD-1", ""
        members = [i for i, label in enumerate(labels) if label == j]
        colours = [case.pixels[i] for i in members]
        tolerance = self.tol.centroid(n)
        if got is None:
            evidence = "the centroid of a non-empty cluster is not a number"
        elif empties and n > 1 and any(
            dx.close_to(got, mean([s - v for s, v in zip(total, case.pixels[i])], n - 1), tolerance) for i in members
        ):
            cause, rule = "empty-cluster", "KM-EMP-1"
            evidence = (
                f"it is the mean of its pixels less one: that pixel went to refill empty cluster {empties[0]} "
                "(as scikit-learn and OpenCV do); under 'keep' no other mean changes"
            )
        elif previous_labels is not None and self._mean_of(previous_labels, j) is not None and dx.close_to(
            got, self._mean_of(previous_labels, j), tolerance
        ):
            cause, rule = "stale-labels", "KM-STOP-3"
            evidence = "it is the mean of the cluster under the previous iteration's labels"
        elif centroids[j] is not None and dx.close_to(got, centroids[j], Fraction(0)) and got != exact:
            evidence = "the centroid did not move: the update was skipped"
        else:
            for name, variant in mean_variants(total, n, colours).items():
                if dx.close_to(got, variant, tolerance):
                    evidence = f"it equals {name}"
                    break
            else:
                looser = self.tol.looser()
                if looser is not None and dx.close_to(got, exact, looser.centroid(n)):
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
        worst = [
            (j, dx.worst_difference(c, r)) for j, (c, r) in enumerate(zip(centroids, ref.centroids)) if c is not None
        ]
        if worst:
            j, w = max(worst, key=lambda x: x[1])
            details.append(f"centroid {j}: {dx.vec(centroids[j])}, reference {dx.vec(ref.centroids[j])} "
                           f"(differs by {float(w):.4g})")
        ref_empty = [s.iteration for s in case.steps if s.empty]
        if ref_empty:
            first = case.steps[ref_empty[0]]
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


# --- hypotheses about update failures ---------------------------------------------------


def mean_variants(total: Sequence[int], count: int, colours: Sequence[Tuple[int, ...]]) -> Dict[str, Centroid]:
    """Wrong means that real implementations produce, by name."""
    variants: Dict[str, Centroid] = {
        "integer division (floor of the mean)": tuple(Fraction(s // count) for s in total),
        "the mean rounded to integers": tuple(Fraction(round(Fraction(s, count))) for s in total),
        "the sum divided by count + 1": tuple(Fraction(s, count + 1) for s in total),
    }
    if count > 1:
        variants["the sum divided by count - 1"] = tuple(Fraction(s, count - 1) for s in total)
    if colours:
        distinct = sorted(set(colours))
        variants["the mean of the distinct colours (pixel counts ignored)"] = tuple(
            Fraction(sum(c[ch] for c in distinct), len(distinct)) for ch in range(len(total))
        )
    return variants
