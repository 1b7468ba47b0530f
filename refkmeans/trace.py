"""The trace: every k-means iteration as one JSON object per line (JSON Lines).

The format is specified in SPEC.md by rules ``KM-TRACE-*``.  In
short, a trace written by refkmeans is::

    {"type": "run", "format": "refkmeans-trace", "version": 1, "k": 16, ...}
    {"type": "step", "iteration": 0, "inertia": 8519472.5, "centroids": [["12", "40", "200"], ...], ...}
    {"type": "step", "iteration": 1, ...}
    {"type": "end", "status": "converged", "iterations": 2, "centroids": [...], ...}

Exact rationals are strings (``"3/2"``, ``"7"``); every float is the
correctly rounded value of the exact rational beside it.  A reader needs
only ``iteration`` and ``inertia`` on each step line, so another
implementation can write the smallest useful trace with one ``print`` per
iteration.

>>> from refkmeans import kmeans
>>> result = kmeans([(0,), (2,), (10,)], init=[(0,), (10,)], trace=True)
>>> [r["type"] for r in trace_records(result)]
['run', 'step', 'step', 'end']
>>> parse_lines(dumps(r) for r in trace_records(result)).inertias()
[4.0, 2.0]
"""

from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from . import safejson
from .errors import EmptyClusterError, ImageError, UsageError
from .files import check_writable, write_bytes
from .rational import from_text, to_text
from .result import Result, Step

FORMAT = "refkmeans-trace"
VERSION = 1

Record = Dict[str, Any]


class TraceError(ImageError):
    """A trace file is malformed (an unreadable input, exit code 3)."""


# -- writing ------------------------------------------------------------------


def _centroids(centroids: Sequence[Sequence[Fraction]]) -> Tuple[list, list]:
    return [[to_text(v) for v in c] for c in centroids], [[float(v) for v in c] for c in centroids]


def run_record(result: Optional[Result] = None, **info: Any) -> Record:
    """The first line: the format, its version, and what was run (``info`` adds fields)."""
    from . import __version__

    record: Record = {"type": "run", "format": FORMAT, "version": VERSION, "refkmeans": __version__}
    if result is not None:
        record["k"] = result.k
        record["metric"] = result.metric
    record.update((key, value) for key, value in info.items() if value is not None)
    return record


def step_record(step: Step, after: Optional[Sequence[Sequence[Fraction]]] = None, labels: bool = False) -> Record:
    """One iteration as a trace line; ``after`` are the centroids its update produced."""
    exact_centroids, float_centroids = _centroids(step.centroids)
    actions = []
    for j in step.empty:
        if j in step.relocated:
            to, to_float = _centroids([step.relocated[j]])
            actions.append({"cluster": j, "action": "relocated", "to": to[0], "to_float": to_float[0]})
        else:
            actions.append({"cluster": j, "action": "kept"})
    record: Record = {
        "type": "step",
        "iteration": step.iteration,
        "inertia": float(step.inertia),
        "inertia_exact": to_text(step.inertia),
        "changed": step.changed,
        "counts": list(step.counts),
        "empty": list(step.empty),
        "empty_actions": actions,
    }
    if after is not None:
        record["moved"] = sum(a != b for a, b in zip(step.centroids, after))
    record["centroids"] = exact_centroids
    record["centroids_float"] = float_centroids
    if labels and step.labels is not None:
        record["labels"] = list(step.labels)
    return record


def end_record(result: Result, maxval: Optional[int] = None) -> Record:
    """The last line: how the run ended and the final centroids, counts and inertia."""
    exact_centroids, float_centroids = _centroids(result.centroids)
    record: Record = {
        "type": "end",
        "status": "converged" if result.converged else ("settled" if result.settled else "max_iter"),
        "iterations": result.iterations,
        "converged": result.converged,
        "inertia": result.inertia,
        "inertia_exact": to_text(result.inertia_exact),
        "counts": list(result.counts),
        "centroids": exact_centroids,
        "centroids_float": float_centroids,
    }
    if maxval is not None:
        record["palette"] = [list(c) for c in result.palette(maxval)]
    return record


def error_record(error: Exception, iterations: int) -> Record:
    """The last line of a run that stopped with an error (an empty cluster under ``error``)."""
    return {"type": "end", "status": "error", "iterations": iterations, "converged": False, "error": str(error)}


def step_records(steps: Sequence[Step], final: Optional[Sequence[Sequence[Fraction]]], labels: bool = False) -> List[Record]:
    """Step lines for ``steps``; ``final`` are the centroids after the last update (None if unknown)."""
    records = []
    for n, step in enumerate(steps):
        after = steps[n + 1].centroids if n + 1 < len(steps) else final
        records.append(step_record(step, after, labels))
    return records


def trace_records(
    result: Result, *, labels: bool = False, maxval: Optional[int] = None, **info: Any
) -> List[Record]:
    """Every line of the trace of a run made with ``trace=True``.

    ``labels`` adds each step's labels (the run needs ``trace_labels=True``);
    ``maxval`` adds the palette to the end line; ``info`` adds fields to the
    run line (``seed=0, init="random", source="photo.ppm"``...).
    """
    if result.steps is None:
        raise UsageError("this result has no trace; run kmeans() or quantize() with trace=True")
    return [
        run_record(result, maxval=maxval, **info),
        *step_records(result.steps, result.centroids, labels),
        end_record(result, maxval),
    ]


def dumps(record: Record) -> str:
    """One record as one line of JSON (no newline inside, keys in the documented order)."""
    return json.dumps(record, allow_nan=False)


def write_trace(
    path: str,
    run: Any,
    *,
    labels: bool = False,
    force: bool = False,
    **info: Any,
) -> int:
    """Write the trace of ``run`` (a :class:`Result` or a ``Quantized``) to ``path``, atomically.

    An existing file is replaced only with ``force``; ``-`` is standard
    output.  Returns the number of bytes written.
    """
    result, image_info = _result_and_image(run)
    image_info.update(info)
    text = "".join(dumps(r) + "\n" for r in trace_records(result, labels=labels, **image_info))
    return write_bytes(path, text.encode("utf-8"), force)


def _result_and_image(run: Any) -> Tuple[Result, Record]:
    if isinstance(run, Result):
        return run, {}
    result = getattr(run, "result", None)
    image = getattr(run, "original", None)
    if not isinstance(result, Result) or image is None:
        raise UsageError(f"expected a Result or a Quantized, got {type(run).__name__}")
    return result, {
        "width": image.width,
        "height": image.height,
        "channels": image.channels,
        "maxval": image.maxval,
        "pixels": image.pixel_count,
    }


class TraceRecorder:
    """Records a command-line run's steps as they happen and writes the trace at the end.

    With ``path`` None it does nothing, so a command can use it
    unconditionally.  The path is checked when the recorder is made, before
    any work; the file is written atomically, also when an empty cluster
    stops the run under ``--empty error`` (then the trace ends with an
    ``error`` line).
    """

    def __init__(
        self, path: Optional[str], force: bool = False, output: Optional[str] = None, source: Optional[str] = None
    ) -> None:
        self.path = path
        self.force = force
        self.steps: List[Step] = []
        self.info: Record = {}
        if path is None:
            return
        if path == "-" and output == "-":
            raise UsageError("--trace - and -o - cannot both use standard output")
        if path != "-":
            for other in (output, source):
                if other not in (None, "-") and _same_file(path, other):  # type: ignore[arg-type]
                    raise UsageError(f"--trace {path} would overwrite {other}; choose another file")
            check_writable(path, force)

    @contextmanager
    def recording(
        self, progress: Optional[Callable[[Step], None]], image: Any = None, **info: Any
    ) -> Iterator[Optional[Callable[[Step], None]]]:
        """Yield the progress callback to pass to ``quantize``: it records each step, then calls ``progress``."""
        if self.path is None:
            yield progress
            return
        if image is not None:
            info = {
                "width": image.width,
                "height": image.height,
                "channels": image.channels,
                "maxval": image.maxval,
                "pixels": image.pixel_count,
                **info,
            }
        self.info = info

        def callback(step: Step) -> None:
            self.steps.append(step)
            if progress is not None:
                progress(step)

        try:
            yield callback
        except EmptyClusterError as exc:
            records = [run_record(**info), *step_records(self.steps, None), error_record(exc, len(self.steps))]
            write_bytes(self.path, "".join(dumps(r) + "\n" for r in records).encode("utf-8"), self.force)
            raise

    def finish(self, result: Result) -> None:
        """Write the trace of the finished run (the steps recorded, then the end line)."""
        if self.path is None:
            return
        info = dict(self.info)
        records = [
            run_record(result, **info),
            *step_records(self.steps, result.centroids),
            end_record(result, info.get("maxval")),
        ]
        write_bytes(self.path, "".join(dumps(r) + "\n" for r in records).encode("utf-8"), self.force)


def _same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# -- reading ------------------------------------------------------------------


class TraceStep:
    """One step line as read: the required fields, the optional ones (or None), and the raw record."""

    __slots__ = (
        "iteration",
        "inertia",
        "inertia_exact",
        "centroids",
        "centroids_float",
        "counts",
        "changed",
        "empty",
        "empty_actions",
        "moved",
        "labels",
        "record",
    )

    def __init__(self, record: Record, line: int) -> None:
        self.record = record
        self.iteration = _integer(record, "iteration", line)
        self.inertia = _number(record, "inertia", line)
        self.inertia_exact = _optional_rational(record, "inertia_exact", line)
        self.centroids = _optional_centroids(record, "centroids", line)
        self.centroids_float = record.get("centroids_float")
        self.counts = _optional_ints(record, "counts", line)
        changed = record.get("changed")
        if changed is not None and (isinstance(changed, bool) or not isinstance(changed, int)):
            raise TraceError(f"trace line {line}: 'changed' must be an integer or null, got {changed!r}")
        self.changed: Optional[int] = changed
        self.empty = _optional_ints(record, "empty", line)
        self.empty_actions = record.get("empty_actions")
        self.moved = record.get("moved")
        self.labels = _optional_ints(record, "labels", line)

    def __repr__(self) -> str:
        return f"TraceStep({self.iteration}, inertia={self.inertia:.6g})"


class Trace:
    """A trace as read: the ``run`` line (or {}), the ``steps`` and the ``end`` line (or None)."""

    def __init__(self, run: Record, steps: List[TraceStep], end: Optional[Record]) -> None:
        self.run = run
        self.steps = steps
        self.end = end

    def inertias(self) -> List[float]:
        """The inertia of every step, in order."""
        return [step.inertia for step in self.steps]

    def exact_inertias(self) -> List[Optional[Fraction]]:
        """The exact inertia of every step where the trace has it (else None)."""
        return [step.inertia_exact for step in self.steps]

    def final_centroids(self) -> Optional[List[Tuple[Fraction, ...]]]:
        """The centroids the run ended with: the end line's, else the last step's."""
        if self.end is not None and "centroids" in self.end:
            return _optional_centroids(self.end, "centroids", 0)
        return self.steps[-1].centroids if self.steps else None

    def final_counts(self) -> Optional[List[int]]:
        """Pixels per cluster at the end: the end line's, else the last step's."""
        if self.end is not None and "counts" in self.end:
            return _optional_ints(self.end, "counts", 0)
        return self.steps[-1].counts if self.steps else None

    def __repr__(self) -> str:
        return f"Trace({len(self.steps)} steps, end={None if self.end is None else self.end.get('status')!r})"


def parse_lines(lines: Iterable[str]) -> Trace:
    """Read a trace from its lines (see :func:`read_trace`)."""
    run: Record = {}
    steps: List[TraceStep] = []
    end: Optional[Record] = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = safejson.loads(line)
        except ValueError as exc:
            raise TraceError(f"trace line {number}: not JSON ({exc})") from None
        if not isinstance(record, dict):
            raise TraceError(f"trace line {number}: expected a JSON object, got {type(record).__name__}")
        kind = record.get("type", "step" if "iteration" in record else None)
        if end is not None:
            raise TraceError(f"trace line {number}: nothing may follow the end line")
        if kind == "run":
            if run or steps:
                raise TraceError(f"trace line {number}: the run line must come first, and once")
            if record.get("format", FORMAT) != FORMAT:
                raise TraceError(f"trace line {number}: format {record.get('format')!r} is not {FORMAT!r}")
            version = record.get("version", VERSION)
            if version != VERSION:
                raise TraceError(f"trace line {number}: version {version!r} is not supported (this reader knows {VERSION})")
            run = record
        elif kind == "step":
            step = TraceStep(record, number)
            if step.iteration != len(steps):
                raise TraceError(f"trace line {number}: expected iteration {len(steps)}, got {step.iteration}")
            steps.append(step)
        elif kind == "end":
            end = record
        else:
            raise TraceError(f"trace line {number}: unknown line type {kind!r} (expected run, step or end)")
    if not steps and end is None:
        raise TraceError("the trace holds no step")
    return Trace(run, steps, end)


def read_trace(path: str) -> Trace:
    """Read and check a trace file (``-`` is standard input); a bad file is a TraceError."""
    try:
        if path == "-":
            return parse_lines(sys.stdin.read().splitlines())
        with open(path, encoding="utf-8") as f:
            return parse_lines(f)
    except OSError as exc:
        raise TraceError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TraceError(f"{path}: a trace is UTF-8 text") from None
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None


def _integer(record: Record, key: str, line: int) -> int:
    if key not in record:
        raise TraceError(f"trace line {line}: a step needs {key!r}")
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TraceError(f"trace line {line}: {key!r} must be a non-negative integer, got {value!r}")
    return value


def _number(record: Record, key: str, line: int) -> float:
    if key not in record:
        raise TraceError(f"trace line {line}: a step needs {key!r}")
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TraceError(f"trace line {line}: {key!r} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):  # JSON readers take NaN and Infinity; no plot can
        raise TraceError(f"trace line {line}: {key!r} must be a finite number, got {value!r}")
    return number


def _rational(value: Any, key: str, line: int) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TraceError(f"trace line {line}: {key!r} must hold exact rationals as text like \"3/2\", got {value!r}")
    try:
        return from_text(value)
    except ValueError:
        raise TraceError(f"trace line {line}: {key!r} holds {value!r}, not a rational") from None


def _optional_rational(record: Record, key: str, line: int) -> Optional[Fraction]:
    return None if record.get(key) is None else _rational(record[key], key, line)


def _optional_centroids(record: Record, key: str, line: int) -> Optional[List[Tuple[Fraction, ...]]]:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, list) for c in value):
        raise TraceError(f"trace line {line}: {key!r} must be a list of lists")
    return [tuple(_rational(v, key, line) for v in c) for c in value]


def _optional_ints(record: Record, key: str, line: int) -> Optional[List[int]]:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise TraceError(f"trace line {line}: {key!r} must be a list of integers")
    return value

