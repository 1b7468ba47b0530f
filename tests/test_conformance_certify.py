"""The certifier: correct implementations conform, and each injected bug is named.

Every buggy candidate here is a small float Lloyd written in this file with
one deliberate bug, so the expected diagnosis (cause, iteration) is known by
construction, not taken from the code under test.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans import UsageError
from refkmeans.conformance import PythonCandidate, certify, load_suite, parse_output, run_suite, select
from refkmeans.conformance.candidates import Malformed
from refkmeans.conformance.certify import Certifier
from refkmeans.conformance.exact import Judge
from refkmeans.conformance.report import markdown_details, markdown_summary, text_report
from refkmeans.conformance.suite import matches, run_case
from refkmeans.conformance.tolerance import Tolerance
from refkmeans.conformance.vectors import builtin_registry
from refkmeans.kmeans import ENGINES

SUITE = load_suite()
BY_ID = {c.id: c for c in SUITE}


# --- a float Lloyd with switchable bugs ----------------------------------------------


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def lloyd(pixels, init, max_iter, *, tie="lowest", wrap=False, mean="exact", empty="keep", stop="exact",
          extra=0, relabel=True, metric="euclidean", round32=False, start_shift=0.0, trace=True, stale_update=False):
    """Lloyd in float64; each keyword switches one bug on."""
    k = len(init)
    centroids = [list(c) for c in init]
    if start_shift:
        centroids[0][0] += start_shift

    def dist(p, c, first):
        if wrap and first and all(float(v).is_integer() for v in c):
            d = [(x - int(v)) % 256 for x, v in zip(p, c)]
        else:
            d = [x - v for x, v in zip(p, c)]
        if metric == "manhattan":
            return sum(abs(v) for v in d)
        return math.sqrt(sum(v * v for v in d))

    def assign(cs, first=False):
        labels = []
        for p in pixels:
            ds = [dist(p, c, first) if not any(math.isnan(v) for v in c) else math.inf for c in cs]
            low = min(ds)
            best = [j for j, d in enumerate(ds) if d == low]
            labels.append(best[-1] if tie == "highest" else best[0])
        return labels

    steps, previous, converged = [], None, False
    labels = assign(centroids, True)
    for t in range(max_iter + extra):
        labels = assign(centroids, t == 0)
        steps.append({"centroids": [list(c) for c in centroids], "labels": list(labels)})
        source = previous if (stale_update and previous is not None) else labels
        new = []
        for j in range(k):
            members = [p for p, label in zip(pixels, source) if label == j]
            if not members:
                new.append(float("nan") if empty == "nan" else None)
                continue
            sums = [sum(p[ch] for p in members) for ch in range(len(pixels[0]))]
            if mean == "floor":
                new.append([s // len(members) for s in sums])
            else:
                new.append([f32(s / len(members)) if round32 else s / len(members) for s in sums])
        for j in range(k):
            if new[j] is None:
                new[j] = list(centroids[j])
            elif isinstance(new[j], float):
                new[j] = [new[j]] * len(pixels[0])
        if empty == "relocate":
            for j in range(k):
                if j not in source:
                    far = max(range(len(pixels)), key=lambda i: dist(pixels[i], centroids[source[i]], False))
                    donor = source[far]
                    members = [p for i, p in enumerate(pixels) if source[i] == donor and i != far]
                    new[donor] = [sum(p[ch] for p in members) / len(members) for ch in range(len(pixels[0]))]
                    new[j] = list(map(float, pixels[far]))
                    break
        previous = labels
        shift = max(max(abs(a - b) for a, b in zip(c, n)) for c, n in zip(centroids, new))
        if new == centroids or (stop == "tol" and shift < 1.0):
            centroids = new
            converged = True
            break
        centroids = new
    if not converged and relabel:
        labels = assign(centroids)
    out = {"labels": labels, "centroids": centroids}
    if trace:
        out["trace"] = steps
    return out


class Buggy(PythonCandidate):
    """A PythonCandidate around ``lloyd`` with some bugs switched on."""

    def __init__(self, **bugs):
        self.bugs = bugs
        self.function = lambda pixels, init, max_iter: lloyd(pixels, init, max_iter, **bugs)
        self.name = f"lloyd({bugs})"
        self.option = "--impl tests:lloyd"
        self.tolerance = None
        self.keywords = ()


def verdict_of(case_id, tolerance="float64", ties="any", **bugs):
    return run_case(Buggy(**bugs), BY_ID[case_id], tolerance, ties)


# --- correct implementations conform -------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_every_refkmeans_engine_is_certified_exact_with_the_lowest_index_rule(engine):
    run = run_suite(PythonCandidate(f"refkmeans.conformance.own:{engine}"), SUITE, ties="lowest")
    assert run.tolerance == "exact"
    assert [v.case_id for v in run.verdicts if v.status != "pass"] == []


def test_refkmeans_float_answers_conform_under_float64():
    run = run_suite(PythonCandidate("refkmeans.conformance.own:plain_float"), SUITE)
    assert run.tolerance == "float64" and run.conformant


def test_a_correct_float_lloyd_conforms_step_by_step_and_on_its_final_state():
    core = [c for c in SUITE if c.empty == "keep" and c.metric in ("euclidean", "sqeuclidean")]
    for trace in (True, False):
        run = run_suite(Buggy(trace=trace), core)
        assert run.conformant, [v for v in run.verdicts if v.status != "pass"]
        assert {v.mode for v in run.verdicts} == {"step-wise" if trace else "final state"}


# --- each bug is named -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case_id, bugs, ties, tolerance, cause, iteration",
    [
        ("notebook/uint8-trap", {"wrap": True}, "any", "float64", "wraparound", 0),
        ("notebook/scene-16-colours", {"wrap": True}, "any", "float64", "wraparound", 0),
        ("ties/gray-midpoint", {"tie": "highest"}, "lowest", "float64", "tie-rule", 0),
        ("basic/gray-moving-centroids", {"mean": "floor"}, "any", "float64", "wrong-mean", 1),
        ("empty/keep-mid-run", {"empty": "relocate"}, "any", "float64", "empty-cluster", 1),
        ("k/above-colours-given", {"empty": "nan"}, "any", "float64", "empty-cluster", 0),
        ("stop/max-iter-2", {"extra": 1}, "any", "float64", "iteration-count", 2),
        ("init/random-numpy-legacy-seed0", {"stop": "tol"}, "any", "float64", "iteration-count", None),
        ("stop/max-iter-2", {"relabel": False}, "any", "float64", "stale-labels", None),
        ("basic/gray-moving-centroids", {"round32": True}, "any", "float64", "rounding", 1),
        ("init/first", {"start_shift": 1.0}, "any", "float64", "initial-centroids", 0),
        ("basic/gray-moving-centroids", {"stale_update": True}, "any", "float64", "stale-labels", 1),
        ("init/random-portable-seed7", {"metric": "manhattan"}, "any", "float64", "metric", 0),
    ],
)
def test_an_injected_bug_fails_the_case_with_its_likely_cause(case_id, bugs, ties, tolerance, cause, iteration):
    verdict = verdict_of(case_id, tolerance, ties, **bugs)
    assert verdict.status == "fail", verdict_lines_text(verdict)
    assert verdict.cause == cause, verdict_lines_text(verdict)
    if iteration is not None:
        assert verdict.diagnosis.iteration == iteration
    assert verdict.diagnosis.reproduce.startswith("refkmeans conform --impl")


def verdict_lines_text(verdict):
    from refkmeans.conformance.report import verdict_lines

    return "\n".join(verdict_lines(verdict, verbose=True))


def test_a_float32_candidate_passes_when_it_declares_float32():
    assert verdict_of("basic/gray-moving-centroids", "float32", round32=True).status == "pass"


def test_the_wraparound_diagnosis_names_the_pixel_the_centroids_and_the_exact_distances():
    verdict = verdict_of("notebook/uint8-trap", wrap=True)
    text = "\n".join(verdict.diagnosis.lines())
    assert "pixel 0 (10,) is labelled 1, but centroid 0 is nearer" in text
    assert "exact squared distance 57600" in text and "exact squared distance 2500" in text  # 240**2, 50**2
    assert "(x - c) mod 256" in text
    snippet = verdict.diagnosis.snippet
    assert snippet.startswith("python3 -c ")
    namespace: dict = {}
    exec(snippet[len('python3 -c "'):-1].replace("print(", "namespace['out'] = ("), {"namespace": namespace})
    assert namespace["out"] == {1: "57600", 0: "2500"}


def test_a_tie_decided_the_other_way_is_acceptable_and_shown():
    verdict = verdict_of("ties/gray-midpoint", tie="highest")
    assert verdict.status == "acceptable" and verdict.matches_reference is False
    first = verdict.deviations[0]
    assert (first.iteration, first.pixel, first.lowest, first.chosen, first.gap) == (0, 1, 0, 1, 0)
    assert "exact tie between centroids 0 and 1" in first.text()


def test_a_tie_in_a_final_only_answer_is_accepted_only_through_a_replay_that_shows_it():
    verdict = verdict_of("ties/gray-midpoint", tie="highest", trace=False)
    assert verdict.status == "acceptable"
    assert any("exact replay through 1 tie decision" in v for v in verdict.verified)
    assert (verdict.deviations[0].iteration, verdict.deviations[0].pixel) == (0, 1)
    strict = verdict_of("ties/gray-midpoint", ties="lowest", tie="highest", trace=False)
    assert strict.status == "fail"


def test_a_final_only_answer_says_what_was_not_verified():
    verdict = verdict_of("basic/rgb-three-blobs", trace=False)
    assert verdict.status == "pass"
    assert any("not verified: the iterations" in n for n in verdict.notes)
    assert "final state equals the reference's" in verdict.verified


def test_a_final_only_wrong_mean_is_caught_by_the_fixed_point_check():
    verdict = verdict_of("basic/gray-moving-centroids", mean="floor", trace=False)
    assert verdict.status == "fail" and verdict.diagnosis.check == "fixed point"
    assert verdict.cause == "wrong-mean" and "integer division" in verdict.diagnosis.evidence


def test_a_final_only_off_by_one_is_recognised_as_the_reference_one_iteration_later():
    verdict = verdict_of("stop/max-iter-1", extra=1, trace=False)
    assert verdict.cause == "iteration-count"
    assert "after 2 iteration(s); max_iter is 1" in verdict.diagnosis.summary


def test_a_final_only_stale_answer_is_named():
    verdict = verdict_of("stop/max-iter-2", relabel=False, trace=False)
    assert verdict.cause == "stale-labels"


def test_a_final_only_relocation_is_named_from_the_references_empty_cluster():
    verdict = verdict_of("empty/keep-mid-run", empty="relocate", trace=False)
    assert verdict.cause == "empty-cluster" and "go empty at iteration 1" in verdict.diagnosis.summary


def test_max_iter_zero_answers_must_return_the_start():
    verdict = verdict_of("stop/max-iter-0", extra=1, trace=False)
    assert verdict.cause == "iteration-count" and "max_iter is 0" in verdict.diagnosis.summary
    traced = verdict_of("stop/max-iter-0", extra=1)
    assert traced.cause == "iteration-count" and traced.diagnosis.check == "stop"


def test_kept_iterating_after_convergence_is_harmless_and_noted():
    def keeps_going(pixels, init, max_iter):
        out = lloyd(pixels, init, max_iter)
        out["trace"] += [out["trace"][-1]] * 2
        return out

    case = BY_ID["basic/gray-two-groups"]
    verdict = certify(case, parse_output(keeps_going(case.pixels, [tuple(map(float, c)) for c in case.initial], 300),
                                         case))
    assert verdict.status == "pass"
    assert any("kept iterating after iteration 1" in n for n in verdict.notes)


def test_more_iterations_than_max_iter_fail():
    case = BY_ID["stop/max-iter-1"]
    out = lloyd(case.pixels, [tuple(map(float, c)) for c in case.initial], 1, extra=2)
    verdict = certify(case, parse_output(out, case))
    assert verdict.cause == "iteration-count" and "3 iterations but max_iter is 1" in verdict.diagnosis.summary


# --- the error policy ---------------------------------------------------------------------


def test_the_error_policy_wants_an_error_at_the_right_iteration():
    case = BY_ID["empty/error-mid-run"]
    ok = certify(case, parse_output({"error": "empty-cluster", "iteration": 1, "cluster": 1}, case))
    assert ok.status == "pass" and ok.mode == "error policy"
    late = certify(case, parse_output({"error": "empty-cluster", "iteration": 2, "cluster": 1}, case))
    assert late.status == "fail" and late.cause == "empty-cluster"
    result = certify(case, parse_output(lloyd(case.pixels, [(1.0,), (23.0,), (37.0,)], 300), case))
    assert result.status == "fail" and "the candidate returned a result" in result.diagnosis.summary


def test_an_error_where_the_policy_is_keep_fails():
    case = BY_ID["empty/keep-mid-run"]
    verdict = certify(case, parse_output({"error": "empty-cluster", "iteration": 1, "cluster": 1}, case))
    assert verdict.status == "fail" and "policy is 'keep'" in verdict.diagnosis.summary


def test_the_farthest_policy_is_checked_step_by_step():
    case = BY_ID["empty/farthest-mid-run"]
    out = lloyd(case.pixels, [(1.0,), (23.0,), (37.0,)], 300)  # keeps instead of relocating
    verdict = certify(case, parse_output(out, case))
    # By hand: iteration 1 has centroids 7.5, 20, 32 and leaves cluster 1 empty; pixel 13 is the
    # farthest from its own centroid (5.5), so KM-EMP-2 moves cluster 1 to 13.
    assert verdict.cause == "empty-cluster" and verdict.diagnosis.iteration == 1
    assert "policy 'farthest' moves it to (13)" in verdict.diagnosis.summary
    assert "the candidate left it at (20)" in verdict.diagnosis.summary


# --- answers that are not answers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, message",
    [
        ([1, 2], "not a dict"),
        ({"labels": [0, 0, 1]}, "no 'centroids'"),
        ({"labels": [0, 0], "centroids": [[0], [1]]}, "2 labels for 3 pixels"),
        ({"labels": [0, 0, 2], "centroids": [[0], [1]]}, "label 2 of pixel 2 is not in 0..1"),
        ({"labels": [0, 0, 1.5], "centroids": [[0], [1]]}, "must be an integer"),
        ({"labels": [0, 0, 1], "centroids": [[0]]}, "1 centroids, expected k = 2"),
        ({"labels": [0, 0, 1], "centroids": [[0, 1], [1, 2]]}, "2 coordinates, the pixels have 1"),
        ({"labels": [0, 0, 1], "centroids": [["x"], [1]]}, "is not a number or a rational"),
        ({"labels": [0, 0, 1], "centroids": [[True], [1]]}, "is not a number"),
        ({"labels": [0, 0, 1], "centroids": [[{}], [1]]}, "is not a number"),
        ({"labels": "001", "centroids": [[0], [1]]}, "expected a list"),
        ({"labels": [0, 0, 1], "centroids": [[0], [1]], "trace": 3}, "'trace' must be a list"),
        ({"labels": [0, 0, 1], "centroids": [[0], [1]], "trace": [{"labels": []}]}, r"trace\[0\] must be an object"),
        ({"error": "disk full"}, "unknown error kind"),
        ({"error": "empty-cluster", "iteration": "one", "cluster": 0}, "must be an integer"),
    ],
)
def test_a_malformed_answer_is_refused_with_a_reason(answer, message):
    with pytest.raises(Malformed, match=message):
        parse_output(answer, BY_ID["ties/gray-midpoint"])


def test_numbers_may_be_rationals_as_text_and_nan_is_not_a_number():
    case = BY_ID["ties/gray-midpoint"]
    out = parse_output({"labels": (0, 0, 1), "centroids": [["5/2"], [float("nan")]]}, case)
    assert out.centroids == [(F(5, 2),), None]
    out = parse_output({"labels": [0, 0, 1], "centroids": [[None], [10]]}, case)
    assert out.centroids[0] is None and out.centroids[1] == (F(10),)


def test_a_crash_is_an_error_and_not_implemented_is_a_skip(tmp_path, monkeypatch):
    module = tmp_path / "crashy.py"
    module.write_text(
        "def boom(pixels, init, max_iter):\n    raise ValueError('no luck')\n"
        "def nope(pixels, init, max_iter):\n    raise NotImplementedError('not today')\n"
        "def wrong(pixels, init, max_iter):\n    return {'labels': [0]}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    case = BY_ID["ties/gray-midpoint"]
    assert run_case(PythonCandidate("crashy:boom"), case, "float64").message == "ValueError: no luck"
    skipped = run_case(PythonCandidate("crashy:nope"), case, "float64")
    assert (skipped.status, skipped.message) == ("skip", "not today")
    wrong = run_case(PythonCandidate("crashy:wrong"), case, "float64")
    assert (wrong.status, wrong.cause) == ("fail", "output")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nocolon", "MODULE:FUNCTION"),
        ("no_such_module_here:f", "cannot import"),
        ("refkmeans:no_such_function", "has no attribute"),
        ("refkmeans:__version__", "is not callable"),
    ],
)
def test_a_bad_impl_is_a_usage_error(spec, message):
    with pytest.raises(UsageError, match=message):
        PythonCandidate(spec)


def test_cases_needing_keywords_the_function_lacks_are_skipped():
    candidate = Buggy()  # takes neither 'metric' nor 'empty'
    real = PythonCandidate("refkmeans.conformance.own:plain")
    assert real.keywords == ("metric", "empty")
    assert "metric 'manhattan'" in PythonCandidate.skip_reason(candidate, BY_ID["metric/manhattan"])
    assert "policy 'farthest'" in PythonCandidate.skip_reason(candidate, BY_ID["empty/farthest-mid-run"])
    assert PythonCandidate.skip_reason(candidate, BY_ID["metric/sqeuclidean"]) is None


# --- the exact machinery --------------------------------------------------------------------------


coords = st.one_of(
    st.integers(0, 255).map(F),
    st.fractions(min_value=0, max_value=255, max_denominator=50),
    st.floats(0, 255).map(F),
)


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=6),
    centroids=st.lists(st.tuples(coords, coords), min_size=1, max_size=5),
    slack=st.sampled_from([F(0), F(1, 10**6), F(1, 3), F(50)]),
    metric=st.sampled_from(["euclidean", "manhattan", "chebyshev"]),
)
def test_the_judge_agrees_with_brute_force(points, centroids, slack, metric):
    m = builtin_registry().metric(metric)
    judge = Judge(centroids, m, slack)
    for p in points:
        keys = [m.key(p, c) for c in centroids]
        best = min(range(len(keys)), key=lambda j: (keys[j], j))
        rivals = {j: keys[j] - keys[best] for j in range(len(keys)) if j != best and keys[j] - keys[best] <= slack}
        near = judge.nearest(p)
        assert near.best == best and dict(near.rivals) == rivals
        assert all(judge.gap(p, j) == keys[j] - keys[best] for j in range(len(keys)))


def test_the_judge_never_picks_a_centroid_that_is_not_a_number():
    m = builtin_registry().metric("euclidean")
    judge = Judge([None, (F(3),)], m, F(0))
    assert judge.nearest((0,)).best == 1
    assert Judge([None], m, F(0)).nearest((0,)).best == -1
    assert Judge([(F(-5),), (F(7),)], m, F(0)).nearest((0,)).best == 0  # out of range: exact path


def test_tolerances_follow_the_spec_formulas():
    t = Tolerance("float32", channels=3, maxval=255, metric="euclidean")
    assert t.assignment == 16 * 5 * F(1, 2**24) * 3 * 255**2
    assert t.centroid(10) == 2 * 12 * F(1, 2**24) * 255
    assert t.start == F(255, 2**24)
    assert Tolerance("exact", 3, 255, "euclidean").assignment == 0
    assert Tolerance("float64", 1, 255, "manhattan").scale == 255
    assert Tolerance("float64", 2, 255, "chebyshev").scale == 255
    assert Tolerance("float64", 3, 255, "euclidean").looser().name == "float32"
    assert t.looser() is None and "float32" in repr(t)
    with pytest.raises(UsageError, match="unknown tolerance class"):
        Tolerance("float16", 3, 255, "euclidean")


def test_the_certifier_refuses_an_unknown_tie_rule():
    with pytest.raises(ValueError, match="ties must be one of"):
        Certifier(BY_ID["ties/gray-midpoint"], ties="random")


# --- suites and reports ----------------------------------------------------------------------------


def test_case_selection_by_id_glob_and_group():
    assert matches("ties/gray-midpoint", "ties") and matches("ties/gray-midpoint", "ties/*")
    assert matches("ties/gray-midpoint", "ties/gray-midpoint") and not matches("tiesx/a", "ties")
    ties = [c for c in SUITE if c.id.startswith("ties/")]
    assert len(ties) > 3 and select(SUITE, ["ties", "k/one"]) == ties + [BY_ID["k/one"]]
    with pytest.raises(UsageError, match="no case matches 'nothing'"):
        select(SUITE, ["nothing"])


def test_expected_failures_do_not_break_conformance():
    cases = select(SUITE, ["notebook"])
    run = run_suite(Buggy(wrap=True), cases, xfail={"notebook/*": "we wrap"})
    assert run.conformant and all(v.expected_failure == "we wrap" for v in run.verdicts)
    text = "\n".join(text_report(run))
    assert "FAIL (expected)" in text and "(2 expected failure(s))" in text
    with pytest.raises(UsageError, match="unknown tolerance class"):
        run_suite(Buggy(), cases, tolerance="float16")
    with pytest.raises(UsageError, match="unknown tie rule"):
        run_suite(Buggy(), cases, ties="random")


def test_the_reports_count_and_explain():
    cases = select(SUITE, ["ties/gray-midpoint", "stop/max-iter-2", "basic/gray-two-groups", "metric/manhattan"])
    run = run_suite(Buggy(tie="highest", relabel=False), cases)
    assert run.counts() == {"pass": 1, "acceptable": 1, "fail": 1, "error": 0, "skip": 1}
    assert not run.conformant and run.to_json()["summary"]["fail"] == 1
    lines = text_report(run, verbose=True)
    assert lines[-1].startswith("4 case(s): 1 pass, 1 acceptable, 1 fail, 1 skip -> NOT CONFORMANT")
    table = markdown_summary([run], ["buggy"])
    assert table[2].startswith("| buggy | float64 | 1 | 1 | 1 | 0 | 1 | **non-conformant** | stale-labels (1")
    details = "\n".join(markdown_details(run))
    assert "First `stale-labels` failure, `stop/max-iter-2`" in details


def test_a_trace_with_the_final_relabelling_as_an_extra_entry_gets_a_hint():
    case = BY_ID["stop/max-iter-2"]
    out = lloyd(case.pixels, [tuple(map(float, c)) for c in case.initial], 2)
    out["trace"].append({"centroids": out["centroids"], "labels": out["labels"]})
    verdict = certify(case, parse_output(out, case))
    assert verdict.cause == "iteration-count" and "leave it out" in verdict.diagnosis.evidence
