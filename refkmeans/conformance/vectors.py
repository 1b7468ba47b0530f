"""Golden vectors: build them from the reference, write them as JSON, read them back.

A *case* is one k-means problem (pixels, k, initial centroids, metric,
empty-cluster policy, ``max_iter``) with the reference's whole answer: every
iteration's exact centroids, labels, counts, inertia and empty clusters, the
final state, and *near-tie annotations*: every pixel whose nearest centroid
is within the float32 assignment tolerance of another, with the exact gap, so
that a float implementation knows where it may legitimately branch.

Cases are grouped in files (``vectors/v1/<group>.json``) that any JSON reader
can use; ``vectors/v1/schema.json`` is their JSON Schema.  Numbers that must
be exact are strings: a rational ``"p/q"`` (or ``"p"``), with the correctly
rounded binary64 value beside it as a C99 hex float.  The format is SPEC.md
C1 (KM-VEC-*).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .. import safejson
from ..dataset import Dataset
from ..errors import EmptyClusterError, UsageError
from ..kmeans import initial_centroids, kmeans
from ..plugins import Registry
from ..rational import Centroid, from_text, to_hex, to_text
from ..result import Result, Step
from . import jsonfmt
from .exact import Judge
from .tolerance import Tolerance

#: The suite's version: the major part changes when the format or the spec changes.
SUITE_VERSION = "1.0.0"
SUITE_NAME = "refkmeans-conformance"
#: The folder, under a vectors root, that holds this version's files.
SUITE_FOLDER = "v1"
SCHEMA_FILE = "schema.json"

Pixel = Tuple[int, ...]


def builtin_registry() -> Registry:
    """A registry with only the built-in plugins: vectors never depend on what is installed."""
    return Registry(load_entrypoints=False)


# --- exact numbers as text ----------------------------------------------------


def parse_rational(text: object, where: str) -> Fraction:
    """A rational from its 'p/q' text (KM-VEC-3), or a UsageError naming ``where``."""
    if not isinstance(text, str):
        raise UsageError(f"{where}: expected a rational as text 'p/q', got {text!r}")
    try:
        return from_text(text)
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not a rational 'p/q'") from None


def centroid_texts(centroids: Sequence[Centroid]) -> List[List[str]]:
    """Centroids as rational texts."""
    return [[to_text(v) for v in c] for c in centroids]


def centroid_hexes(centroids: Sequence[Centroid]) -> List[List[str]]:
    """Centroids as correctly rounded hex floats."""
    return [[to_hex(v) for v in c] for c in centroids]


# --- the in-memory case -------------------------------------------------------


@dataclass(repr=False)
class Tie:
    """A pixel whose nearest centroid has rivals within the float32 tolerance."""

    pixel: int
    label: int
    rivals: Tuple[Tuple[int, Fraction], ...]

    def to_json(self) -> Dict[str, Any]:
        return {"pixel": self.pixel, "label": self.label, "rivals": [[j, to_text(g)] for j, g in self.rivals]}

    def __repr__(self) -> str:
        return f"Tie(pixel={self.pixel}, label={self.label}, rivals={[(j, to_text(g)) for j, g in self.rivals]})"


@dataclass
class RefStep:
    """One iteration of the reference: centroids at its start and what assignment did."""

    iteration: int
    centroids: List[Centroid]
    labels: List[int]
    counts: List[int]
    inertia: Fraction
    empty: List[int]
    relocated: Dict[int, Centroid]
    ties: List[Tie]



@dataclass
class RefFinal:
    """The reference's final state (KM-STOP-3: the labels belong to these centroids)."""

    centroids: List[Centroid]
    labels: List[int]
    counts: List[int]
    iterations: int
    converged: bool
    inertia: Fraction
    ties: List[Tie]


@dataclass(repr=False)
class Case:
    """One golden vector: the problem and the reference's complete answer."""

    id: str
    description: str
    pixels: List[Pixel]
    width: int
    height: int
    maxval: int
    init: Dict[str, Any]
    initial: List[Centroid]
    metric: str
    empty: str
    max_iter: int
    steps: List[RefStep]
    final: Optional[RefFinal]
    expected_error: Optional[Dict[str, Any]] = None
    flags: List[str] = field(default_factory=list)
    rules: List[str] = field(default_factory=list)
    result: str = "valid"

    @property
    def channels(self) -> int:
        """Samples per pixel."""
        return len(self.pixels[0])

    @property
    def k(self) -> int:
        """Number of centroids."""
        return len(self.initial)

    @property
    def group(self) -> str:
        """The file the case lives in: its id up to the first '/'."""
        return self.id.split("/", 1)[0]

    def __repr__(self) -> str:
        return f"<Case {self.id} {len(self.pixels)} px k={self.k} {self.metric}/{self.empty} max_iter={self.max_iter}>"

    # -- JSON ------------------------------------------------------------------

    def to_json(self) -> Dict[str, Any]:
        """The case as a JSON-ready dict (KM-VEC-2)."""
        doc: Dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "result": self.result,
            "flags": list(self.flags),
            "rules": list(self.rules),
            "image": {"width": self.width, "height": self.height, "channels": self.channels, "maxval": self.maxval},
            "pixels": [list(p) for p in self.pixels],
            "k": self.k,
            "init": dict(self.init),
            "initial_centroids": [[float(v) for v in c] for c in self.initial],
            "metric": self.metric,
            "empty": self.empty,
            "max_iter": self.max_iter,
            "steps": [_step_json(s) for s in self.steps],
        }
        if self.final is not None:
            doc["final"] = _final_json(self.final)
        if self.expected_error is not None:
            doc["expected_error"] = dict(self.expected_error)
        return doc

    @classmethod
    def from_json(cls, doc: Dict[str, Any], where: str = "") -> Case:
        """Read a case back (the inverse of :meth:`to_json`), with one-line errors."""
        cid = doc.get("id", "?") if isinstance(doc, dict) else "?"
        here = f"{where}: case {cid}" if where else f"case {cid}"
        try:
            return _case_from_json(doc, here)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, UsageError):
                raise
            raise UsageError(f"{here}: malformed vector ({type(exc).__name__}: {exc})") from None


def _step_json(step: RefStep) -> Dict[str, Any]:
    return {
        "iteration": step.iteration,
        "centroids": centroid_texts(step.centroids),
        "centroids_hex": centroid_hexes(step.centroids),
        "labels": list(step.labels),
        "counts": list(step.counts),
        "inertia": to_text(step.inertia),
        "inertia_hex": to_hex(step.inertia),
        "empty": list(step.empty),
        "relocated": [[j, [to_text(v) for v in c]] for j, c in sorted(step.relocated.items())],
        "near_ties": [t.to_json() for t in step.ties],
    }


def _final_json(final: RefFinal) -> Dict[str, Any]:
    return {
        "iterations": final.iterations,
        "converged": final.converged,
        "centroids": centroid_texts(final.centroids),
        "centroids_hex": centroid_hexes(final.centroids),
        "labels": list(final.labels),
        "counts": list(final.counts),
        "inertia": to_text(final.inertia),
        "inertia_hex": to_hex(final.inertia),
        "near_ties": [t.to_json() for t in final.ties],
    }


def _centroids_from(rows: Any, where: str) -> List[Centroid]:
    return [tuple(parse_rational(v, where) for v in row) for row in rows]


def _ties_from(rows: Any, where: str) -> List[Tie]:
    return [Tie(t["pixel"], t["label"], tuple((j, parse_rational(g, where)) for j, g in t["rivals"])) for t in rows]


def _case_from_json(doc: Dict[str, Any], here: str) -> Case:
    image = doc["image"]
    pixels = [tuple(p) for p in doc["pixels"]]
    for p in pixels:
        if len(p) != image["channels"] or not all(isinstance(v, int) and 0 <= v <= image["maxval"] for v in p):
            raise UsageError(f"{here}: pixel {list(p)} does not fit the image's channels and maxval")
    steps = [
        RefStep(
            s["iteration"],
            _centroids_from(s["centroids"], here),
            s["labels"],
            s["counts"],
            parse_rational(s["inertia"], here),
            s["empty"],
            {j: tuple(parse_rational(v, here) for v in c) for j, c in s["relocated"]},
            _ties_from(s["near_ties"], here),
        )
        for s in doc["steps"]
    ]
    final = None
    if "final" in doc:
        f = doc["final"]
        final = RefFinal(
            _centroids_from(f["centroids"], here),
            f["labels"],
            f["counts"],
            f["iterations"],
            f["converged"],
            parse_rational(f["inertia"], here),
            _ties_from(f["near_ties"], here),
        )
    initial = [tuple(Fraction(v) for v in c) for c in doc["initial_centroids"]]
    if len(initial) != doc["k"]:
        raise UsageError(f"{here}: k is {doc['k']} but {len(initial)} initial centroids are given")
    return Case(
        id=doc["id"],
        description=doc["description"],
        pixels=pixels,
        width=image["width"],
        height=image["height"],
        maxval=image["maxval"],
        init=doc["init"],
        initial=initial,
        metric=doc["metric"],
        empty=doc["empty"],
        max_iter=doc["max_iter"],
        steps=steps,
        final=final,
        expected_error=doc.get("expected_error"),
        flags=doc["flags"],
        rules=doc["rules"],
        result=doc["result"],
    )


# --- building a case from the reference ---------------------------------------


def close_calls(
    points: Sequence[Pixel], centroids: Sequence[Centroid], labels: Sequence[int], judge: Judge, where: str
) -> List[Tie]:
    """Every pixel with a rival within the judge's slack; checks the reference's labels on the way."""
    ties = []
    for i, (point, label) in enumerate(zip(points, labels)):
        near = judge.nearest(point)
        if near.best != label:  # the reference broke KM-ASN-1/2: never ship such a vector
            raise AssertionError(f"{where}: pixel {i} labelled {label}, exact nearest is {near.best}")
        if near.rivals:
            ties.append(Tie(i, label, tuple(near.rivals)))
    return ties


def build_case(
    id: str,
    description: str,
    pixels: Sequence[Pixel],
    width: int,
    height: int,
    maxval: int,
    k: Optional[int] = None,
    init: Any = "random",
    seed: int = 0,
    rng: str = "portable",
    metric: str = "euclidean",
    empty: str = "keep",
    max_iter: int = 300,
    rules: Sequence[str] = (),
) -> Case:
    """Run the reference on one problem and record everything a candidate is judged by."""
    registry = builtin_registry()
    pixels = [tuple(p) for p in pixels]
    dataset = Dataset(pixels)
    if len(pixels) != width * height:
        raise UsageError(f"{id}: {len(pixels)} pixels do not fill {width}x{height}")
    start = initial_centroids(dataset, k, init, seed, rng, registry)
    if isinstance(init, str):
        init_doc: Dict[str, Any] = {"method": init, "seed": seed, "rng": rng}
    else:
        init_doc = {"method": "given"}
    policy = "keep" if empty == "error" else empty
    result = kmeans(
        pixels,
        init=start,
        max_iter=max_iter,
        metric=metric,
        empty=policy,
        engine="plain",
        trace=True,
        trace_labels=True,
        registry=registry,
    )
    assert result.steps is not None
    steps = list(result.steps)
    expected_error = None
    if empty == "error":
        expected_error = _expected_error(pixels, start, max_iter, metric, registry, steps)
        if expected_error is not None:
            steps = steps[: expected_error["iteration"] + 1]
    metric_obj = registry.metric(metric)
    slack = Tolerance("float32", dataset.channels, maxval, metric).assignment
    ref_steps = [_ref_step(pixels, s, metric_obj, slack, f"{id} iteration {s.iteration}") for s in steps]
    final = None if expected_error is not None else _ref_final(pixels, result, metric_obj, slack, id)
    case = Case(
        id=id,
        description=description,
        pixels=pixels,
        width=width,
        height=height,
        maxval=maxval,
        init=init_doc,
        initial=start,
        metric=metric,
        empty=empty,
        max_iter=max_iter,
        steps=ref_steps,
        final=final,
        expected_error=expected_error,
        rules=list(rules),
    )
    case.flags = derive_flags(case, dataset)
    case.result = "acceptable" if {"ExactTie", "NearTie", "Float32NearTie"} & set(case.flags) else "valid"
    return case


def _expected_error(
    pixels: List[Pixel], start: List[Centroid], max_iter: int, metric: str, registry: Registry, steps: List[Step]
) -> Optional[Dict[str, Any]]:
    """Where the ``error`` policy stops (the first empty cluster), checked against the engine itself."""
    first = next((s for s in steps if s.empty), None)
    try:
        kmeans(pixels, init=start, max_iter=max_iter, metric=metric, empty="error", engine="plain", registry=registry)
    except EmptyClusterError:
        if first is None:  # pragma: no cover - the engine and this module would disagree
            raise AssertionError("the engine raised where no cluster is empty") from None
        return {"kind": "empty-cluster", "iteration": first.iteration, "cluster": first.empty[0]}
    if first is not None:  # pragma: no cover
        raise AssertionError("the engine did not raise for an empty cluster")
    return None


def _ref_step(pixels: List[Pixel], step: Step, metric: Any, slack: Fraction, where: str) -> RefStep:
    assert step.labels is not None
    judge = Judge(step.centroids, metric, slack)
    ties = close_calls(pixels, step.centroids, step.labels, judge, where)
    return RefStep(
        step.iteration,
        list(step.centroids),
        list(step.labels),
        list(step.counts),
        step.inertia,
        list(step.empty),
        dict(step.relocated),
        ties,
    )


def _ref_final(pixels: List[Pixel], result: Result, metric: Any, slack: Fraction, where: str) -> RefFinal:
    judge = Judge(result.centroids, metric, slack)
    ties = close_calls(pixels, result.centroids, result.labels, judge, f"{where} final")
    return RefFinal(
        list(result.centroids),
        list(result.labels),
        list(result.counts),
        result.iterations,
        result.converged,
        result.inertia_exact,
        ties,
    )


def derive_flags(case: Case, dataset: Dataset) -> List[str]:
    """The flags a case earns from its content (KM-VEC-5), in a fixed order."""
    flags = []
    all_ties = [t for s in case.steps for t in s.ties] + (case.final.ties if case.final else [])
    gaps = [g for t in all_ties for _, g in t.rivals]
    if any(g == 0 for g in gaps):
        flags.append("ExactTie")
    slack64 = Tolerance("float64", case.channels, case.maxval, case.metric).assignment
    if any(0 < g <= slack64 for g in gaps):
        flags.append("NearTie")
    if any(g > slack64 for g in gaps):
        flags.append("Float32NearTie")
    if any(s.empty for s in case.steps):
        flags.append("EmptyCluster")
    if any(s.relocated for s in case.steps):
        flags.append("Relocation")
    if case.expected_error is not None:
        flags.append("ErrorExpected")
    elif case.final is not None:
        flags.append("Converged" if case.final.converged else "MaxIterStop")
    if len(set(case.initial)) < len(case.initial):
        flags.append("DuplicateStart")
    if case.k == 1:
        flags.append("KOne")
    if case.k > len(dataset.colours):
        flags.append("KExceedsColours")
    if case.maxval > 255:
        flags.append("SixteenBit")
    flags.append({1: "Gray", 2: "GrayAlpha", 3: "RGB", 4: "RGBA"}.get(case.channels, f"Channels{case.channels}"))
    if case.steps and wraparound_changes_labels(case):
        flags.append("Wraparound")
    return flags


def wraparound_changes_labels(case: Case) -> bool:
    """True when unsigned-integer wraparound (uint8, or uint16 past 255) would change a first label.

    The first centroids are pixels, so a careless implementation subtracts
    two unsigned integers; this flag marks the cases that catch it.
    """
    start = case.steps[0].centroids
    if any(v.denominator != 1 for c in start for v in c):
        return False
    from .causes import wrapped_argmin  # late: causes reads Case from this module

    bits = 8 if case.maxval <= 255 else 16
    ints = [tuple(int(v) for v in c) for c in start]
    return any(wrapped_argmin(p, ints, bits) != label for p, label in zip(case.pixels, case.steps[0].labels))


# --- files --------------------------------------------------------------------


def group_document(group: str, description: str, cases: Sequence[Case]) -> Dict[str, Any]:
    """One vectors file: the suite header and its cases (KM-VEC-1)."""
    return {
        "suite": SUITE_NAME,
        "version": SUITE_VERSION,
        "spec": "SPEC.md version 1",
        "schema": SCHEMA_FILE,
        "group": group,
        "description": description,
        "cases": [c.to_json() for c in cases],
    }


def render_suite() -> Dict[str, str]:
    """Every file of the suite, name -> text, exactly as ``refkmeans vectors`` writes them."""
    from .cases import GROUPS, build_all
    from .schema import schema_document

    cases = build_all()
    files = {SCHEMA_FILE: jsonfmt.dumps(schema_document()) + "\n"}
    for group, description in GROUPS.items():
        members = [c for c in cases if c.group == group]
        files[f"{group}.json"] = jsonfmt.dumps(group_document(group, description, members)) + "\n"
    return files


def default_root() -> Optional[Path]:
    """The committed ``vectors/v1`` beside the package (a source checkout), if present."""
    candidate = Path(__file__).resolve().parents[2] / "vectors" / SUITE_FOLDER
    return candidate if (candidate / SCHEMA_FILE).is_file() else None


def load_suite(folder: Optional[str] = None) -> List[Case]:
    """The cases of a vectors folder: the suite's groups in their order, then other files by name.

    With no folder: ``$REFKMEANS_VECTORS``, else the committed ``vectors/v1``
    of a source checkout, else the suite regenerated in memory (identical by
    construction: a test checks the committed files against it).
    """
    folder = folder or os.environ.get("REFKMEANS_VECTORS") or None
    root = Path(folder) if folder else default_root()
    if root is None:
        from .cases import build_all

        return build_all()
    if not root.is_dir():
        raise UsageError(f"vectors folder {root} does not exist")
    from .cases import GROUPS

    order = {f"{group}.json": i for i, group in enumerate(GROUPS)}
    names = sorted((p.name for p in root.glob("*.json") if p.name != SCHEMA_FILE),
                   key=lambda name: (order.get(name, len(order)), name))
    if not names:
        raise UsageError(f"vectors folder {root} holds no vector files (*.json)")
    cases: List[Case] = []
    for name in names:
        cases.extend(read_file(root / name))
    _check_unique(cases)
    return cases


def read_file(path: Path) -> List[Case]:
    """The cases of one vectors file, with one-line errors naming the file."""
    try:
        doc = safejson.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("suite") != SUITE_NAME:
        raise UsageError(f"{path}: not a {SUITE_NAME} vectors file")
    major = str(doc.get("version", "")).split(".")[0]
    if major != SUITE_VERSION.split(".")[0]:
        raise UsageError(f"{path}: suite version {doc.get('version')!r}, this refkmeans reads {SUITE_VERSION}")
    cases = doc.get("cases")
    if not isinstance(cases, list):
        raise UsageError(f"{path}: 'cases' must be a list")
    return [Case.from_json(c, str(path)) for c in cases]


def _check_unique(cases: Iterable[Case]) -> None:
    seen = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case id {case.id!r} appears twice in the suite")
        seen.add(case.id)
