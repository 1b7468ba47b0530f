"""Candidates: the implementations under test, and how their answers are read.

Two interfaces (SPEC.md C3):

* **Python** (KM-PY-*): ``MODULE:FUNCTION`` is called as
  ``FUNCTION(pixels, init, max_iter)`` with ``pixels`` a list of integer
  tuples, ``init`` a list of float tuples and ``max_iter`` an int.  If its
  signature accepts ``metric`` or ``empty`` keywords they are passed too;
  otherwise only the cases that use the defaults (euclidean or sqeuclidean,
  ``keep``) are run.  It returns a dict (below) or raises
  ``NotImplementedError`` to skip a case.
* **Any program** (KM-CMD-*): ``PROGRAM ARGS`` runs once per case.  It reads
  a JSON request on stdin (or from the file ``{input}`` stands for) and
  writes a JSON response on stdout (or to ``{output}``).

The response, from either: ``labels`` (one int per pixel), ``centroids``
(k rows of C numbers) and optionally ``trace`` (one entry per iteration,
``{"centroids": ..., "labels": ...}``: the centroids at the start of that
iteration and the labels assigned to them).  A number may be a JSON number
or an exact rational as text ``"p/q"``; ``null`` (or NaN) means "not a
number".  ``{"error": "empty-cluster", "iteration": t, "cluster": j}``
answers a case whose policy is ``error``; ``{"unsupported": "why"}`` skips
a case.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import operator
import os
import shlex
import subprocess
import sys
import tempfile
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import UsageError
from ..rational import from_text
from .exact import MaybeCentroid
from .vectors import Case

PROTOCOL = "refkmeans-conform/1"

#: Metrics a candidate that takes no ``metric`` argument is assumed to implement.
DEFAULT_METRICS = ("euclidean", "sqeuclidean")
DEFAULT_EMPTY = "keep"


class Skip(Exception):
    """The candidate does not support this case (not a failure)."""


class Crash(Exception):
    """The candidate crashed, timed out or answered something that is not JSON."""


class Malformed(Exception):
    """The answer has the wrong shape (a failure of the candidate, cause 'output')."""


class Output:
    """A candidate's answer, normalised: exact centroids (None where not a number)."""

    def __init__(
        self,
        labels: Optional[List[int]] = None,
        centroids: Optional[List[MaybeCentroid]] = None,
        trace: Optional[List[Tuple[List[MaybeCentroid], List[int]]]] = None,
        error: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.labels = labels
        self.centroids = centroids
        self.trace = trace
        self.error = error

    def __repr__(self) -> str:
        what = "error" if self.error else (f"trace of {len(self.trace)}" if self.trace is not None else "final only")
        return f"<Output {what}>"


def request(case: Case) -> Dict[str, Any]:
    """The request a candidate gets for one case (KM-CMD-2)."""
    return {
        "protocol": PROTOCOL,
        "case": case.id,
        "pixels": [list(p) for p in case.pixels],
        "init": [[float(v) for v in c] for c in case.initial],
        "max_iter": case.max_iter,
        "metric": case.metric,
        "empty": case.empty,
        "channels": case.channels,
        "maxval": case.maxval,
    }


class Candidate:
    """An implementation under test."""

    #: How the candidate is named in reports and reproductions.
    name = ""
    #: The command-line option that selects it again (for reproductions).
    option = ""
    #: The tolerance class the candidate declares, if it declares one.
    tolerance: Optional[str] = None

    def skip_reason(self, case: Case) -> Optional[str]:
        """Why this candidate cannot run this case, or None."""
        return None

    def prepare(self, cases: Sequence[Case]) -> None:
        """Called once before the cases run (a batch candidate runs them all here)."""

    def answer(self, case: Case) -> Any:
        """The raw answer (a dict) for one case; raises Skip or Crash."""
        raise NotImplementedError

    def run(self, case: Case) -> Output:
        """Run one case and normalise the answer (raises Skip, Crash or Malformed)."""
        reason = self.skip_reason(case)
        if reason:
            raise Skip(reason)
        return parse_output(self.answer(case), case)

    def reproduce(self, case_id: str, tolerance: str, ties: str) -> str:
        """The command line that runs this candidate on one case again."""
        extra = "" if tolerance == "float64" else f" --tolerance {tolerance}"
        extra += "" if ties == "any" else f" --ties {ties}"
        return f"refkmeans conform {self.option} --case {shlex.quote(case_id)}{extra}"


class PythonCandidate(Candidate):
    """``MODULE:FUNCTION`` called in this process (KM-PY-1)."""

    def __init__(self, spec: str) -> None:
        self.function = load_function(spec)
        self.name = spec
        self.option = f"--impl {shlex.quote(spec)}"
        declared = getattr(self.function, "tolerance", None)
        self.tolerance = declared if isinstance(declared, str) else None
        self.keywords = _keywords(self.function)

    def skip_reason(self, case: Case) -> Optional[str]:
        if case.metric not in DEFAULT_METRICS and "metric" not in self.keywords:
            return f"metric {case.metric!r}: the function takes no 'metric' argument"
        if case.empty != DEFAULT_EMPTY and "empty" not in self.keywords:
            return f"empty-cluster policy {case.empty!r}: the function takes no 'empty' argument"
        return None

    def answer(self, case: Case) -> Any:
        pixels = [tuple(p) for p in case.pixels]
        init = [tuple(float(v) for v in c) for c in case.initial]
        options = {name: getattr(case, name) for name in ("metric", "empty") if name in self.keywords}
        try:
            return self.function(pixels, init, case.max_iter, **options)
        except NotImplementedError as exc:
            raise Skip(str(exc) or "the function raised NotImplementedError") from None
        except Exception as exc:
            raise Crash(f"{type(exc).__name__}: {exc}") from None


def load_function(spec: str) -> Callable[..., Any]:
    """Import ``MODULE:FUNCTION`` (the current directory is searched first, as pytest does)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"--impl wants MODULE:FUNCTION, got {spec!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name!r} for --impl: {exc}") from None
    except Exception as exc:
        raise UsageError(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"{module_name!r} has no attribute {attribute!r}") from None
    if not callable(target):
        raise UsageError(f"{spec} is not callable")
    return target  # type: ignore[no-any-return]


def _keywords(function: Callable[..., Any]) -> Tuple[str, ...]:
    """Which of 'metric' and 'empty' the function accepts."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return ("metric", "empty")
    names = {p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return tuple(n for n in ("metric", "empty") if n in names)


class CommandCandidate(Candidate):
    """A program in any language, run once per case, or once for all cases with ``batch`` (KM-CMD-1)."""

    def __init__(
        self,
        command: str,
        timeout: float = 60.0,
        core_only: bool = False,
        batch: bool = False,
        cwd: Optional[str] = None,
    ) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise UsageError(f"cannot parse --cmd {command!r}: {exc}") from None
        if not self.argv:
            raise UsageError("--cmd needs a program to run")
        self.name = command
        self.option = f"--cmd {shlex.quote(command)}" + (" --core" if core_only else "") + (" --batch" if batch else "")
        self.timeout = timeout
        self.core_only = core_only
        self.batch = batch
        self.cwd = cwd
        self._answers: Dict[str, Any] = {}

    def skip_reason(self, case: Case) -> Optional[str]:
        if self.core_only and (case.metric not in DEFAULT_METRICS or case.empty != DEFAULT_EMPTY):
            return f"--core: metric {case.metric!r}, policy {case.empty!r}"
        return None

    def prepare(self, cases: Sequence[Case]) -> None:
        """In batch mode, run the program once with every request, one JSON line each (KM-CMD-5)."""
        if not self.batch:
            return
        wanted = [c for c in cases if not self.skip_reason(c)]
        if not wanted:
            return
        payload = "".join(json.dumps(request(c)) + "\n" for c in wanted)
        try:
            text = self._exchange(payload, self.timeout * len(wanted))
        except Crash as exc:
            self._answers = {c.id: exc for c in wanted}
            return
        lines = [line for line in text.splitlines() if line.strip()]
        for i, case in enumerate(wanted):
            if i < len(lines):
                self._answers[case.id] = _decode(lines[i])
            else:
                self._answers[case.id] = Crash(f"no answer line for request {i + 1} of {len(wanted)}")

    def answer(self, case: Case) -> Any:
        if self.batch:
            found = self._answers.get(case.id)
            if found is None:
                raise Crash("the batch run did not answer this case")
        else:
            found = _decode(self._exchange(json.dumps(request(case)) + "\n", self.timeout))
        if isinstance(found, Exception):
            raise found
        if isinstance(found, dict) and "unsupported" in found:
            raise Skip(str(found["unsupported"]))
        return found

    def _exchange(self, payload: str, timeout: float) -> str:
        """Run the program once: ``payload`` in (stdin or {input}), its answer text out."""
        with tempfile.TemporaryDirectory(prefix="refkmeans-conform-") as folder:
            in_path = os.path.join(folder, "request.json")
            out_path = os.path.join(folder, "response.json")
            uses_in = any("{input}" in a for a in self.argv)
            uses_out = any("{output}" in a for a in self.argv)
            argv = [a.replace("{input}", in_path).replace("{output}", out_path) for a in self.argv]
            if uses_in:
                with open(in_path, "w", encoding="utf-8") as f:
                    f.write(payload)
            try:
                done = subprocess.run(
                    argv,
                    input=None if uses_in else payload,
                    stdin=subprocess.DEVNULL if uses_in else None,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    cwd=self.cwd,
                )
            except FileNotFoundError:
                raise UsageError(f"--cmd: program {self.argv[0]!r} not found") from None
            except PermissionError:
                raise UsageError(f"--cmd: program {self.argv[0]!r} is not executable") from None
            except subprocess.TimeoutExpired:
                raise Crash(f"no answer within {timeout:g} s (--timeout)") from None
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["(no message on stderr)"])[-1]
                raise Crash(f"exit status {done.returncode}: {last[:300]}")
            if not uses_out:
                return done.stdout
            try:
                with open(out_path, encoding="utf-8") as f:
                    return f.read()
            except OSError:
                raise Crash("the program did not write the {output} file") from None


def _decode(text: str) -> Any:
    """One JSON answer, or a Crash that quotes the start of what came instead."""
    try:
        return json.loads(text)
    except ValueError as exc:
        head = text.strip()[:80] or "(nothing)"
        return Crash(f"the answer is not JSON ({exc}); it starts {head!r}")


# --- reading answers ------------------------------------------------------------


def parse_output(answer: Any, case: Case) -> Output:
    """Check an answer's shape against the case and make its numbers exact."""
    if not isinstance(answer, dict):
        name = type(answer).__name__
        raise Malformed(f"the answer is {'an' if name[:1] in 'aeiou' else 'a'} {name}, not a dict/object")
    if "error" in answer:
        return Output(error=_parse_error(answer))
    for key in ("labels", "centroids"):
        if key not in answer:
            raise Malformed(f"the answer has no {key!r}")
    labels = parse_labels(answer["labels"], case, "labels")
    centroids = parse_centroids(answer["centroids"], case, "centroids")
    trace = None
    if answer.get("trace") is not None:
        raw = answer["trace"]
        if not isinstance(raw, (list, tuple)):
            raise Malformed("'trace' must be a list with one entry per iteration")
        trace = []
        for t, entry in enumerate(raw):
            if not isinstance(entry, dict) or "centroids" not in entry or "labels" not in entry:
                raise Malformed(f"trace[{t}] must be an object with 'centroids' and 'labels'")
            trace.append(
                (
                    parse_centroids(entry["centroids"], case, f"trace[{t}].centroids"),
                    parse_labels(entry["labels"], case, f"trace[{t}].labels"),
                )
            )
    return Output(labels, centroids, trace)


def _parse_error(answer: Dict[str, Any]) -> Dict[str, Any]:
    if answer.get("error") != "empty-cluster":
        raise Malformed(f"unknown error kind {answer.get('error')!r} (only 'empty-cluster' is defined)")
    try:
        return {
            "kind": "empty-cluster",
            "iteration": _index(answer.get("iteration"), "error iteration"),
            "cluster": _index(answer.get("cluster"), "error cluster"),
        }
    except TypeError as exc:
        raise Malformed(str(exc)) from None


def _index(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {value!r}") from None


def parse_labels(raw: Any, case: Case, where: str) -> List[int]:
    """One int in 0..k-1 per pixel."""
    try:
        labels = [_index(v, where) for v in _as_list(raw)]
    except TypeError as exc:
        raise Malformed(f"{where}: {exc}") from None
    if len(labels) != len(case.pixels):
        raise Malformed(f"{where}: {len(labels)} labels for {len(case.pixels)} pixels")
    bad = next((i for i, v in enumerate(labels) if not 0 <= v < case.k), None)
    if bad is not None:
        raise Malformed(f"{where}: label {labels[bad]} of pixel {bad} is not in 0..{case.k - 1}")
    return labels


def parse_centroids(raw: Any, case: Case, where: str) -> List[MaybeCentroid]:
    """k rows of C exact numbers; a row with a non-number becomes None."""
    rows = _as_list(raw)
    if len(rows) != case.k:
        raise Malformed(f"{where}: {len(rows)} centroids, expected k = {case.k}")
    out: List[MaybeCentroid] = []
    for j, row in enumerate(rows):
        values = _as_list(row)
        if len(values) != case.channels:
            raise Malformed(f"{where}[{j}]: {len(values)} coordinates, the pixels have {case.channels}")
        exact = [parse_number(v, f"{where}[{j}]") for v in values]
        out.append(None if any(v is None for v in exact) else tuple(exact))  # type: ignore[arg-type]
    return out


def parse_number(value: Any, where: str) -> Optional[Fraction]:
    """The exact value of a JSON number, Python/numpy number or 'p/q' text; None for NaN/inf/null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Malformed(f"{where}: {value!r} is not a number")
    if isinstance(value, str):
        try:
            return from_text(value)
        except ValueError:
            raise Malformed(f"{where}: {value!r} is not a number or a rational 'p/q'") from None
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Malformed(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        return None
    return Fraction(number)


def _as_list(value: Any) -> List[Any]:
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise Malformed(f"expected a list, got {type(value).__name__}")
    tolist = getattr(value, "tolist", None)  # numpy arrays, without importing numpy
    if callable(tolist):
        value = tolist()
    try:
        return list(value)
    except TypeError:
        raise Malformed(f"expected a list, got {type(value).__name__}") from None


def candidate_from_options(
    impl: Optional[str], cmd: Optional[str], timeout: float = 60.0, core_only: bool = False, batch: bool = False
) -> Candidate:
    """The candidate that ``--impl`` or ``--cmd`` names (exactly one of them)."""
    if (impl is None) == (cmd is None):
        raise UsageError("give exactly one of --impl MODULE:FUNCTION and --cmd 'PROGRAM ARGS'")
    if impl is not None:
        return PythonCandidate(impl)
    return CommandCandidate(cmd, timeout=timeout, core_only=core_only, batch=batch)  # type: ignore[arg-type]
