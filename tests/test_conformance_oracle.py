"""The oracle judges implementations it has never seen: right verdict and right cause (issue 11).

Each candidate is a float64 Lloyd with one realistic bug switched on, written twice: in C
(tests/candidates/kmeans.c, built here with the system compiler and run through ``--cmd``) and in
Python (tests/candidates/kmeans_py.py, through ``--impl``).  The bug is known by construction, so the
expected verdict and cause are too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from refkmeans.cli.main import main
from refkmeans.conformance import PythonCandidate, certify, load_suite, parse_output
from refkmeans.conformance.candidates import CommandCandidate, Malformed
from refkmeans.conformance.report import verdict_lines
from refkmeans.conformance.suite import run_case

HERE = Path(__file__).resolve().parent
BY_ID = {c.id: c for c in load_suite()}


@pytest.fixture(scope="session")
def c_program(tmp_path_factory):
    """tests/candidates/kmeans.c built with the system C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler (cc) on this machine")
    out = tmp_path_factory.mktemp("c-candidate") / "kmeans"
    subprocess.run([compiler, "-O1", "-o", str(out), str(HERE / "candidates" / "kmeans.c"), "-lm"], check=True)
    return str(out)


def candidate(kind, bug, final, c_program_path=None):
    """The candidate with ``bug`` ('' for none) in C or Python, with or without a trace."""
    if kind == "c":
        flags = (" --final" if final else "") + (f" --bug {bug.replace('_', '-')}" if bug else "")
        return CommandCandidate(c_program_path + flags)
    return PythonCandidate(f"candidates.kmeans_py:{bug or 'correct'}{'_final' if final else ''}")


def text(verdict):
    return "\n".join(verdict_lines(verdict, verbose=True))


@pytest.fixture(params=["c", "py"])
def judge(request):
    """judge(case id, bug, final=False, tolerance='float64', ties='any') -> the verdict, for C and Python."""
    path = request.getfixturevalue("c_program") if request.param == "c" else None

    def run(case_id, bug, final=False, tolerance="float64", ties="any"):
        return run_case(candidate(request.param, bug, final, path), BY_ID[case_id], tolerance, ties)

    return run


def test_the_candidates_without_a_bug_conform_with_and_without_a_trace(judge):
    for case_id in ("empty/keep-duplicate-start", "empty/error-duplicate-start", "stop/max-iter-2",
                    "basic/rgb-three-blobs", "empty/keep-mid-run"):
        for final in (False, True):
            verdict = judge(case_id, "", final)
            assert verdict.status == "pass", text(verdict)


# --- 1. a legal tie decision under policy 'error' ------------------------------------------


@pytest.mark.parametrize("case_id", ["empty/keep-duplicate-start", "empty/error-duplicate-start"])
@pytest.mark.parametrize("final", [False, True])
def test_ties_to_the_highest_index_are_acceptable_under_every_policy(judge, case_id, final):
    # The two duplicate start centroids 0 and 2 tie for every pixel near them: the highest rule empties
    # cluster 0 where the reference empties cluster 2, at iteration 0.
    verdict = judge(case_id, "tie_highest", final)
    assert verdict.status == "acceptable", text(verdict)
    first = verdict.deviations[0]
    assert (first.iteration, first.lowest, first.chosen, first.gap) == (0, 0, 2, 0)


@pytest.mark.parametrize("case_id", ["empty/keep-duplicate-start", "empty/error-duplicate-start"])
@pytest.mark.parametrize("final", [False, True])
def test_ties_to_the_highest_index_fail_the_lowest_rule_with_cause_tie_rule(judge, case_id, final):
    verdict = judge(case_id, "tie_highest", final, ties="lowest")
    assert verdict.status == "fail" and verdict.cause == "tie-rule", text(verdict)


def test_an_error_no_tie_explains_is_an_empty_cluster_failure():
    case = BY_ID["empty/error-duplicate-start"]
    verdict = certify(case, parse_output({"error": "empty-cluster", "iteration": 0, "cluster": 1}, case))
    assert verdict.status == "fail" and verdict.cause == "empty-cluster"
    assert "no exact replay through acceptable ties leaves cluster 1" in verdict.diagnosis.evidence
    late = certify(case, parse_output({"error": "empty-cluster", "iteration": 1, "cluster": 0}, case))
    assert late.status == "fail" and late.cause == "empty-cluster"


# --- 2. a refill that splits another cluster ---------------------------------------------------


@pytest.mark.parametrize("case_id, iteration, donor, empty", [
    ("empty/keep-duplicate-start", 0, 0, 2),  # black and dark red pixels all go to 0: 2 is empty
    ("empty/keep-mid-run", 1, 0, 1),
])
def test_a_split_refill_is_an_empty_cluster_cause_naming_the_pattern(judge, case_id, iteration, donor, empty):
    verdict = judge(case_id, "split_refill")
    assert verdict.status == "fail" and verdict.cause == "empty-cluster", text(verdict)
    assert verdict.diagnosis.iteration == iteration
    assert f"a split: cluster {donor}'s mean" in verdict.diagnosis.evidence
    assert f"copied into empty cluster(s) [{empty}]" in verdict.diagnosis.evidence


def test_a_split_of_one_donor_into_several_empty_clusters_is_recognised(judge):
    verdict = judge("init/first", "split_refill")
    assert verdict.cause == "empty-cluster" and "a split" in verdict.diagnosis.evidence, text(verdict)


def test_a_split_refill_without_a_trace_is_an_empty_cluster_cause_showing_that_cluster(judge):
    verdict = judge("empty/keep-mid-run", "split_refill", final=True)
    assert verdict.status == "fail" and verdict.cause == "empty-cluster", text(verdict)
    # 5. the message names the reference's empty cluster and shows that cluster's centroid
    assert "cluster 1 go empty" in verdict.diagnosis.summary
    assert any(d.startswith("cluster 1 (empty in the reference") for d in verdict.diagnosis.details)


# --- 3. rounded means, each hypothesis against every differing coordinate -------------------


def test_means_rounded_half_up_are_named_as_such_step_by_step(judge):
    # basic/rgb-three-blobs: a first-step mean of 397/2 tells half up (199) from half to even (198).
    verdict = judge("basic/rgb-three-blobs", "round_half_up")
    assert verdict.status == "fail" and verdict.cause == "wrong-mean", text(verdict)
    evidence = verdict.diagnosis.evidence
    assert "rounded half up" in evidence and "half to even" not in evidence and "rounded down" not in evidence


@pytest.mark.parametrize("bug, named, not_named", [
    ("round_half_up", "rounded half up", "rounded down"),
    ("round_floor", "rounded down", "rounded half up"),
])
@pytest.mark.parametrize("case_id", ["stop/max-iter-2", "notebook/scene-16-colours"])
def test_rounded_means_without_a_trace_are_named_when_max_iter_stopped_the_run(judge, case_id, bug, named,
                                                                                  not_named):
    verdict = judge(case_id, bug, final=True)
    assert verdict.status == "fail" and verdict.cause == "wrong-mean", text(verdict)
    assert named in verdict.diagnosis.evidence and not_named not in verdict.diagnosis.evidence


# --- 4. final-state checks keep the cause ----------------------------------------------------


@pytest.mark.parametrize("case_id", ["basic/gray-moving-centroids", "stop/max-iter-2"])  # converged, max_iter
def test_float32_means_are_rounding_on_a_final_state_however_the_run_stopped(judge, case_id):
    verdict = judge(case_id, "float32", final=True)
    assert verdict.status == "fail" and verdict.cause == "rounding", text(verdict)
    assert "--tolerance float32" in verdict.diagnosis.evidence
    assert judge(case_id, "float32", final=True, tolerance="float32").status == "pass"


def test_a_float64_candidate_held_to_exact_is_rounding_on_a_max_iter_case(judge):
    verdict = judge("stop/max-iter-2", "", final=True, tolerance="exact")
    assert verdict.status == "fail" and verdict.cause == "rounding", text(verdict)
    assert "--tolerance float64" in verdict.diagnosis.evidence


# --- 5. messages ---------------------------------------------------------------------------------


def test_a_malformed_answer_names_its_type_with_the_right_article():
    case = BY_ID["k/one"]
    with pytest.raises(Malformed, match="the answer is an int, not"):
        parse_output(5, case)
    with pytest.raises(Malformed, match="the answer is a list, not"):
        parse_output([], case)


def test_the_c_candidate_through_the_command_line(c_program, capsys):
    assert main(["conform", "--cmd", f"{c_program} --bug tie-highest", "--case", "empty/error-*"]) == 0
    assert "ACCEPTABLE  empty/error-duplicate-start" in capsys.readouterr().out
    assert main(["conform", "--cmd", f"{c_program} --bug split-refill", "--case", "empty/keep-*"]) == 7
    out = capsys.readouterr().out
    assert "empty-cluster" in out and "refill pattern: a split" in out
