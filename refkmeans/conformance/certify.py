"""The step-wise certifier: is each step of the candidate's own run a legal Lloyd step?

Comparing whole trajectories is brittle: one tie decided the other way makes
everything after it differ.  So the certifier checks the candidate against
itself, in exact arithmetic (SPEC.md section 9, KM-CERT-*):

* at every iteration t, its labels are an exact argmin for its own
  centroids at t (an exact tie either way is fine, a near-tie within the
  tolerance class is fine; both are reported);
* its centroids at t + 1 are the means of its labels at t, within the
  tolerance class; an empty cluster follows the case's policy;
* it starts from the case's centroids and obeys the stop rule, and its final
  labels belong to its final centroids.

A candidate that returns only its final state is checked for what can be
checked (KM-CERT-5): its labels are an argmin for its centroids; where the
reference converged, its state is a fixed point and equals the reference's;
where ``max_iter`` stopped the reference, its centroids equal the
reference's.  A difference is accepted only when an exact replay shows the
ties that produce it (:mod:`replay`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..engine.lloyd import accumulate, farthest_points
from ..metric import SQUARED_ORDER, declared_geometry
from ..rational import Centroid, mean
from . import diagnosis as dx
from .candidates import Output
from .diagnosis import Diagnosis
from .exact import Judge, MaybeCentroid
from .replay import Run, highest, one_more_step, prefer, replay
from .tolerance import Tolerance
from .vectors import Case, builtin_registry

PASS, ACCEPTABLE, FAIL, ERROR, SKIP = "pass", "acceptable", "fail", "error", "skip"
#: Statuses that make a run non-conformant.
FAILING = (FAIL, ERROR)
TIE_RULES = ("any", "lowest")


class Deviation:
    """A label the candidate chose where the reference rule would choose another, legitimately."""

    __slots__ = ("iteration", "pixel", "chosen", "lowest", "gap")

    def __init__(self, iteration: Optional[int], pixel: int, chosen: int, lowest: int, gap: Fraction) -> None:
        self.iteration = iteration
        self.pixel = pixel
        self.chosen = chosen
        self.lowest = lowest
        self.gap = gap

    @property
    def kind(self) -> str:
        """'exact tie' or 'near-tie'."""
        return "exact tie" if self.gap == 0 else "near-tie"

    def text(self) -> str:
        where = "final" if self.iteration is None else f"iteration {self.iteration}"
        gap = "" if self.gap == 0 else f", exact gap {dx.num(self.gap)}"
        return f"{where}, pixel {self.pixel}: {self.kind} between centroids {self.lowest} and {self.chosen}{gap}; took {self.chosen}"

    def to_json(self) -> Dict[str, Any]:
        return {
            "iteration": self.iteration,
            "pixel": self.pixel,
            "chosen": self.chosen,
            "lowest": self.lowest,
            "gap": str(self.gap),
        }


class Verdict:
    """The outcome for one case."""

    def __init__(
        self,
        case_id: str,
        status: str,
        mode: str = "",
        tolerance: str = "",
        verified: Sequence[str] = (),
        notes: Sequence[str] = (),
        deviations: Sequence[Deviation] = (),
        diagnosis: Optional[Diagnosis] = None,
        message: str = "",
        matches_reference: Optional[bool] = None,
        iterations: Optional[int] = None,
    ) -> None:
        self.case_id = case_id
        self.status = status
        self.mode = mode
        self.tolerance = tolerance
        self.verified = list(verified)
        self.notes = list(notes)
        self.deviations = list(deviations)
        self.diagnosis = diagnosis
        self.message = message
        self.matches_reference = matches_reference
        #: How many iterations the candidate's trace holds (step-wise certification only).
        self.iterations = iterations
        #: Set by the runner when the case was expected to fail (an xfail list).
        self.expected_failure = ""

    @property
    def cause(self) -> str:
        """The likely cause of a failure ('' otherwise)."""
        return self.diagnosis.cause if self.diagnosis else ""

    def to_json(self) -> Dict[str, Any]:
        return {
            "case": self.case_id,
            "status": self.status,
            "mode": self.mode,
            "tolerance": self.tolerance,
            "matches_reference": self.matches_reference,
            "iterations": self.iterations,
            "verified": self.verified,
            "notes": self.notes,
            "deviations": [d.to_json() for d in self.deviations],
            "diagnosis": self.diagnosis.to_json() if self.diagnosis else None,
            "message": self.message,
            "expected_failure": self.expected_failure or None,
        }

    def __repr__(self) -> str:
        return f"Verdict({self.case_id!r}, {self.status}{', ' + self.cause if self.cause else ''})"


class _Failed(Exception):
    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.summary)
        self.diagnosis = diagnosis


#: Deviations listed in full per check; the rest are counted.
SHOWN_DEVIATIONS = 5


class Certifier:
    """Certify one candidate answer for one case."""

    def __init__(self, case: Case, tolerance: str = "float64", ties: str = "any") -> None:
        if ties not in TIE_RULES:
            raise ValueError(f"ties must be one of {TIE_RULES}, got {ties!r}")
        self.case = case
        self.registry = builtin_registry()
        self.metric = self.registry.metric(case.metric)
        self.tol = Tolerance(tolerance, case.channels, case.maxval, case.metric)
        self.strict_ties = ties == "lowest"
        self.verified: List[str] = []
        self.notes: List[str] = []
        self.deviations: List[Deviation] = []
        self.iterations: Optional[int] = None
        self.key_name = "squared distance" if declared_geometry(self.metric) in SQUARED_ORDER else "distance"

    # -- entry point --------------------------------------------------------------

    def certify(self, output: Output) -> Verdict:
        """The verdict for ``output``."""
        case = self.case
        mode = "error policy" if case.expected_error else ("step-wise" if output.trace is not None else "final state")
        try:
            if case.expected_error is not None:
                matches = self._error_policy(output)
            elif output.error is not None:
                raise _Failed(self._unexpected_error(output.error))
            elif output.trace is not None:
                matches = self._stepwise(output)
            else:
                matches = self._final_only(output)
        except _Failed as failed:
            return self._verdict(FAIL, mode, failed.diagnosis, None)
        status = ACCEPTABLE if self.deviations or not matches else PASS
        return self._verdict(status, mode, None, matches)

    def _verdict(self, status: str, mode: str, diagnosis: Optional[Diagnosis], matches: Optional[bool]) -> Verdict:
        return Verdict(
            self.case.id,
            status,
            mode=mode,
            tolerance=self.tol.name,
            verified=self.verified,
            notes=self.notes,
            deviations=self.deviations,
            diagnosis=diagnosis,
            matches_reference=matches,
            iterations=self.iterations,
        )

    # -- step-wise ------------------------------------------------------------------

    def _stepwise(self, output: Output) -> bool:
        case = self.case
        trace = output.trace or []
        final_c, final_l = output.centroids, output.labels
        assert final_c is not None and final_l is not None
        T = self.iterations = len(trace)
        self._check_length(trace, final_c)
        self._check_start(trace[0][0] if trace else final_c, returned=not trace and case.max_iter == 0)
        for t, (centroids, labels) in enumerate(trace):
            previous = trace[t - 1] if t else None
            following = trace[t + 1][0] if t + 1 < T else final_c
            if previous == (centroids, labels) and following == centroids:
                continue  # an idle iteration repeats the checks of the one before it exactly
            self._check_assignment(t, centroids, labels, previous)
            self._check_update(t, centroids, labels, following, previous[1] if previous else None)
        if T:
            n, k = len(case.pixels), case.k
            self.verified.append(
                f"{T} iteration(s) step by step: {n * T} labels as exact argmins, {k * T} centroids as exact means"
            )
        self._check_stop(trace, final_c)
        last = trace[-1] if trace else None
        self._check_final_labels(final_c, final_l, last)
        return self._compare_trajectory(trace, final_c, final_l)

    def _check_start(self, centroids: Sequence[MaybeCentroid], returned: bool = False) -> None:
        """The run starts from the given centroids (``returned``: these are the final ones, max_iter 0)."""
        tolerance = self.tol.start
        for j, (given, got) in enumerate(zip(self.case.initial, centroids)):
            if not dx.close_to(got, given, tolerance) and returned:
                raise _Failed(
                    Diagnosis(
                        "stop",
                        "KM-STOP-2",
                        "iteration-count",
                        f"max_iter is 0, but centroid {j} moved from {dx.vec(given)} to {dx.vec(got)}",
                        iteration=0,
                        evidence="max_iter = 0 performs no iteration: the start is returned with its labels",
                    )
                )
            if not dx.close_to(got, given, tolerance):
                raise _Failed(
                    Diagnosis(
                        "start",
                        "KM-INIT-4",
                        "initial-centroids",
                        f"centroid {j} starts at {dx.vec(got)}, the case gives {dx.vec(given)}",
                        iteration=0,
                        details=[f"tolerance {float(tolerance):.3g} ({self.tol.name})"],
                        evidence="the first trace entry must hold the given initial centroids",
                    )
                )
        self.verified.append(f"start: the {self.case.k} given centroids")

    def _check_assignment(
        self,
        t: Optional[int],
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        previous: Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]],
        check: str = "assignment",
    ) -> None:
        """Labels must be an exact argmin for these centroids (KM-CERT-1)."""
        judge = Judge(centroids, self.metric, self.tol.assignment)
        failing: List[int] = []
        tie_breaks: List[int] = []
        found: List[Deviation] = []
        for i, (point, label) in enumerate(zip(self.case.pixels, labels)):
            if centroids[label] is None:
                failing.append(i)
                continue
            near = judge.nearest(point)
            if label == near.best:
                continue
            gap = dict(near.rivals).get(label)
            if gap is None:
                failing.append(i)
            elif gap == 0 and self.strict_ties:
                tie_breaks.append(i)
            else:
                found.append(Deviation(t, i, label, near.best, gap))
        if failing or tie_breaks:
            raise _Failed(self._diagnose_assignment(t, judge, centroids, labels, failing, tie_breaks, previous, check))
        self._note_deviations(found)

    def _note_deviations(self, found: List[Deviation]) -> None:
        self.deviations.extend(found[:SHOWN_DEVIATIONS])
        if len(found) > SHOWN_DEVIATIONS:
            where = "final labels" if found[0].iteration is None else f"iteration {found[0].iteration}"
            self.notes.append(f"{where}: {len(found) - SHOWN_DEVIATIONS} more tie decision(s) like those shown")

    def _check_update(
        self,
        t: int,
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        following: Sequence[MaybeCentroid],
        previous_labels: Optional[Sequence[int]],
    ) -> None:
        """Centroids at t + 1 are the means of the labels at t, or follow the empty policy (KM-CERT-2, -3)."""
        case = self.case
        sums = accumulate(case.pixels, None, labels, case.k)
        empties = [j for j, n in enumerate(sums.counts) if n == 0]
        relocations = self._relocations(labels, centroids, empties)
        for j in range(case.k):
            n = sums.counts[j]
            got = following[j]
            if n:
                exact = mean(sums.totals[j], n)
                if not dx.close_to(got, exact, self.tol.centroid(n)):
                    raise _Failed(
                        self._diagnose_mean(t, j, n, sums.totals[j], exact, got, labels, centroids, empties,
                                            previous_labels)
                    )
            else:
                expected = relocations.get(j, centroids[j])
                if not dx.close_to(got, expected, self.tol.start):
                    raise _Failed(self._diagnose_empty(t, j, expected, got, centroids[j], j in relocations))

    def _relocations(
        self, labels: Sequence[int], centroids: Sequence[MaybeCentroid], empties: List[int]
    ) -> Dict[int, Centroid]:
        """Where the ``farthest`` policy moves each empty cluster (KM-EMP-2)."""
        if not empties or self.case.empty != "farthest" or any(c is None for c in centroids):
            return {}
        chosen = farthest_points(self.case.pixels, labels, centroids, self.metric, len(empties))  # type: ignore[arg-type]
        return {j: tuple(Fraction(v) for v in colour) for j, colour in zip(empties, chosen)}

    def _check_length(self, trace: List[Tuple[List[MaybeCentroid], List[int]]], final_c: List[MaybeCentroid]) -> None:
        """KM-STOP-2: no more than max_iter iterations (checked first: the steps past it are not steps)."""
        T, cap = len(trace), self.case.max_iter
        if T > cap:
            evidence = "max_iter bounds the number of assignment+update steps (KM-STOP-2)"
            if T == cap + 1 and trace[-1][0] == final_c:
                evidence += ("; if the last entry is the final relabelling, leave it out: the trace has one entry "
                             "per iteration, and the final labels go in 'labels'")
            raise _Failed(
                Diagnosis(
                    "stop",
                    "KM-STOP-1",
                    "iteration-count",
                    f"the trace has {T} iterations but max_iter is {cap}",
                    iteration=cap,
                    evidence=evidence,
                )
            )

    def _check_stop(self, trace: List[Tuple[List[MaybeCentroid], List[int]]], final_c: List[MaybeCentroid]) -> None:
        """KM-STOP-1: fewer than max_iter iterations only after an update that changed nothing."""
        T, cap = len(trace), self.case.max_iter
        centroid_rows = [c for c, _ in trace] + [final_c]
        unchanged = [t for t in range(T) if centroid_rows[t + 1] == centroid_rows[t]]
        if T < cap and (T - 1) not in unchanged:
            moved = self._largest_move(centroid_rows[T - 1], final_c) if T else None
            summary = (
                f"the run stopped after {T} iteration(s) of max_iter {cap}, but its last update still moved "
                + (f"centroid {moved[0]} by {float(moved[1]):.3g}" if moved else "the centroids")
                if T
                else f"the run made no iteration although max_iter is {cap}"
            )
            raise _Failed(
                Diagnosis(
                    "stop",
                    "KM-STOP-1",
                    "iteration-count",
                    summary,
                    iteration=T,
                    evidence="the run may end early only when an update leaves every centroid exactly unchanged "
                    "(a tolerance-based stop such as tol > 0 ends it sooner)",
                )
            )
        if unchanged and unchanged[0] < T - 1:
            self.notes.append(
                f"kept iterating after iteration {unchanged[0]} changed nothing ({T - 1 - unchanged[0]} idle "
                "iteration(s); harmless: the state cannot change)"
            )
        self.verified.append(f"stop rule: {T} iteration(s), max_iter {cap}")

    @staticmethod
    def _largest_move(before: Sequence[MaybeCentroid], after: Sequence[MaybeCentroid]) -> Optional[Tuple[int, Fraction]]:
        moves = [(j, dx.worst_difference(a, b)) for j, (a, b) in enumerate(zip(before, after)) if a and b and a != b]
        return max(moves, key=lambda m: m[1]) if moves else None

    def _check_final_labels(
        self,
        final_c: Sequence[MaybeCentroid],
        final_l: Sequence[int],
        last: Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]],
    ) -> None:
        """KM-STOP-3: the labels returned belong to the centroids returned."""
        if last is not None and list(final_l) == list(last[1]) and list(final_c) != list(last[0]):
            judge = Judge(final_c, self.metric, self.tol.assignment)
            wrong = [
                i
                for i, (p, label) in enumerate(zip(self.case.pixels, final_l))
                if final_c[label] is None or judge.gap(p, label) > self.tol.assignment
            ]
            if wrong:
                d = self._diagnose_assignment(None, judge, final_c, final_l, wrong, [], last, "final labels")
                d.cause, d.rule = "stale-labels", "KM-STOP-3"
                d.evidence = (
                    "the final labels are those of the last trace entry, assigned before the last update; when "
                    "max_iter stops the run, one more assignment must be made against the final centroids"
                )
                raise _Failed(d)
        self._check_assignment(None, final_c, final_l, last, check="final labels")
        self.verified.append("final labels are exact argmins of the final centroids")

    def _compare_trajectory(
        self, trace: List[Tuple[List[MaybeCentroid], List[int]]], final_c: List[MaybeCentroid], final_l: List[int]
    ) -> bool:
        """Whether the certified run is the reference's; a difference is reported with its first pixel."""
        case = self.case
        for t, (ref, (_, labels)) in enumerate(zip(case.steps, trace)):
            if labels != ref.labels:
                i = next(i for i, (a, b) in enumerate(zip(labels, ref.labels)) if a != b)
                tie = next((x for x in ref.ties if x.pixel == i), None)
                why = (
                    f"the reference annotates a near-tie there (gaps {', '.join(str(g) for _, g in tie.rivals)})"
                    if tie
                    else "its centroids differ from the reference's within the tolerance"
                )
                self.notes.append(
                    f"diverged from the reference at iteration {t} (first at pixel {i}: label {labels[i]}, "
                    f"reference {ref.labels[i]}; {why}); every step was certified on its own"
                )
                return False
        assert case.final is not None
        if final_l != case.final.labels:
            self.notes.append("final labels differ from the reference's; every step was certified on its own")
            return False
        return True

    # -- final state only -----------------------------------------------------------

    def _final_only(self, output: Output) -> bool:
        case = self.case
        ref = case.final
        assert ref is not None and output.centroids is not None and output.labels is not None
        centroids, labels = output.centroids, output.labels
        if case.max_iter == 0:
            self._check_start(centroids, returned=True)
        same = self._same_state(centroids, labels, ref.centroids, ref.labels, ref.counts)
        run: Optional[Run] = None
        if not same:
            run = self._explain_by_ties(centroids, labels)
            if run is None:
                off_by = self._iteration_count(centroids)
                if off_by is not None:
                    raise _Failed(off_by)
                self._check_assignment(None, centroids, labels, self._reference_previous(), check="final labels")
                if ref.converged:
                    self._check_fixed_point(centroids, labels)
                raise _Failed(self._diagnose_final_difference(centroids, labels))
        self._check_assignment(None, centroids, labels, self._reference_previous(), check="final labels")
        self.verified.append("final labels are exact argmins of the final centroids")
        if ref.converged:
            self._check_fixed_point(centroids, labels)
            self.verified.append("final centroids are a fixed point: the means of their labels")
        if same:
            self.verified.append("final state equals the reference's")
        else:
            assert run is not None
            self.verified.append(
                f"final state reached from the start by an exact replay through {len(run.decisions)} tie decision(s)"
            )
            self.deviations.extend(
                Deviation(d.iteration, d.pixel, d.chosen, d.lowest, d.gap) for d in run.decisions[:SHOWN_DEVIATIONS]
            )
            if len(run.decisions) > SHOWN_DEVIATIONS:
                self.notes.append(f"{len(run.decisions) - SHOWN_DEVIATIONS} more tie decision(s) in the replay")
        self.notes.append("not verified: the iterations themselves (no trace; return 'trace' to certify each step)")
        return same

    def _same_state(
        self,
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        ref_centroids: Sequence[Centroid],
        ref_labels: Sequence[int],
        ref_counts: Sequence[int],
    ) -> bool:
        if list(labels) != list(ref_labels):
            return False
        return all(
            dx.close_to(c, r, self.tol.centroid(n) if n else self.tol.start)
            for c, r, n in zip(centroids, ref_centroids, ref_counts)
        )

    def _explain_by_ties(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> Optional[Run]:
        """An exact replay through acceptable ties that ends in the candidate's state, if one is found."""
        if not any(s.ties for s in self.case.steps) and not (self.case.final and self.case.final.ties):
            return None
        for chooser in (prefer(labels), highest):
            run = replay(self.case, self.metric, self.tol.assignment, chooser, allow_ties=not self.strict_ties)
            if run is not None and self._same_state(centroids, labels, run.centroids, run.labels, run.counts):
                return run
        return None

    def _reference_previous(self) -> Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]]:
        steps = self.case.steps
        return (steps[-1].centroids, steps[-1].labels) if steps else None  # type: ignore[return-value]

    def _check_fixed_point(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> None:
        case = self.case
        sums = accumulate(case.pixels, None, labels, case.k)
        for j in range(case.k):
            n = sums.counts[j]
            if n and not dx.close_to(centroids[j], mean(sums.totals[j], n), self.tol.centroid(n)):
                exact = mean(sums.totals[j], n)
                unknown_before: List[MaybeCentroid] = [None] * case.k  # a fixed point has no "before"
                d = self._diagnose_mean(None, j, n, sums.totals[j], exact, centroids[j], labels, unknown_before, [], None)
                if d.cause == "wrong-mean" and not d.evidence:
                    d.cause, d.rule = "iteration-count", "KM-STOP-1"
                    d.evidence = "the reference converged; a state that is not a fixed point stopped too early"
                d.check = "fixed point"
                raise _Failed(d)

    def _iteration_count(self, centroids: Sequence[MaybeCentroid]) -> Optional[Diagnosis]:
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

    def _diagnose_final_difference(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> Diagnosis:
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

    # -- the error policy -----------------------------------------------------------

    def _error_policy(self, output: Output) -> bool:
        case = self.case
        expected = case.expected_error
        assert expected is not None
        t = expected["iteration"]
        if output.error is None:
            raise _Failed(
                Diagnosis(
                    "error policy",
                    "KM-EMP-1",
                    "empty-cluster",
                    f"cluster {expected['cluster']} is empty at iteration {t} and the policy is 'error', but the "
                    "candidate returned a result",
                    iteration=t,
                    evidence="answer {\"error\": \"empty-cluster\", \"iteration\": t, \"cluster\": j}",
                )
            )
        got_t, got_j = output.error["iteration"], output.error["cluster"]
        ref_step = case.steps[t]
        if got_t == t and got_j in ref_step.empty:
            self.verified.append(f"the run stops with an empty-cluster error at iteration {t}")
            return True
        raise _Failed(
            Diagnosis(
                "error policy",
                "KM-EMP-1",
                "empty-cluster",
                f"the candidate reports cluster {got_j} empty at iteration {got_t}; the reference stops at "
                f"iteration {t} with cluster(s) {ref_step.empty} empty",
                iteration=min(t, got_t),
                evidence="an empty cluster under policy 'error' must stop the run at the first iteration that "
                "leaves a cluster without pixels",
            )
        )

    def _unexpected_error(self, error: Dict[str, Any]) -> Diagnosis:
        return Diagnosis(
            "error policy",
            "KM-EMP-1",
            "empty-cluster",
            f"the candidate stopped with an empty-cluster error at iteration {error['iteration']}, but the case's "
            f"policy is {self.case.empty!r}",
            iteration=error["iteration"],
        )

    # -- diagnoses --------------------------------------------------------------------

    def _diagnose_assignment(
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
        wrap = dx.explains_wraparound(pixels, centroids, labels, failing, case.maxval)
        other_metric = dx.explains_metric(pixels, centroids, labels, failing, self._metrics(), case.metric)
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

    def _diagnose_mean(
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
            f"exact mean {dx.vec(exact)} = ({', '.join(str(v) for v in exact)})",
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
            for name, variant in dx.mean_variants(total, n, colours).items():
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

    def _mean_of(self, labels: Sequence[int], j: int) -> Optional[Centroid]:
        members = [p for p, label in zip(self.case.pixels, labels) if label == j]
        if not members:
            return None
        return mean([sum(ch) for ch in zip(*members)], len(members))

    def _diagnose_empty(
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


def certify(case: Case, output: Output, tolerance: str = "float64", ties: str = "any") -> Verdict:
    """Certify one answer for one case (see the module docs)."""
    return Certifier(case, tolerance, ties).certify(output)
