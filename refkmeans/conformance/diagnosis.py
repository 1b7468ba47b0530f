"""Diagnosis: what failed first, the exact numbers, and the likely cause.

A failed certification stops at its first failing check.  The diagnosis
names the iteration, the pixel or cluster, the centroids involved, the exact
distances or means, the rule broken, and a likely cause from a fixed list
(:data:`CAUSES`, SPEC.md KM-DIAG-1).  This module holds the record and how it
is shown; :mod:`causes` finds the cause.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Tuple

from ..rational import Centroid

#: The fixed list of likely causes: id -> (rule, what it means).
CAUSES: Dict[str, Tuple[str, str]] = {
    "wraparound": (
        "KM-ASN-1",
        "integer wraparound: unsigned samples (uint8/uint16) were subtracted without widening, "
        "so 10 - 250 became 16",
    ),
    "tie-rule": ("KM-ASN-2", "an exact tie went to a higher index; the reference gives it to the lowest"),
    "rounding": ("KM-TOL-2", "floating-point rounding beyond the declared tolerance class"),
    "metric": ("KM-ASN-3", "the labels minimise a different distance than the case's metric"),
    "wrong-mean": ("KM-UPD-1", "a centroid is not the exact mean of the pixels labelled with it"),
    "stale-labels": (
        "KM-STOP-3",
        "labels and centroids are out of step: labels assigned to other centroids than those they are paired with",
    ),
    "empty-cluster": ("KM-EMP-1", "an empty cluster was not handled by the case's policy"),
    "iteration-count": ("KM-STOP-1", "the run stopped too early or too late (an off-by-one or a tolerance-based stop)"),
    "initial-centroids": ("KM-INIT-4", "the run did not start from the given centroids"),
    "output": ("KM-PY-2", "the answer is malformed (wrong shape, labels out of range)"),
    "unknown": ("", "none of the listed causes fits the evidence"),
}


class Diagnosis:
    """The first failing check of a case, explained."""

    def __init__(
        self,
        check: str,
        rule: str,
        cause: str,
        summary: str,
        iteration: Optional[int] = None,
        details: Sequence[str] = (),
        evidence: str = "",
        snippet: str = "",
    ) -> None:
        assert cause in CAUSES, cause
        self.check = check
        self.rule = rule
        self.cause = cause
        self.summary = summary
        self.iteration = iteration
        self.details = list(details)
        self.evidence = evidence
        #: A self-contained Python one-liner that shows the exact numbers.
        self.snippet = snippet
        #: The command that reruns the case (filled in by the runner).
        self.reproduce = ""

    @property
    def where(self) -> str:
        """'iteration 3' or 'final state'."""
        return "final state" if self.iteration is None else f"iteration {self.iteration}"

    def lines(self) -> List[str]:
        """The diagnosis as text lines."""
        out = [f"first failure: {self.where}, {self.check} check, rule {self.rule}", f"  {self.summary}"]
        out += [f"    {d}" for d in self.details]
        out.append(f"  likely cause: {self.cause}: {CAUSES[self.cause][1]}")
        if self.evidence:
            out.append(f"    evidence: {self.evidence}")
        if self.snippet or self.reproduce:
            out.append("  reproduce:")
            if self.reproduce:
                out.append(f"    {self.reproduce}")
            if self.snippet:
                out.append(f"    {self.snippet}")
        return out

    def to_json(self) -> Dict[str, object]:
        """The diagnosis as a JSON-ready dict."""
        return {
            "iteration": self.iteration,
            "check": self.check,
            "rule": self.rule,
            "cause": self.cause,
            "summary": self.summary,
            "details": self.details,
            "evidence": self.evidence,
            "reproduce": self.reproduce,
            "snippet": self.snippet,
        }

    def __repr__(self) -> str:
        return f"Diagnosis({self.where}, {self.check}, cause={self.cause!r})"


# --- text helpers ---------------------------------------------------------------


def num(value: Fraction) -> str:
    """An exact value, with its decimal approximation when it is not an integer.

    Long rationals (the squared distance to a float centroid has a 100-bit
    denominator) are shown as decimals; the reproduction prints them exactly.

    >>> num(Fraction(7)), num(Fraction(1, 3)), num(Fraction(2**80 + 1, 2**81))
    ('7', '1/3 (~0.3333333333)', '~0.5')
    """
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    if len(str(value)) > 24:
        return f"~{float(value):.12g}"
    return f"{value} (~{float(value):.10g})"


def vec(values: Optional[Sequence[Fraction]]) -> str:
    """A centroid or pixel as a short tuple of decimals (exact when integral)."""
    if values is None:
        return "(not a number)"
    parts = [str(v.numerator) if Fraction(v).denominator == 1 else f"{float(v):.10g}" for v in map(Fraction, values)]
    return "(" + ", ".join(parts) + ")"


def exact_snippet(pixel: Sequence[int], centroids: Dict[int, Optional[Centroid]], metric: str) -> str:
    """A Python one-liner that recomputes the exact keys with fractions only."""
    rows = {j: [_literal(v) for v in c] for j, c in centroids.items() if c is not None}
    body = {
        "euclidean": "sum((F(x)-F(v))**2 for x,v in zip(p,c))",
        "sqeuclidean": "sum((F(x)-F(v))**2 for x,v in zip(p,c))",
        "manhattan": "sum(abs(F(x)-F(v)) for x,v in zip(p,c))",
        "chebyshev": "max(abs(F(x)-F(v)) for x,v in zip(p,c))",
    }.get(metric)
    if body is None:
        return ""
    table = "{" + ", ".join(f"{j}: ({', '.join(r)},)" for j, r in rows.items()) + "}"
    return (
        f'python3 -c "from fractions import Fraction as F; p={tuple(pixel)!r}; '
        f"C={table}; print({{j: str({body}) for j,c in C.items()}})\""
    )


def _literal(value: Fraction) -> str:
    """A Python literal that Fraction() turns back into exactly ``value``."""
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    if Fraction(as_float) == value:
        return repr(as_float)  # Fraction(float) is exact, and floats read better
    return repr(str(value))


# --- comparing centroids ------------------------------------------------------------


def close_to(a: Optional[Sequence[Fraction]], b: Optional[Sequence[Fraction]], tolerance: Fraction) -> bool:
    """True when every coordinate of a and b differs by at most ``tolerance``."""
    if a is None or b is None:
        return a is b
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def worst_difference(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    """The largest coordinate difference between two centroids."""
    return max(abs(x - y) for x, y in zip(a, b))
