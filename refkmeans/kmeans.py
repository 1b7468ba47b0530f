"""``kmeans()``: validate the request, pick the start, run an engine."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Optional, Sequence, Union

from . import engine as engines
from .dataset import Dataset
from .engine import ENGINES as ENGINES  # the engine names, for the command line
from .engine.lloyd import Assignment, Loop
from .errors import PluginError, RefKMeansError, UsageError
from .metric import blame
from .plugins import Registry, get_registry
from .rational import Centroid, as_centroid
from .result import Result, Step
from .rng import make_generator

#: The largest k (KM-LIM-3): a palette index then fits in 16 bits.
MAX_K = 65536

InitSpec = Union[str, Sequence[Sequence[Any]]]


def kmeans(
    pixels: Union[Sequence[Sequence[int]], Dataset],
    k: Optional[int] = None,
    init: InitSpec = "random",
    max_iter: int = 300,
    seed: int = 0,
    metric: str = "euclidean",
    empty: str = "keep",
    rng: str = "portable",
    engine: str = "auto",
    trace: bool = False,
    trace_labels: bool = False,
    progress: Optional[Callable[[Step], None]] = None,
    registry: Optional[Registry] = None,
    tol: Optional[Any] = None,
) -> Result:
    """Cluster integer pixels into k groups with Lloyd's algorithm, exactly.

    ``init`` is an initializer name (``"random"``, ``"kmeans++"``, ``"first"``
    or a plugin's) or a list of starting centroids (ints, floats or
    Fractions; a float means the exact value it holds).  ``k`` defaults to 16
    or to the number of given centroids.  ``engine`` is ``"plain"`` (per
    pixel), ``"histogram"`` (per distinct colour), ``"fast"`` (per distinct
    colour with kd-tree filtering) or ``"auto"`` (fast where the metric
    allows it, else histogram); all give the same answer.  ``tol`` (default
    None: run to a fixed point or ``max_iter``) stops the run once the exact
    inertia changes by less than that fraction of itself in an iteration
    (SPEC.md KM-STOP-4).

    >>> r = kmeans([(0,), (1,), (10,), (11,)], init=[(0,), (10,)])
    >>> [str(c[0]) for c in r.centroids], r.labels, r.iterations
    (['1/2', '21/2'], [0, 0, 1, 1], 2)
    """
    dataset = pixels if isinstance(pixels, Dataset) else Dataset(_as_tuples(pixels))
    options = Options(
        k=k, init=init, max_iter=max_iter, seed=seed, metric=metric, empty=empty, rng=rng, engine=engine,
        trace=trace, trace_labels=trace_labels, progress=progress, registry=registry, tol=tol,
    )
    return cluster(dataset, options).per_pixel()


@dataclass(frozen=True)
class Options(Loop):
    """Everything :func:`kmeans` takes besides the pixels, with the same defaults.

    The first six (``max_iter``, ``empty``, ``trace``, ``trace_labels``,
    ``progress``, ``tol``) are the loop's own (:class:`~refkmeans.engine.lloyd.Loop`).
    """

    k: Optional[int] = None
    init: InitSpec = "random"
    seed: int = 0
    metric: str = "euclidean"
    rng: str = "portable"
    engine: str = "auto"
    registry: Optional[Registry] = None


def cluster(dataset: Dataset, options: Options) -> Clustering:
    """Validate, initialize and run an engine; the labels stay per colour where they can.

    ``kmeans()`` and ``quantize()`` both run through here, where the metric's
    registry entry is at hand to name its plugin when the metric fails (KM-LIM-5).
    """
    registry = options.registry or get_registry()
    metric = registry.metric(options.metric)
    plugin = registry.metrics[options.metric].plugin
    try:
        centroids = initial_centroids(dataset, options.k, options.init, options.seed, options.rng, registry)
        chosen = engines.choose(options.engine, metric)
        result, assigner = engines.run(dataset, centroids, metric, chosen, options)
    except Exception as exc:
        blamed = blame(metric, plugin, exc)
        if blamed is None:
            raise  # not the metric's doing
        raise blamed from None
    return Clustering(dataset, result, chosen, assigner)


class Clustering:
    """What an engine produced, before its labels are spread over the pixels.

    ``result.labels`` are per pixel for the plain engine and per distinct
    colour (in the order of ``dataset.colours``) for the others.
    """

    def __init__(self, dataset: Dataset, result: Result, engine: str, assigner: Assignment) -> None:
        self.dataset = dataset
        self.result = result
        self.engine = engine
        self.assigner = assigner

    def per_pixel(self) -> Result:
        """The Result with one label per pixel, as ``kmeans()`` returns it."""
        result = self.result
        if self.engine == "plain":
            return result
        spread = self.dataset.spread
        steps = result.steps
        if steps and steps[0].labels is not None:
            steps = [replace(s, labels=tuple(spread(s.labels))) for s in steps]  # type: ignore[arg-type]
        return replace(result, labels=list(spread(result.labels)), steps=steps)

    def pixel_indices(self, typecode: str) -> array:
        """One label per pixel in a compact ``array`` (no list, no tuples for image datasets)."""
        if self.engine == "plain":
            return array(typecode, self.result.labels)
        if isinstance(self.assigner, engines.fast.Assigner):
            return self.dataset.pixel_labels_from_tree(self.assigner.tree, self.assigner.labels, typecode)
        return self.dataset.pixel_labels(self.result.labels, typecode)


def initial_centroids(
    dataset: Dataset,
    k: Optional[int],
    init: InitSpec,
    seed: int,
    rng: str,
    registry: Registry,
) -> List[Centroid]:
    """The exact starting centroids that ``init`` asks for."""
    if isinstance(init, str):
        k = 16 if k is None else k
        _check_k(k)
        entry = registry.initializer(init)
        generator = make_generator(rng, seed)
        try:
            raw = entry.obj(dataset, k, generator)
        except (RefKMeansError, MemoryError):
            raise  # MemoryError: the one out-of-memory report (cli.main), not the initializer's fault
        except Exception as exc:
            raise PluginError(f"initializer {init!r} from {entry.plugin} failed: {type(exc).__name__}: {exc}") from None
        if not hasattr(raw, "__iter__"):
            raise PluginError(f"initializer {init!r} from {entry.plugin} returned {raw!r}, not a list")
        try:
            raw = list(raw)  # a generator runs here: what it raises is the initializer's failure too
        except (RefKMeansError, MemoryError):
            raise
        except Exception as exc:
            raise PluginError(f"initializer {init!r} from {entry.plugin} failed: {type(exc).__name__}: {exc}") from None
        if len(raw) != k:
            raise PluginError(f"initializer {init!r} from {entry.plugin} returned {len(raw)} centroids, expected {k}")
        try:
            return [as_centroid(c, dataset.channels) for c in raw]
        except UsageError as exc:
            raise PluginError(f"initializer {init!r} from {entry.plugin} returned a bad centroid: {exc}") from None
    raw_given = _as_list(init)
    if k is not None and k != len(raw_given):
        raise UsageError(f"k={k} but {len(raw_given)} initial centroids were given")
    _check_k(len(raw_given))  # before converting: a million centroids are refused cheaply
    return [as_centroid(c, dataset.channels) for c in raw_given]


def _check_k(k: object) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UsageError(f"k must be a positive integer, got {k!r}")
    if k > MAX_K:
        raise UsageError(f"k={k} is above the limit of {MAX_K} colours")


def _as_list(init: Any) -> List[Any]:
    try:
        return list(init)
    except TypeError:
        raise UsageError(f"init must be an initializer name or a list of centroids, got {init!r}") from None


def _as_tuples(pixels: Sequence[Sequence[int]]) -> List[tuple]:
    if callable(getattr(pixels, "tolist", None)):
        pixels = pixels.tolist()  # type: ignore[attr-defined]  # a NumPy array: Python ints, no uint8 wraparound
    try:
        return [p if type(p) is tuple else tuple(p) for p in pixels]
    except TypeError:
        raise UsageError("pixels must be a sequence of integer tuples") from None
