"""Real peers put to the test: the notebook, scikit-learn, SciPy, OpenCV and JavaScript.

The expected verdicts follow from how each library documents (or, for the
notebook, writes) its algorithm, not from the kit's output:

* the notebook subtracts uint8 arrays on its first pass (wraparound at
  iteration 0), takes the mean of empty clusters (NaN) and returns labels
  assigned before its last update;
* scikit-learn and OpenCV refill empty clusters; SciPy keeps them;
* SciPy, OpenCV and ml-kmeans return the labels of their last assignment,
  made before the last update; OpenCV runs at least 2 iterations;
* ml-kmeans reads maxIterations = 0 as "no limit".

docs/peers.md is generated from the same runs and must be current whenever
the installed versions are those it records.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from refkmeans.conformance import load_suite

np = pytest.importorskip("numpy")
verdicts = pytest.importorskip("peers.verdicts")

ROOT = Path(__file__).resolve().parents[1]
SUITE = load_suite()
FLAGS = {c.id: set(c.flags) for c in SUITE}


@pytest.fixture(scope="module")
def runs():
    """Every peer that can run here, on the whole suite.

    The npm peer is what ``make test`` installed into peers/js/node_modules; the
    tests never install it (no network), and skip it with the reason when it is absent.
    """
    return {peer.name: (run, reason) for peer, run, reason in verdicts.run_peers(SUITE)}


def get(runs, name):
    run, reason = runs[name]
    if run is None:
        pytest.skip(f"{name}: {reason}")
    return run


def by_case(run):
    return {v.case_id: v for v in run.verdicts}


def failures(run):
    return {v.case_id: v.cause for v in run.verdicts if v.status in ("fail", "error")}


def test_refkmeans_own_engines_pass_every_case(runs):
    for name in ("refkmeans, plain engine", "refkmeans, histogram engine", "refkmeans, auto engine, float answers"):
        run = get(runs, name)
        assert run.counts()["pass"] == len(SUITE), name


def test_the_notebook_as_written_fails_with_wraparound_at_iteration_0(runs):
    run = get(runs, "notebook, as written")
    verdict = by_case(run)["notebook/scene-16-colours"]
    assert verdict.status == "fail" and verdict.cause == "wraparound" and verdict.diagnosis.iteration == 0
    found = failures(run)
    ran = {v.case_id for v in run.verdicts if v.status != "skip"}
    # The vectors flag every case whose first labels change under uint8/uint16 wraparound.
    wrapping = {c.id for c in SUITE if c.id in ran and "Wraparound" in c.flags and c.max_iter > 0}
    assert {c for c, cause in found.items() if cause == "wraparound"} == wrapping
    assert all(by_case(run)[c].diagnosis.iteration == 0 for c in wrapping)
    assert found["k/above-colours-given"] == "empty-cluster"  # the mean of no pixels is NaN
    assert found["stop/max-iter-0"] == "stale-labels"  # it never assigns


def test_the_notebook_with_its_bugs_fixed_conforms(runs):
    run = get(runs, "notebook, bugs fixed")
    assert run.conformant and run.counts()["fail"] == 0


@pytest.mark.parametrize("name", ["scikit-learn KMeans, lloyd", "scikit-learn KMeans, elkan"])
def test_scikit_learn_differs_only_where_a_cluster_goes_empty(runs, name):
    run = get(runs, name)
    found = failures(run)
    assert found and set(found.values()) == {"empty-cluster"}
    assert all("EmptyCluster" in FLAGS[c] for c in found)
    assert by_case(run)["stop/max-iter-0"].status == "skip"


@pytest.mark.parametrize("name", ["SciPy kmeans2", "SciPy kmeans2, traced"])
def test_scipy_returns_stale_labels_when_max_iter_stops_it(runs, name):
    run = get(runs, name)
    found = failures(run)
    assert set(found.values()) == {"stale-labels"}
    assert set(found) == {c.id for c in SUITE if "MaxIterStop" in c.flags and c.max_iter > 0
                          and c.empty == "keep" and c.metric in ("euclidean", "sqeuclidean")}


def test_scipy_traced_is_certified_step_by_step(runs):
    run = get(runs, "SciPy kmeans2, traced")
    assert {v.mode for v in run.verdicts if v.status == "pass"} == {"step-wise"}


def test_opencv_relocates_empty_clusters_runs_at_least_two_iterations_and_returns_stale_labels(runs):
    run = get(runs, "OpenCV kmeans")
    assert run.tolerance == "float32"
    found = failures(run)
    assert set(found.values()) <= {"empty-cluster", "stale-labels", "iteration-count"}
    assert found["stop/max-iter-1"] == "iteration-count" and found["stop/max-iter-0"] == "iteration-count"
    assert found["stop/max-iter-2"] == "stale-labels"
    assert all("EmptyCluster" in FLAGS[c] for c, cause in found.items() if cause == "empty-cluster")


def test_a_javascript_kmeans_through_cmd_conforms(runs):
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    run = get(runs, "JavaScript, peers/js/kmeans.mjs")
    assert run.conformant and run.counts()["pass"] >= 29


def test_ml_kmeans_from_npm_returns_stale_labels_and_reads_0_as_no_limit(runs):
    run = get(runs, f"JavaScript, ml-kmeans {verdicts.ML_KMEANS} (npm)")
    found = failures(run)
    assert found["stop/max-iter-0"] == "iteration-count"
    assert set(found.values()) == {"stale-labels", "iteration-count"}


def test_scipy_step_by_step_conforms_where_its_final_state_reads_stale(runs):
    # Driven through the step protocol, the kit asks for the final labels itself.
    run = get(runs, "SciPy kmeans2, step by step")
    assert run.conformant
    assert {v.mode for v in run.verdicts if v.status == "pass"} == {"step-wise"}


def test_scikit_learn_step_by_step_is_seen_refilling_where_it_happens(runs):
    # scikit-learn refills an empty cluster with the pixels farthest from their centres, taken
    # from other clusters: step by step the kit names the pattern at the iteration it happens.
    run = get(runs, "scikit-learn KMeans, lloyd, step by step")
    found = failures(run)
    assert found and set(found.values()) == {"empty-cluster"}
    assert all("EmptyCluster" in FLAGS[c] for c in found)
    verdict = by_case(run)["k/above-colours-given"]
    assert verdict.diagnosis.iteration == 0 and "pixels move" in verdict.diagnosis.evidence


def test_docs_peers_md_is_the_generated_document(runs):
    committed = (ROOT / "docs" / "peers.md").read_text()
    recorded = verdicts.recorded_environment(committed)
    here = verdicts.versions()
    if recorded != here:
        pytest.skip(f"docs/peers.md was generated with {recorded}, this environment has {here}")
    peers = {p.name: p for p in verdicts.PEERS}
    results = [(peers[name], run, reason) for name, (run, reason) in runs.items()]
    assert verdicts.document(results, here) == committed, "regenerate it: python -m peers docs/peers.md"
