"""Reports: one line per case, diagnoses for failures, a summary; and Markdown tables."""

from __future__ import annotations

from typing import List, Sequence

from .certify import ACCEPTABLE, FAIL, PASS, Verdict
from .suite import SuiteRun


def verdict_summary(verdict: Verdict) -> str:
    """The short reason shown after the status."""
    if verdict.message:
        return verdict.message
    if verdict.diagnosis is not None:
        return f"{verdict.diagnosis.where}: {verdict.diagnosis.cause} ({verdict.diagnosis.rule or 'no rule'})"
    parts = [verdict.mode + ("" if verdict.iterations is None else f", {verdict.iterations} iteration(s)")]
    if verdict.deviations:
        exact = sum(1 for d in verdict.deviations if d.gap == 0)
        near = len(verdict.deviations) - exact
        ties = [f"{exact} exact tie(s)"] if exact else []
        ties += [f"{near} near-tie(s)"] if near else []
        parts.append(" and ".join(ties) + " decided the other way")
    if verdict.matches_reference is False:
        parts.append("differs from the reference through them")
    return "; ".join(parts)


def verdict_lines(verdict: Verdict, verbose: bool = False) -> List[str]:
    """A case's report: one status line, then details where they help."""
    status = verdict.status.upper() + (" (expected)" if verdict.expected_failure else "")
    lines = [f"{status:<11} {verdict.case_id:<34} {verdict_summary(verdict)}"]
    if verdict.expected_failure:
        lines.append(f"  expected failure: {verdict.expected_failure}")
    lines += [f"  warning: {w}" for w in verdict.warnings]
    if verdict.diagnosis is not None:
        lines += ["  " + line for line in verdict.diagnosis.lines()]
    if verdict.status == ACCEPTABLE or verbose:
        lines += [f"  {d.text()}" for d in verdict.deviations]
        lines += [f"  note: {n}" for n in verdict.notes]
    if verbose and verdict.verified:
        lines += [f"  verified: {v}" for v in verdict.verified]
    return lines


def summary_line(run: SuiteRun) -> str:
    """'35 cases: 20 pass, ... -> CONFORMANT'."""
    counts = run.counts()
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    expected = sum(1 for v in run.verdicts if v.expected_failure)
    if expected:
        parts += f" ({expected} expected failure(s))"
    verdict = "CONFORMANT" if run.conformant else "NOT CONFORMANT"
    return (
        f"{len(run.verdicts)} case(s): {parts} -> {verdict} "
        f"(candidate {run.candidate}, tolerance {run.tolerance}, ties {run.ties})"
    )


def text_report(run: SuiteRun, verbose: bool = False) -> List[str]:
    """The whole report as lines."""
    lines: List[str] = []
    for verdict in run.verdicts:
        lines += verdict_lines(verdict, verbose)
    lines.append(summary_line(run))
    return lines


def markdown_cell(text: str) -> str:
    """Text made safe for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def causes_of(run: SuiteRun) -> str:
    """The distinct failure causes of a run, most frequent first, with their first case."""
    found: dict = {}
    for v in run.verdicts:
        if v.status == FAIL and v.diagnosis is not None:
            found.setdefault(v.diagnosis.cause, []).append(v.case_id)
    return ", ".join(f"{cause} ({len(ids)}, e.g. `{ids[0]}`)" for cause, ids in
                     sorted(found.items(), key=lambda item: (-len(item[1]), item[0])))


def overall(run: SuiteRun) -> str:
    """'conformant', 'conformant (N acceptable)' or 'non-conformant'."""
    counts = run.counts()
    if not run.conformant:
        return "**non-conformant**"
    if counts[ACCEPTABLE]:
        return f"conformant ({counts[ACCEPTABLE]} acceptable)"
    return "conformant" if counts[PASS] else "nothing run"


def markdown_summary(runs: Sequence[SuiteRun], names: Sequence[str]) -> List[str]:
    """One table row per candidate run: counts, overall verdict, causes."""
    lines = [
        "| candidate | tolerance | pass | acceptable | fail | error | skip | verdict | failure causes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in zip(names, runs):
        c = run.counts()
        lines.append(
            f"| {markdown_cell(name)} | {run.tolerance} | {c['pass']} | {c['acceptable']} | {c['fail']} | "
            f"{c['error']} | {c['skip']} | {overall(run)} | {markdown_cell(causes_of(run)) or '-'} |"
        )
    return lines


def markdown_details(run: SuiteRun) -> List[str]:
    """Per case: status and reason; then the diagnosis of the first failure of each cause."""
    lines = ["| case | verdict | why |", "|---|---|---|"]
    blocks: List[str] = []
    shown = set()
    for v in run.verdicts:
        lines.append(f"| `{v.case_id}` | {v.status} | {markdown_cell(verdict_summary(v))} |")
        if v.diagnosis is not None and v.diagnosis.cause not in shown:
            shown.add(v.diagnosis.cause)
            blocks += [f"First `{v.diagnosis.cause}` failure, `{v.case_id}`:", "", "```"]
            blocks += v.diagnosis.lines() + ["```", ""]
    return lines + ([""] + blocks if blocks else [])
