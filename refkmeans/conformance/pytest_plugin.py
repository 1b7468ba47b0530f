"""A pytest plugin: run the refkmeans conformance suite inside your own test run.

Load it from your ``conftest.py``::

    pytest_plugins = ["refkmeans.conformance.pytest_plugin"]

(or ``pytest -p refkmeans.conformance.pytest_plugin``), and name your
implementation in your pytest configuration::

    [tool.pytest.ini_options]
    refkmeans_impl = "mypackage.kmeans:kmeans"     # or: refkmeans_cmd = "node kmeans.mjs"
    refkmeans_tolerance = "float32"                # default: declared, else float64
    refkmeans_xfail = [
        "empty/keep-mid-run: we relocate empty clusters, as scikit-learn does",
    ]

or on the command line (``--refkmeans-impl``, ``--refkmeans-cmd``,
``--refkmeans-tolerance``, ``--refkmeans-ties``, ``--refkmeans-case``).
Every case becomes one test, ``refkmeans-conformance::<case id>``; a failure
shows the kit's diagnosis.  A case on the xfail list (id or glob, then an
optional ``: reason``) is a strict xfail: when it starts to pass, pytest says
so.  Without an implementation configured the plugin adds nothing.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

from .candidates import Candidate, candidate_from_options
from .certify import FAILING, SKIP, Verdict
from .report import verdict_lines
from .suite import matches, run_case, select
from .vectors import Case, load_suite

PREFIX = "refkmeans-conformance"


def pytest_addoption(parser: Any) -> None:
    """The plugin's command-line options and ini settings."""
    group = parser.getgroup("refkmeans", "refkmeans conformance suite")
    group.addoption("--refkmeans-impl", metavar="MODULE:FUNCTION", help="Python k-means to certify")
    group.addoption("--refkmeans-cmd", metavar="'PROGRAM ARGS'", help="program to certify (JSON protocol)")
    group.addoption("--refkmeans-tolerance", metavar="CLASS", help="exact, float64 or float32")
    group.addoption("--refkmeans-ties", metavar="RULE", help="any (default) or lowest")
    group.addoption("--refkmeans-case", action="append", default=[], metavar="ID", help="only these cases")
    parser.addini("refkmeans_impl", "Python k-means to certify (MODULE:FUNCTION)", default="")
    parser.addini("refkmeans_cmd", "program to certify (JSON protocol)", default="")
    parser.addini("refkmeans_tolerance", "exact, float64 or float32", default="")
    parser.addini("refkmeans_ties", "any or lowest", default="any")
    parser.addini("refkmeans_cases", "only these case ids, globs or groups", type="args", default=[])
    parser.addini("refkmeans_xfail", "expected failures: 'CASE-ID-OR-GLOB[: reason]' per line", type="linelist",
                  default=[])
    parser.addini("refkmeans_vectors", "a vectors folder (default: the bundled suite)", default="")
    parser.addini("refkmeans_batch", "run a --cmd program once for all cases", type="bool", default=False)


def _setting(config: Any, option: str, ini: str) -> Any:
    value = config.getoption(option)
    return value if value else config.getini(ini)


def xfail_list(lines: List[str]) -> Dict[str, str]:
    """'id: reason' lines as {pattern: reason}.

    >>> xfail_list(["empty/*: we relocate", "k/one"])
    {'empty/*': 'we relocate', 'k/one': 'on the xfail list'}
    """
    found = {}
    for line in lines:
        pattern, _, reason = line.partition(":")
        if pattern.strip():
            found[pattern.strip()] = reason.strip() or "on the xfail list"
    return found


class Settings:
    """What the plugin was asked to run."""

    def __init__(self, config: Any) -> None:
        self.impl = _setting(config, "--refkmeans-impl", "refkmeans_impl") or None
        self.cmd = _setting(config, "--refkmeans-cmd", "refkmeans_cmd") or None
        self.tolerance = _setting(config, "--refkmeans-tolerance", "refkmeans_tolerance") or None
        self.ties = _setting(config, "--refkmeans-ties", "refkmeans_ties") or "any"
        self.cases = config.getoption("--refkmeans-case") or config.getini("refkmeans_cases")
        self.xfail = xfail_list(config.getini("refkmeans_xfail"))
        self.vectors = config.getini("refkmeans_vectors") or None
        self.batch = bool(config.getini("refkmeans_batch"))
        self._candidate: Optional[Candidate] = None
        self._prepared = False

    @property
    def enabled(self) -> bool:
        return bool(self.impl or self.cmd)

    def candidate(self, cases: List[Case]) -> Candidate:
        """The candidate, built once (and, in batch mode, run once over all cases)."""
        if self._candidate is None:
            self._candidate = candidate_from_options(self.impl, self.cmd, batch=self.batch)
        if not self._prepared:
            self._candidate.prepare(cases)
            self._prepared = True
        return self._candidate


class ConformanceFailure(Exception):
    """A case failed; carries the verdict for the report."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.case_id)
        self.verdict = verdict


class ConformanceItem(pytest.Item):
    """One golden-vector case as a test."""

    def __init__(self, *, case: Case, settings: Settings, cases: List[Case], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.settings = settings
        self.all_cases = cases

    def runtest(self) -> None:
        settings = self.settings
        candidate = settings.candidate(self.all_cases)
        tolerance = settings.tolerance or candidate.tolerance or "float64"
        verdict = run_case(candidate, self.case, tolerance, settings.ties)
        if verdict.status == SKIP:
            pytest.skip(verdict.message)
        if verdict.status in FAILING:
            raise ConformanceFailure(verdict)

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return "\n".join(verdict_lines(excinfo.value.verdict, verbose=True))
        return super().repr_failure(excinfo)

    def reportinfo(self) -> Tuple[Any, Optional[int], str]:
        return self.path, None, f"{PREFIX}::{self.case.id}"


def pytest_collection_modifyitems(session: Any, config: Any, items: List[Any]) -> None:
    """Add one item per selected case when an implementation is configured."""
    settings = Settings(config)
    if not settings.enabled:
        return
    cases = select(load_suite(settings.vectors), settings.cases)
    for case in cases:
        item = ConformanceItem.from_parent(
            session, name=f"{PREFIX}::{case.id}", case=case, settings=settings, cases=cases
        )
        for pattern, reason in settings.xfail.items():
            if matches(case.id, pattern):
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=ConformanceFailure))
        items.append(item)
