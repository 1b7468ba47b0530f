"""The conformance kit: golden vectors, a step-wise certifier, diagnoses.

=====================================  ===================================================
``load_suite(folder=None)``            the golden vectors (a list of :class:`Case`)
``certify(case, output, tolerance)``   check one answer exactly; returns a :class:`Verdict`
``run_suite(candidate, cases, ...)``   run a candidate over cases; returns a :class:`SuiteRun`
``PythonCandidate("mod:func")``        a Python function under test
``CommandCandidate("prog args")``      any program speaking the JSON protocol
=====================================  ===================================================

The command line is ``refkmeans conform`` (and ``refkmeans vectors`` writes
the vectors); the pytest plugin is :mod:`refkmeans.conformance.pytest_plugin`.
The rules are SPEC.md C1, C2 and C3; the guide is docs/conformance.md.

>>> from refkmeans.conformance import load_suite, run_suite, PythonCandidate, select
>>> run = run_suite(PythonCandidate("refkmeans.conformance.own:plain"), select(load_suite(), ["ties"]))
>>> run.conformant, run.counts()["pass"] == len(run.verdicts)
(True, True)
"""

from __future__ import annotations

from .candidates import CommandCandidate, Output, PythonCandidate, parse_output, request
from .certify import Verdict, certify
from .suite import SuiteRun, run_suite, select
from .vectors import SUITE_VERSION, Case, load_suite

__all__ = [
    "SUITE_VERSION",
    "Case",
    "CommandCandidate",
    "Output",
    "PythonCandidate",
    "SuiteRun",
    "Verdict",
    "certify",
    "load_suite",
    "parse_output",
    "request",
    "run_suite",
    "select",
]
