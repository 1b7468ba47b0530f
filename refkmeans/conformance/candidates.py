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
import sys
import time
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import safejson
from ..errors import UsageError
from ..rational import from_text
from . import worker
from .exact import MaybeCentroid
from .process import Finished, Scratch, run_program
from .vectors import Case
from .worker import Worker

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
        #: How the answer was obtained (shown with -v).
        self.notes: List[str] = []
        #: What went wrong around a usable answer, e.g. a program that did not exit (always shown).
        self.warnings: List[str] = []

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

    #: time.monotonic() by which the whole run must end (``--deadline``), or None.
    deadline_at: Optional[float] = None

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
        output = parse_output(self.answer(case), case)
        output.warnings.extend(self.case_notes.pop(case.id, []))
        return output

    @property
    def notes(self) -> List[str]:
        """What the runner saw that belongs to no single case (stray output lines, a batch crash)."""
        return self.__dict__.setdefault("_notes", [])  # type: ignore[no-any-return]

    @property
    def case_notes(self) -> Dict[str, List[str]]:
        """What the runner saw while getting one case's answer, by case id."""
        return self.__dict__.setdefault("_case_notes", {})  # type: ignore[no-any-return]

    def budget(self, timeout: float) -> Tuple[float, str]:
        """The seconds this call may take, and what to blame when it overruns (--timeout or --deadline)."""
        if self.deadline_at is not None:
            left = self.deadline_at - time.monotonic()
            if left < timeout:
                return max(left, 0.0), "--deadline"
        return timeout, "--timeout"

    def close(self) -> None:
        """Release what the candidate holds (a worker process)."""

    def reproduce(self, case_id: str, tolerance: str, ties: str) -> str:
        """The command line that runs this candidate on one case again."""
        extra = "" if tolerance == "float64" else f" --tolerance {tolerance}"
        extra += "" if ties == "any" else f" --ties {ties}"
        return f"refkmeans conform {self.option} --case {shlex.quote(case_id)}{extra}"


class PythonCandidate(Candidate):
    """``MODULE:FUNCTION`` called in this process (KM-PY-1)."""

    #: Seconds per case; None calls the function in this process, with no limit (KM-PY-6).
    timeout: Optional[float] = None
    _worker: Optional[Worker] = None

    def __init__(self, spec: str, timeout: Optional[float] = None) -> None:
        self.function = load_function(spec)
        self.name = spec
        self.option = f"--impl {shlex.quote(spec)}"
        declared = getattr(self.function, "tolerance", None)
        self.tolerance = declared if isinstance(declared, str) else None
        self.keywords = _keywords(self.function)
        self.timeout = timeout

    def skip_reason(self, case: Case) -> Optional[str]:
        if case.metric not in DEFAULT_METRICS and "metric" not in self.keywords:
            return f"metric {case.metric!r}: the function takes no 'metric' argument"
        if case.empty != DEFAULT_EMPTY and "empty" not in self.keywords:
            return f"empty-cluster policy {case.empty!r}: the function takes no 'empty' argument"
        return None

    def answer(self, case: Case) -> Any:
        pixels = [tuple(p) for p in case.pixels]
        init = [tuple(float(v) for v in c) for c in case.initial]
        options: Dict[str, Any] = {name: getattr(case, name) for name in ("metric", "empty") if name in self.keywords}
        return self.call((pixels, init, case.max_iter), options)

    def call(self, args: Tuple[Any, ...], options: Dict[str, Any]) -> Any:
        """The function on ``args`` and ``options``: in a worker process when there is a timeout or a deadline."""
        if self.timeout is None and self.deadline_at is None:
            kind, value = worker.call(self.function, args, options)
        else:
            limit, blame = self.budget(self.timeout if self.timeout is not None else float("inf"))
            if self._worker is None:
                self._worker = Worker(self.name)
            outcome = self._worker.call(limit, *args, **options)
            if outcome is None:
                raise Crash(f"no answer within {limit:.3g} s ({blame}); the worker process was stopped")
            kind, value = outcome
        if kind == "skip":
            raise Skip(value)
        if kind == "crash":
            raise Crash(value)
        return value

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


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
        """In batch mode, run the program once with every request, one JSON line each (KM-CMD-5).

        Answers are matched to requests by the case id they echo; a line that is no answer is reported.
        If the program crashes or overruns, the cases it did not answer are rerun one process each
        (:meth:`answer`), so that only the case that crashes it is marked.
        """
        if not self.batch:
            return
        wanted = [c for c in cases if not self.skip_reason(c)]
        if not wanted:
            return
        payload = "".join(json.dumps(request(c)) + "\n" for c in wanted)
        limit, blame = self.budget(self.timeout * len(wanted))
        try:
            done = self._run(payload, limit, sum(answer_limit(c) for c in wanted))
        except Crash as exc:
            self._answers = {c.id: exc for c in wanted}
            return
        text = _text(done.stdout)
        if isinstance(text, Crash):
            self._answers = {c.id: text for c in wanted}
            return
        answers = self._match(text, wanted)
        missing = [c for c in wanted if c.id not in answers]
        self._answers = answers
        if done.exited and done.returncode == 0:
            for i, case in enumerate(wanted):
                if case.id not in answers:
                    answers[case.id] = Crash(f"no answer line for request {i + 1} of {len(wanted)}")
            return
        if not missing and not done.overflowed:  # every answer came, but the program did not end
            for case in wanted:
                self.case_notes.setdefault(case.id, []).append(_not_exited(limit, blame))
            return
        why = self._failure(done, limit, blame)
        for case in missing:
            answers[case.id] = RERUN
        if missing:
            self.notes.append(
                f"the batch run ended abnormally ({why}) after answering {len(wanted) - len(missing)} of "
                f"{len(wanted)} request(s); the other {len(missing)} were rerun one process each"
            )

    def _match(self, text: str, wanted: Sequence[Case]) -> Dict[str, Any]:
        """Answers by case id: echoed ids first, else by position among the answer lines; strays noted."""
        ids = {c.id for c in wanted}
        answers: Dict[str, Any] = {}
        position = 0
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            found = _decode(line)
            if isinstance(found, Crash) or not isinstance(found, dict):
                self.notes.append(f"output line {number} is not an answer: {_quote(line)}")
                continue
            echoed = found.get("case")
            if echoed is None:
                case_id = wanted[position].id if position < len(wanted) else None
            else:
                case_id = echoed if echoed in ids else None
            position += 1
            if case_id is None or case_id in answers:
                what = "answers no request" if case_id is None else f"answers case {case_id!r} again"
                self.notes.append(f"output line {number} {what}: {_quote(line)}")
                continue
            answers[case_id] = found
        return answers

    def answer(self, case: Case) -> Any:
        found = self._answers.get(case.id, MISSING) if self.batch else RERUN
        if found is MISSING:
            raise Crash("the batch run did not answer this case")
        if found is RERUN:  # one process for this case (and batch cases a crash left unanswered)
            return self.ask(request(case), case.id, answer_limit(case))
        if isinstance(found, Exception):
            raise found
        if isinstance(found, dict) and "unsupported" in found:
            raise Skip(str(found["unsupported"]))
        return found

    def ask(self, message: Dict[str, Any], case_id: str, limit_bytes: int) -> Any:
        """Run the program once with one request; its decoded answer (raises Crash or Skip)."""
        limit, blame = self.budget(self.timeout)
        done = self._run(json.dumps(message) + "\n", limit, limit_bytes)
        text = _text(done.stdout)
        found = text if isinstance(text, Crash) else _decode(text)
        if not (done.exited and done.returncode == 0):
            if not done.exited and not done.overflowed and isinstance(found, dict):
                self.case_notes.setdefault(case_id, []).append(_not_exited(limit, blame))
            else:
                found = Crash(self._failure(done, limit, blame))
        if isinstance(found, Exception):
            raise found
        if isinstance(found, dict) and "unsupported" in found:
            raise Skip(str(found["unsupported"]))
        return found

    def _run(self, payload: str, timeout: float, limit: int) -> Finished:
        """Run the program once: ``payload`` in (stdin or {input}), its answer back (stdout or {output})."""
        with Scratch() as folder:
            in_path = os.path.join(folder, "request.json")
            out_path = os.path.join(folder, "response.json")
            uses_in = any("{input}" in a for a in self.argv)
            uses_out = any("{output}" in a for a in self.argv)
            argv = [a.replace("{input}", in_path).replace("{output}", out_path) for a in self.argv]
            if uses_in:
                with open(in_path, "w", encoding="utf-8") as f:
                    f.write(payload)
            try:
                done = run_program(argv, None if uses_in else payload.encode("utf-8"), timeout, limit, self.cwd)
            except FileNotFoundError:
                raise UsageError(f"--cmd: program {self.argv[0]!r} not found") from None
            except PermissionError:
                raise UsageError(f"--cmd: program {self.argv[0]!r} is not executable") from None
            if not uses_out or not done.exited:
                return done
            try:
                if os.path.getsize(out_path) > limit:
                    return done._replace(stdout=b"", overflowed=True)
                with open(out_path, "rb") as f:
                    return done._replace(stdout=f.read())
            except OSError:
                raise Crash("the program did not write the {output} file") from None

    def _failure(self, done: Finished, limit: float, blame: str) -> str:
        """Why a run gave no usable answer."""
        if done.overflowed:
            return "it wrote more output than any answer needs; it was stopped"
        if not done.exited:
            return f"no answer within {limit:.3g} s ({blame}); its process group was killed"
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message on stderr)"])[-1]
        return f"exit status {done.returncode}: {last[:300]}"


#: Markers in a batch's answers: run this case in a process of its own; no request was sent for it.
RERUN, MISSING = object(), object()


def answer_limit(case: Case) -> int:
    """The most output an answer to ``case`` may take: 64 bytes a number, a trace entry per iteration, 1 MiB more."""
    per_state = len(case.pixels) + case.k * case.channels
    return 2**20 + 64 * (case.max_iter + 2) * per_state


def _not_exited(limit: float, blame: str) -> str:
    return (f"the program answered but did not exit within {limit:.3g} s ({blame}) after its input ended; "
            "its process group was killed")


def _text(data: bytes) -> Any:
    """Standard output as text, or a Crash saying where it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Crash(f"the answer is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})")


def _quote(line: str) -> str:
    return repr(line.strip()[:80])


def _decode(text: str) -> Any:
    """One JSON answer, or a Crash that quotes the start of what came instead."""
    try:
        return safejson.loads(text)
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


#: The longest --timeout or --deadline accepted, in seconds (a week): longer is a mistake, not a limit.
LONGEST_WAIT = 7 * 24 * 3600


def check_seconds(value: Optional[float], option: str) -> None:
    """A time limit must be a positive, finite number of seconds, at most :data:`LONGEST_WAIT`."""
    if value is not None and not (0 < value <= LONGEST_WAIT):  # NaN fails both comparisons
        raise UsageError(f"{option} must be positive, finite and at most {LONGEST_WAIT} seconds, got {value}")


def candidate_from_options(
    impl: Optional[str], cmd: Optional[str], timeout: float = 60.0, core_only: bool = False, batch: bool = False,
    step: bool = False,
) -> Candidate:
    """The candidate that ``--impl`` or ``--cmd`` names (exactly one of them); ``step``: the step protocol."""
    from .stepping import CommandStepper, PythonStepper  # they build on the candidates here

    if (impl is None) == (cmd is None):
        raise UsageError("give exactly one of --impl MODULE:FUNCTION and --cmd 'PROGRAM ARGS'")
    check_seconds(timeout, "--timeout")
    if step and batch:
        raise UsageError("--step runs one process per step; it cannot be combined with --batch")
    if impl is not None:
        return PythonStepper(impl, timeout=timeout) if step else PythonCandidate(impl, timeout=timeout)
    if step:
        return CommandStepper(cmd, timeout=timeout, core_only=core_only)  # type: ignore[arg-type]
    return CommandCandidate(cmd, timeout=timeout, core_only=core_only, batch=batch)  # type: ignore[arg-type]
