"""The step-wise certifier: is each step of the candidate's own run a legal Lloyd step?

Comparing whole trajectories is brittle: one tie decided the other way makes
everything after it differ.  So the certifier checks the candidate against
itself, in exact arithmetic (SPEC.md C2, KM-CERT-*):

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
from ..rational import Centroid, mean, to_text
from . import diagnosis as dx
from .candidates import Output
from .causes import MEAN_VARIANTS, Diagnoser, replay_with_mean
from .diagnosis import Diagnosis
from .exact import Judge, MaybeCentroid
from .replay import Decision, Run, Stopped, avoiding, highest, prefer, replay, run_replay
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
            "gap": to_text(self.gap),
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
        #: What went wrong around a usable answer (a program that answered but did not exit).
        self.warnings: List[str] = []

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
            "warnings": self.warnings,
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
        self.diagnose = Diagnoser(case, self.metric, self.tol, self.registry)

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
            verdict = self._verdict(FAIL, mode, failed.diagnosis, None)
        else:
            status = ACCEPTABLE if self.deviations or not matches else PASS
            verdict = self._verdict(status, mode, None, matches)
        verdict.notes += output.notes
        verdict.warnings += output.warnings
        return verdict

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
            raise _Failed(self.diagnose.assignment(t, judge, centroids, labels, failing, tie_breaks, previous, check))
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
        """Centroids at t + 1 are the means of the labels at t, or follow the empty policy (KM-CERT-2, -3).

        Every cluster is checked before one is diagnosed: a refill that takes from another cluster makes
        both fail, and only the pair together shows the pattern (KM-DIAG-3).
        """
        case = self.case
        sums = accumulate(case.pixels, None, labels, case.k)
        empties = [j for j, n in enumerate(sums.counts) if n == 0]
        relocations = self._relocations(labels, centroids, empties)
        wrong_means: List[int] = []
        wrong_empty: List[int] = []
        for j in range(case.k):
            n = sums.counts[j]
            if n:
                if not dx.close_to(following[j], mean(sums.totals[j], n), self.tol.centroid(n)):
                    wrong_means.append(j)
            elif not dx.close_to(following[j], relocations.get(j, centroids[j]), self.tol.start):
                wrong_empty.append(j)
        if not wrong_means and not wrong_empty:
            return
        refill = self.diagnose.refill(t, labels, sums, following, empties, wrong_means, wrong_empty)
        if refill is not None:
            raise _Failed(refill)
        if wrong_means:
            j = wrong_means[0]
            n = sums.counts[j]
            raise _Failed(
                self.diagnose.mean(t, j, n, sums.totals[j], mean(sums.totals[j], n), following[j], labels, centroids,
                                   previous_labels, failing=[(i, following[i]) for i in wrong_means])
            )
        j = wrong_empty[0]
        raise _Failed(self.diagnose.empty(t, j, relocations.get(j, centroids[j]), following[j], centroids[j],
                                          j in relocations))

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
                raise _Failed(self.diagnose.stale_final_labels(judge, final_c, final_l, wrong, last))
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
                    f"the reference annotates a near-tie there (gaps {', '.join(to_text(g) for _, g in tie.rivals)})"
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
                self._tie_rule_hypothesis(centroids, labels)
                off_by = self.diagnose.iteration_count(centroids)
                if off_by is not None:
                    raise _Failed(off_by)
                self._check_assignment(None, centroids, labels, self._reference_previous(), check="final labels")
                if ref.converged:
                    self._check_fixed_point(centroids, labels)
                self._final_hypotheses(centroids, labels)
                raise _Failed(self.diagnose.final_difference(centroids, labels))
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
            self._note_replayed(run.decisions)
        self.notes.append("not verified: the iterations themselves (no trace; return 'trace' to certify each step)")
        return same

    def _same_state(
        self,
        centroids: Sequence[MaybeCentroid],
        labels: Sequence[int],
        ref_centroids: Sequence[Centroid],
        ref_labels: Sequence[int],
        ref_counts: Sequence[int],
        tol: Optional[Tolerance] = None,
    ) -> bool:
        tol = tol or self.tol
        if list(labels) != list(ref_labels):
            return False
        return all(
            dx.close_to(c, r, tol.centroid(n) if n else tol.start)
            for c, r, n in zip(centroids, ref_centroids, ref_counts)
        )

    def _explain_by_ties(
        self, centroids: Sequence[MaybeCentroid], labels: Sequence[int], allow_ties: Optional[bool] = None,
        tol: Optional[Tolerance] = None,
    ) -> Optional[Run]:
        """An exact replay through acceptable ties that ends in the candidate's state, if one is found."""
        tol = tol or self.tol
        allow = not self.strict_ties if allow_ties is None else allow_ties
        if not any(s.ties for s in self.case.steps) and not (self.case.final and self.case.final.ties):
            return None
        for chooser in (prefer(labels), highest):
            run = replay(self.case, self.metric, tol.assignment, chooser, allow_ties=allow)
            if run is not None and self._same_state(centroids, labels, run.centroids, run.labels, run.counts, tol):
                return run
        return None

    def _tie_rule_hypothesis(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> None:
        """Under --ties lowest, fail with 'tie-rule' when exact ties decided the other way explain the state."""
        if self.strict_ties and self._explain_by_ties(centroids, labels, allow_ties=True) is not None:
            raise _Failed(
                Diagnosis(
                    "reference",
                    "KM-ASN-2",
                    "tie-rule",
                    "the final state is reached only by giving exact ties to a higher index",
                    evidence="an exact replay with exact ties decided the candidate's way reaches its final state; "
                    "--ties lowest holds candidates to the reference's tie rule",
                )
            )

    def _final_hypotheses(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> None:
        """Fail with the cause whose replay reaches the candidate's final state, if one does (KM-DIAG-2).

        Each hypothesis reruns the case exactly with one difference, so the cause named is the same whether
        the reference converged or ``max_iter`` stopped it.
        """
        for name in MEAN_VARIANTS:
            end = replay_with_mean(self.case, self.metric, name)
            if end is not None and list(end[1]) == list(labels) and all(
                dx.close_to(c, r, self.tol.start) for c, r in zip(centroids, end[0])
            ):
                raise _Failed(
                    Diagnosis(
                        "reference",
                        "KM-UPD-1",
                        "wrong-mean",
                        f"the final state is what Lloyd reaches when every update takes {name}",
                        evidence=f"an exact replay whose updates take {name} ends in the candidate's labels and "
                        "centroids",
                    )
                )
        looser = self.tol.looser()
        ref = self.case.final
        assert ref is not None
        if looser is not None and (
            self._same_state(centroids, labels, ref.centroids, ref.labels, ref.counts, looser)
            or self._explain_by_ties(centroids, labels, tol=looser) is not None
        ):
            raise _Failed(
                Diagnosis(
                    "reference",
                    "KM-TOL-3",
                    "rounding",
                    f"the final state differs from the reference's by more than the {self.tol.name} tolerance",
                    evidence=f"it is within the {looser.name} tolerance: declare --tolerance {looser.name} if the "
                    f"candidate computes in {looser.name}",
                )
            )

    def _reference_previous(self) -> Optional[Tuple[Sequence[MaybeCentroid], Sequence[int]]]:
        steps = self.case.steps
        return (steps[-1].centroids, steps[-1].labels) if steps else None  # type: ignore[return-value]

    def _check_fixed_point(self, centroids: Sequence[MaybeCentroid], labels: Sequence[int]) -> None:
        case = self.case
        sums = accumulate(case.pixels, None, labels, case.k)
        failing = [
            j for j in range(case.k)
            if sums.counts[j] and not dx.close_to(centroids[j], mean(sums.totals[j], sums.counts[j]),
                                                   self.tol.centroid(sums.counts[j]))
        ]
        if failing:
            j = failing[0]
            raise _Failed(self.diagnose.not_fixed_point(j, sums.counts[j], sums.totals[j], centroids[j], labels,
                                                        [(i, centroids[i]) for i in failing]))

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
        # A tie decided another way may empty another cluster, or empty one sooner or later (KM-CERT-6).
        stopped = self._error_by_ties(got_t, got_j, allow_ties=not self.strict_ties)
        if stopped is not None:
            self.verified.append(
                f"the run stops with an empty-cluster error at iteration {got_t}, reached by an exact replay "
                f"through {len(stopped.decisions)} tie decision(s)"
            )
            self._note_replayed(stopped.decisions)
            return False
        if self.strict_ties and self._error_by_ties(got_t, got_j, allow_ties=True) is not None:
            raise _Failed(
                Diagnosis(
                    "error policy",
                    "KM-ASN-2",
                    "tie-rule",
                    f"the candidate reports cluster {got_j} empty at iteration {got_t}; only an exact tie given to "
                    f"a higher index empties that cluster there (the reference stops at iteration {t} with "
                    f"cluster(s) {ref_step.empty} empty)",
                    iteration=got_t,
                    evidence="--ties lowest holds candidates to the reference's tie rule",
                )
            )
        raise _Failed(
            Diagnosis(
                "error policy",
                "KM-EMP-1",
                "empty-cluster",
                f"the candidate reports cluster {got_j} empty at iteration {got_t}; the reference stops at "
                f"iteration {t} with cluster(s) {ref_step.empty} empty",
                iteration=min(t, got_t),
                evidence="no exact replay through acceptable ties leaves cluster "
                f"{got_j} as the first empty cluster at iteration {got_t}",
            )
        )

    def _error_by_ties(self, iteration: int, cluster: int, allow_ties: bool) -> Optional[Stopped]:
        """A replay through acceptable ties that the error policy stops at ``iteration`` with ``cluster`` empty."""
        for chooser in (avoiding(cluster), highest):
            outcome = run_replay(self.case, self.metric, self.tol.assignment, chooser, allow_ties)
            if isinstance(outcome, Stopped) and outcome.iteration == iteration and cluster in outcome.empties:
                return outcome
        return None

    def _note_replayed(self, decisions: Sequence[Decision]) -> None:
        self.deviations.extend(
            Deviation(d.iteration, d.pixel, d.chosen, d.lowest, d.gap) for d in decisions[:SHOWN_DEVIATIONS]
        )
        if len(decisions) > SHOWN_DEVIATIONS:
            self.notes.append(f"{len(decisions) - SHOWN_DEVIATIONS} more tie decision(s) in the replay")

    def _unexpected_error(self, error: Dict[str, Any]) -> Diagnosis:
        return Diagnosis(
            "error policy",
            "KM-EMP-1",
            "empty-cluster",
            f"the candidate stopped with an empty-cluster error at iteration {error['iteration']}, but the case's "
            f"policy is {self.case.empty!r}",
            iteration=error["iteration"],
        )

def certify(case: Case, output: Output, tolerance: str = "float64", ties: str = "any") -> Verdict:
    """Certify one answer for one case (see the module docs)."""
    return Certifier(case, tolerance, ties).certify(output)
