"""Running a candidate over the suite: selection, expected failures, the summary.

>>> from refkmeans.conformance.suite import select
>>> from refkmeans.conformance.vectors import load_suite
>>> [c.id for c in select(load_suite(), ["basic/gray-*"])]
['basic/gray-two-groups', 'basic/gray-moving-centroids']
"""

from __future__ import annotations

import fnmatch
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ..errors import UsageError
from .candidates import Candidate, Crash, Malformed, Skip
from .certify import ERROR, FAIL, FAILING, SKIP, TIE_RULES, Verdict, certify
from .diagnosis import Diagnosis
from .tolerance import CLASSES
from .vectors import SUITE_VERSION, Case

STATUSES = ("pass", "acceptable", "fail", "error", "skip")


def matches(case_id: str, pattern: str) -> bool:
    """A case id against a pattern: an exact id, a glob, or a group name ('ties' means 'ties/*')."""
    return case_id == pattern or fnmatch.fnmatchcase(case_id, pattern) or case_id.startswith(pattern.rstrip("/") + "/")


def select(cases: Sequence[Case], patterns: Sequence[str]) -> List[Case]:
    """The cases matching any pattern (all cases when there is none); an unmatched pattern is an error."""
    if not patterns:
        return list(cases)
    for pattern in patterns:
        if not any(matches(c.id, pattern) for c in cases):
            raise UsageError(f"no case matches {pattern!r} (refkmeans conform --list shows the ids)")
    return [c for c in cases if any(matches(c.id, p) for p in patterns)]


def run_case(candidate: Candidate, case: Case, tolerance: str, ties: str = "any") -> Verdict:
    """Run and certify one case; crashes and skips become verdicts too."""
    try:
        output = candidate.run(case)
    except Skip as exc:
        return Verdict(case.id, SKIP, tolerance=tolerance, message=str(exc))
    except Crash as exc:
        return Verdict(case.id, ERROR, tolerance=tolerance, message=str(exc))
    except Malformed as exc:
        verdict = Verdict(
            case.id,
            FAIL,
            mode="output",
            tolerance=tolerance,
            diagnosis=Diagnosis("output", "KM-PY-2", "output", f"malformed answer: {exc}"),
        )
    else:
        verdict = certify(case, output, tolerance, ties)
    if verdict.diagnosis is not None:
        verdict.diagnosis.reproduce = candidate.reproduce(case.id, tolerance, ties)
    return verdict


class SuiteRun:
    """One candidate's verdicts on a selection of the suite."""

    def __init__(self, candidate: str, tolerance: str, ties: str, verdicts: List[Verdict], cases: Sequence[Case],
                 notes: Sequence[str] = ()):
        self.candidate = candidate
        self.tolerance = tolerance
        self.ties = ties
        self.verdicts = verdicts
        self.cases = {c.id: c for c in cases}
        #: What the runner saw that belongs to no single case (stray output lines, a batch that crashed).
        self.notes = list(notes)

    def counts(self) -> Dict[str, int]:
        """How many cases ended in each status."""
        return {s: sum(1 for v in self.verdicts if v.status == s) for s in STATUSES}

    @property
    def unexpected(self) -> List[Verdict]:
        """Failures and errors not on the expected-failure list."""
        return [v for v in self.verdicts if v.status in FAILING and not v.expected_failure]

    @property
    def conformant(self) -> bool:
        """True when no case failed or errored (acceptable cases and expected failures allowed)."""
        return not self.unexpected

    def to_json(self) -> Dict[str, Any]:
        """The machine-readable report (``--json``)."""
        return {
            "report": "refkmeans-conform/1",
            "suite_version": SUITE_VERSION,
            "candidate": self.candidate,
            "tolerance": self.tolerance,
            "ties": self.ties,
            "conformant": self.conformant,
            "summary": self.counts(),
            "runner_notes": self.notes,
            "cases": [v.to_json() for v in self.verdicts],
        }


def run_suite(
    candidate: Candidate,
    cases: Sequence[Case],
    tolerance: Optional[str] = None,
    ties: str = "any",
    xfail: Optional[Mapping[str, str]] = None,
    progress: Optional[Callable[[Verdict], None]] = None,
    deadline: Optional[float] = None,
) -> SuiteRun:
    """Certify ``candidate`` on every case; ``xfail`` maps id patterns to reasons for expected failures.

    ``deadline`` bounds the whole run in seconds: a case running when it passes is stopped, and the
    cases after it are errors that say so (KM-CMD-7).
    """
    tolerance = tolerance or candidate.tolerance or "float64"
    if tolerance not in CLASSES:
        raise UsageError(f"unknown tolerance class {tolerance!r}; choose from {', '.join(CLASSES)}")
    if ties not in TIE_RULES:
        raise UsageError(f"unknown tie rule {ties!r}; choose from {', '.join(TIE_RULES)}")
    verdicts = []
    if deadline is not None:
        candidate.deadline_at = time.monotonic() + deadline
    try:
        candidate.prepare(cases)
        for case in cases:
            verdicts.append(_next_verdict(candidate, case, tolerance, ties, xfail, progress))
    finally:
        candidate.close()
    return SuiteRun(candidate.name, tolerance, ties, verdicts, cases, candidate.notes)


def _next_verdict(
    candidate: Candidate,
    case: Case,
    tolerance: str,
    ties: str,
    xfail: Optional[Mapping[str, str]],
    progress: Optional[Callable[[Verdict], None]],
) -> Verdict:
    if candidate.deadline_at is not None and time.monotonic() >= candidate.deadline_at:
        verdict = Verdict(case.id, ERROR, tolerance=tolerance,
                          message="not run: the --deadline for the whole run had passed")
    else:
        verdict = run_case(candidate, case, tolerance, ties)
    for pattern, reason in (xfail or {}).items():
        if matches(case.id, pattern) and verdict.status in FAILING:
            verdict.expected_failure = reason or "expected to fail"
    if progress is not None:
        progress(verdict)
    return verdict
