"""The pytest plugin: a third-party project runs the suite inside its own test run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

IMPLEMENTATION = '''
from refkmeans.conformance.own import plain_float

def good(pixels, init, max_iter):
    return plain_float(pixels, init, max_iter)

def unassigned(pixels, init, max_iter):
    answer = plain_float(pixels, init, max_iter)
    answer["labels"] = [0] * len(pixels)
    del answer["trace"]
    return answer

def refuses(pixels, init, max_iter):
    raise NotImplementedError("not this one")
'''


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # a bare pytest starts much faster
    pytester.syspathinsert(str(ROOT))
    pytester.makepyfile(plugin_example_kmeans=IMPLEMENTATION)
    pytester.makeconftest('pytest_plugins = ["refkmeans.conformance.pytest_plugin"]\n')
    return pytester


def test_without_an_implementation_the_plugin_adds_nothing(project):
    project.makepyfile(test_other="def test_one():\n    pass\n")
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_each_case_becomes_a_test_that_passes_for_a_correct_implementation(project):
    result = project.runpytest("-p", "no:cacheprovider", "--refkmeans-impl", "plugin_example_kmeans:good", "--refkmeans-case",
                               "ties", "-v")
    from refkmeans.conformance import load_suite

    result.assert_outcomes(passed=sum(1 for c in load_suite() if c.id.startswith("ties/")))
    result.stdout.fnmatch_lines(["*refkmeans-conformance::ties/gray-midpoint PASSED*"])


def test_a_failure_shows_the_diagnosis_and_xfail_by_case_id_is_strict(project):
    project.makeini(
        "[pytest]\n"
        "refkmeans_impl = plugin_example_kmeans:unassigned\n"
        "refkmeans_cases = basic k/one\n"
        "refkmeans_xfail =\n"
        "    basic/gray-*: we never assign\n"
        "    k/one\n"
    )
    result = project.runpytest("-p", "no:cacheprovider")
    # k/one has a single centroid, so label 0 is right there: its xfail is an unexpected pass.
    result.assert_outcomes(failed=2, xfailed=2)
    result.stdout.fnmatch_lines(["*likely cause: stale-labels*", "*[XPASS(strict)]*k/one*"])


def test_unsupported_cases_are_skipped_with_the_reason(project):
    result = project.runpytest("-p", "no:cacheprovider", "--refkmeans-impl", "plugin_example_kmeans:refuses", "--refkmeans-case",
                               "k/one", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*not this one*"])


def test_a_program_can_be_certified_from_the_ini_in_batch_mode(project):
    script = project.makepyfile(
        prog=(
            f"import sys, json\nsys.path.insert(0, {str(ROOT)!r})\n"
            "from refkmeans.conformance.own import plain_float\n"
            "for line in sys.stdin:\n"
            "    r = json.loads(line)\n"
            "    print(json.dumps(plain_float(r['pixels'], r['init'], r['max_iter'])))\n"
        )
    )
    project.makeini(f"[pytest]\nrefkmeans_cmd = {sys.executable} {script}\nrefkmeans_batch = true\n"
                    "refkmeans_cases = stop\nrefkmeans_tolerance = float64\nrefkmeans_ties = any\n")
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_the_xfail_list_reads_ids_globs_and_reasons():
    from refkmeans.conformance.pytest_plugin import xfail_list

    assert xfail_list(["a/b: why: really", "  ", "c/*"]) == {"a/b": "why: really", "c/*": "on the xfail list"}
