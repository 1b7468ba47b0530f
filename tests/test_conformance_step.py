"""The step protocol: the kit drives a candidate one iteration at a time (KM-PY-5, KM-CMD-6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_conformance_oracle import c_program  # noqa: F401  (the fixture that builds the C candidate)

from refkmeans.cli.main import main
from refkmeans.conformance import load_suite, run_suite
from refkmeans.conformance.candidates import candidate_from_options
from refkmeans.conformance.report import summary_line
from refkmeans.conformance.stepping import step_request
from refkmeans.conformance.suite import run_case

ROOT = Path(__file__).resolve().parents[1]
BY_ID = {c.id: c for c in load_suite()}


@pytest.fixture(params=["c", "py"])
def stepper(request):
    """stepper(bug) -> a step candidate with that bug, in C (--cmd) or Python (--impl)."""

    def make(bug=""):
        if request.param == "c":
            path = request.getfixturevalue("c_program")
            return candidate_from_options(None, path + (f" --bug {bug.replace('_', '-')}" if bug else ""),
                                          step=True)
        return candidate_from_options(f"candidates.kmeans_py:step_{bug or 'correct'}", None, step=True)

    return make


def test_a_correct_step_function_conforms_step_by_step(stepper):
    run = run_suite(stepper(), [c for c in load_suite() if c.id.startswith(("basic", "stop", "empty"))])
    assert run.conformant, [v for v in run.verdicts if v.status != "pass"]
    assert {v.mode for v in run.verdicts if v.status == "pass"} == {"step-wise", "error policy"}
    driven = next(v for v in run.verdicts if v.case_id == "stop/max-iter-2")
    assert driven.iterations == 2 and "driven through the step protocol: 2 step(s)" in driven.notes


@pytest.mark.parametrize("bug, case_id, status, cause", [
    ("tie_highest", "empty/keep-duplicate-start", "acceptable", ""),
    ("tie_highest", "empty/error-duplicate-start", "acceptable", ""),
    ("split_refill", "empty/keep-mid-run", "fail", "empty-cluster"),
    ("round_half_up", "basic/rgb-three-blobs", "fail", "wrong-mean"),
    ("float32", "stop/max-iter-2", "fail", "rounding"),
])
def test_each_bug_is_named_through_the_step_protocol(stepper, bug, case_id, status, cause):
    verdict = run_case(stepper(bug), BY_ID[case_id], "float64")
    assert (verdict.status, verdict.cause) == (status, cause), verdict
    if bug == "round_half_up":
        assert "rounded half up" in verdict.diagnosis.evidence and "half to even" not in verdict.diagnosis.evidence


def test_ties_are_judged_where_they_happen_under_the_lowest_rule(stepper):
    verdict = run_case(stepper("tie_highest"), BY_ID["empty/keep-duplicate-start"], "float64", "lowest")
    assert verdict.cause == "tie-rule" and verdict.diagnosis.iteration == 0


def test_the_step_request_carries_centroids_exactly_and_no_start():
    from fractions import Fraction

    case = BY_ID["basic/gray-two-groups"]
    req = step_request(case, 1, [(Fraction(1, 3),), (Fraction(5, 2),)])
    assert req["step"] is True and req["iteration"] == 1 and req["final"] is False
    assert req["centroids"] == [["1/3"], [2.5]]  # 2.5 is a binary64 value; 1/3 is sent exactly as text
    assert "init" not in req and "max_iter" not in req
    assert step_request(case, None, [(Fraction(1),), (Fraction(2),)])["final"] is True


def test_a_malformed_step_answer_fails_with_cause_output(tmp_path, monkeypatch):
    (tmp_path / "bad_step_module.py").write_text("def bad(pixels, centroids):\n    return {'labels': [0] * len(pixels)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    verdict = run_case(candidate_from_options("bad_step_module:bad", None, step=True), BY_ID["k/one"], "float64")
    assert verdict.status == "fail" and verdict.cause == "output"
    assert "step 0: the answer must be an object with 'labels' and 'centroids'" in verdict.diagnosis.summary


def test_step_and_batch_do_not_mix(capsys):
    assert main(["conform", "--cmd", "true", "--step", "--batch"]) == 2
    assert "--step runs one process per step" in capsys.readouterr().err


def test_the_guides_step_example_conforms_as_shown(tmp_path, monkeypatch):
    guide = (ROOT / "docs" / "conformance.md").read_text()
    source = next(b for b in re.findall(r"```python\n(.*?)```", guide, flags=re.S) if b.startswith("# mystep.py"))
    (tmp_path / "mystep.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = run_suite(candidate_from_options("mystep:step", None, step=True), load_suite())
    assert summary_line(run) in guide


def test_the_c_candidate_speaks_the_step_protocol_on_the_command_line(c_program, capsys):  # noqa: F811
    assert main(["conform", "--cmd", c_program, "--step", "--case", "stop", "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {c["mode"] for c in report["cases"]} == {"step-wise"}
