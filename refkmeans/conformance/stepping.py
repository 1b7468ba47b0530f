"""The step protocol: the kit drives a candidate one Lloyd iteration at a time (KM-PY-5, KM-CMD-6).

Most libraries return no trace, and a final state alone can be certified only
through replays that do not scale.  A library that can run *one* iteration
from given centroids (``max_iter=1``, ``niter=1``, a single Lloyd step) can
be certified step by step instead: the kit sends centroids, the candidate
answers the labels it assigns to them and the centroids those labels give.
The kit starts from the case's centroids, feeds each answer back, and stops
when an update changes nothing or after ``max_iter`` steps; a last request
gets the labels of the final centroids.  The steps become a trace, certified
like any other (KM-CERT-2), so ties and near-ties are judged where they
happen.

A Python step function is ``FUNCTION(pixels, centroids)`` (plus ``metric``
and ``empty`` keywords when it accepts them); a program gets a request with
``"step": true``, ``iteration`` and ``centroids`` instead of ``init`` and
``max_iter``.  Either answers ``{"labels": [...], "centroids": [...]}``, or
``{"error": "empty-cluster", "cluster": j}`` under policy ``error``.
"""

from __future__ import annotations

import shlex
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..rational import to_text
from .candidates import (
    PROTOCOL,
    CommandCandidate,
    Malformed,
    Output,
    PythonCandidate,
    Skip,
    _index,
    answer_limit,
    parse_centroids,
    parse_labels,
)
from .exact import MaybeCentroid
from .vectors import Case

#: step(iteration or None for the final relabelling, centroids) -> the raw answer
Step = Callable[[Optional[int], List[Tuple[Fraction, ...]]], Any]


def drive(case: Case, step: Step) -> Output:
    """Run the case through ``step`` from its start; the steps as a trace (or the error that stopped them)."""
    centroids: List[Tuple[Fraction, ...]] = [tuple(c) for c in case.initial]
    trace: List[Tuple[List[MaybeCentroid], List[int]]] = []
    labels: Optional[List[int]] = None
    for t in range(case.max_iter):
        answer = step(t, centroids)
        if isinstance(answer, dict) and "error" in answer:
            return Output(error=_error(answer, t))
        labels, new = _read(answer, case, t)
        trace.append((list(centroids), labels))
        if any(c is None for c in new):  # NaN cannot be sent back: certify what there is
            return Output(labels, new, trace)
        moved = new != centroids
        centroids = new  # type: ignore[assignment]
        if not moved:
            break
    else:
        answer = step(None, centroids)
        if isinstance(answer, dict) and "error" in answer:
            raise Malformed("the final relabelling (a step request with \"final\": true) answered an error")
        labels, _ = _read(answer, case, None)
    assert labels is not None
    output = Output(labels, list(centroids), trace)
    output.notes.append(f"driven through the step protocol: {len(trace)} step(s)")
    return output


def _read(answer: Any, case: Case, t: Optional[int]) -> Tuple[List[int], List[MaybeCentroid]]:
    where = "final relabelling" if t is None else f"step {t}"
    if not isinstance(answer, dict) or "labels" not in answer or "centroids" not in answer:
        raise Malformed(f"{where}: the answer must be an object with 'labels' and 'centroids'")
    return parse_labels(answer["labels"], case, f"{where} labels"), parse_centroids(answer["centroids"], case,
                                                                                    f"{where} centroids")


def _error(answer: Dict[str, Any], t: int) -> Dict[str, Any]:
    if answer.get("error") != "empty-cluster":
        raise Malformed(f"unknown error kind {answer.get('error')!r} (only 'empty-cluster' is defined)")
    try:
        return {"kind": "empty-cluster", "iteration": t, "cluster": _index(answer.get("cluster"), "error cluster")}
    except TypeError as exc:
        raise Malformed(str(exc)) from None


def _sendable(value: Fraction) -> Any:
    """A float when it is the exact value, else the exact value itself (KM-CERT-1 holds both ways)."""
    as_float = float(value)
    return as_float if Fraction(as_float) == value else value


class PythonStepper(PythonCandidate):
    """``--impl MODULE:FUNCTION --step``: FUNCTION(pixels, centroids) runs one iteration (KM-PY-5)."""

    def __init__(self, spec: str, timeout: Optional[float] = None) -> None:
        super().__init__(spec, timeout)
        self.option += " --step"

    def run(self, case: Case) -> Output:
        reason = self.skip_reason(case)
        if reason:
            raise Skip(reason)
        pixels = [tuple(p) for p in case.pixels]
        options: Dict[str, Any] = {name: getattr(case, name) for name in ("metric", "empty") if name in self.keywords}

        def step(t: Optional[int], centroids: List[Tuple[Fraction, ...]]) -> Any:
            sent = [tuple(_sendable(v) for v in c) for c in centroids]
            return self.call((pixels, sent), options)

        return drive(case, step)


class CommandStepper(CommandCandidate):
    """``--cmd PROGRAM --step``: one process per step request (KM-CMD-6)."""

    def __init__(self, command: str, timeout: float = 60.0, core_only: bool = False) -> None:
        super().__init__(command, timeout=timeout, core_only=core_only)
        self.option = f"--cmd {shlex.quote(command)} --step" + (" --core" if core_only else "")

    def run(self, case: Case) -> Output:
        reason = self.skip_reason(case)
        if reason:
            raise Skip(reason)

        def step(t: Optional[int], centroids: List[Tuple[Fraction, ...]]) -> Any:
            return self.ask(step_request(case, t, centroids), case.id, answer_limit(case))

        output = drive(case, step)
        output.warnings.extend(self.case_notes.pop(case.id, []))
        return output


def step_request(case: Case, t: Optional[int], centroids: List[Tuple[Fraction, ...]]) -> Dict[str, Any]:
    """The request of one step (KM-CMD-6): ``iteration`` is null for the final relabelling."""
    return {
        "protocol": PROTOCOL,
        "step": True,
        "case": case.id,
        "iteration": t,
        "final": t is None,
        "pixels": [list(p) for p in case.pixels],
        "centroids": [[_json_number(v) for v in c] for c in centroids],
        "metric": case.metric,
        "empty": case.empty,
        "channels": case.channels,
        "maxval": case.maxval,
    }


def _json_number(value: Fraction) -> Any:
    sent = _sendable(value)
    return sent if isinstance(sent, float) else to_text(value)
