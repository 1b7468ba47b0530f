"""``kmeans()``: validate the request, pick the start, run an engine."""

from __future__ import annotations

from array import array
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .dataset import Dataset
from .engine import fast
from .engine.fast import Assigner
from .engine.lloyd import lloyd
from .errors import PluginError, RefKMeansError, UsageError
from .guard import names_the_metric_plugin
from .metric import Metric
from .plugins import Registry, get_registry
from .rational import Centroid, as_centroid
from .result import Result, Step
from .rng import make_generator

#: Engine names accepted by ``kmeans(engine=...)``.
ENGINES = ("auto", "plain", "histogram", "fast")

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
) -> Result:
    """Cluster integer pixels into k groups with Lloyd's algorithm, exactly.

    ``init`` is an initializer name (``"random"``, ``"kmeans++"``, ``"first"``
    or a plugin's) or a list of starting centroids (ints, floats or
    Fractions; a float means the exact value it holds).  ``k`` defaults to 16
    or to the number of given centroids.  ``engine`` is ``"plain"`` (per
    pixel), ``"histogram"`` (per distinct colour), ``"fast"`` (per distinct
    colour with kd-tree filtering) or ``"auto"`` (fast where the metric
    allows it, else histogram); all give the same answer.

    >>> r = kmeans([(0,), (1,), (10,), (11,)], init=[(0,), (10,)])
    >>> [str(c[0]) for c in r.centroids], r.labels, r.iterations
    (['1/2', '21/2'], [0, 0, 1, 1], 2)
    """
    dataset = pixels if isinstance(pixels, Dataset) else Dataset(_as_tuples(pixels))
    clustering = cluster(
        dataset,
        k,
        init,
        max_iter=max_iter,
        seed=seed,
        metric=metric,
        empty=empty,
        rng=rng,
        engine=engine,
        trace=trace,
        trace_labels=trace_labels,
        progress=progress,
        registry=registry,
    )
    return clustering.per_pixel()


class Clustering:
    """What an engine produced, before its labels are spread over the pixels.

    ``result.labels`` are per pixel for the plain engine and per distinct
    colour (first-occurrence order) for the histogram engine; the fast
    engine keeps them in its ``assigner``.
    """

    def __init__(self, dataset: Dataset, result: Result, engine: str, assigner: Optional[Assigner] = None) -> None:
        self.dataset = dataset
        self.result = result
        self.engine = engine
        self.assigner = assigner

    def per_pixel(self) -> Result:
        """The Result with one label per pixel, as ``kmeans()`` returns it."""
        if self.engine == "plain":
            return self.result
        result = self.result
        if self.assigner is not None:
            result = result.with_labels(self.assigner.labels_in_first_order())
        return expand_labels(result, self.dataset)

    def pixel_indices(self, typecode: str) -> array:
        """One label per pixel in a compact ``array`` (no list, no tuples for image datasets)."""
        if self.engine == "plain":
            return array(typecode, self.result.labels)
        if self.assigner is not None:
            return self.dataset.pixel_labels_from_tree(self.assigner.tree, self.assigner.labels, typecode)
        return self.dataset.pixel_labels(self.result.labels, typecode)


def choose_engine(engine: str, metric: Metric) -> str:
    """The engine that ``engine`` names for ``metric``: ``auto`` is fast where the metric has a box test."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "auto":
        return "fast" if fast.supports(metric) else "histogram"
    if engine == "fast":
        fast.geometry_for(metric, 1)  # a clear error when the metric has no box test
    return engine


@names_the_metric_plugin  # kmeans() and quantize() both run through here
def cluster(
    dataset: Dataset,
    k: Optional[int] = None,
    init: InitSpec = "random",
    *,
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
) -> Clustering:
    """Validate, initialize and run an engine; the labels stay per colour where they can."""
    registry = registry or get_registry()
    chosen_metric = registry.metric(metric)
    centroids = initial_centroids(dataset, k, init, seed, rng, registry)
    chosen = choose_engine(engine, chosen_metric)
    loop: Dict[str, Any] = dict(
        max_iter=max_iter, empty=empty, trace=trace, trace_labels=trace_labels, progress=progress
    )
    if chosen == "plain":
        return Clustering(dataset, lloyd(dataset.pixels, centroids, chosen_metric, **loop), chosen)
    if chosen == "fast":
        result, assigner = fast.run(dataset.colour_tree(), centroids, chosen_metric, **loop)
        return Clustering(dataset, result, chosen, assigner)
    result = lloyd(dataset.colours, centroids, chosen_metric, weights=dataset.counts, **loop)
    return Clustering(dataset, result, chosen)


def expand_labels(result: Result, dataset: Dataset) -> Result:
    """Turn labels per distinct colour into labels per pixel (a C-level ``map``)."""
    label_of = dict(zip(dataset.colours, result.labels))
    if result.steps:
        for step in result.steps:
            if step.labels is not None:
                step_of = dict(zip(dataset.colours, step.labels))
                step.labels = tuple(map(step_of.__getitem__, dataset.pixels))
    return result.with_labels(list(map(label_of.__getitem__, dataset.pixels)))


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
        except RefKMeansError:
            raise
        except Exception as exc:
            raise PluginError(f"initializer {init!r} from {entry.plugin} failed: {type(exc).__name__}: {exc}") from None
        try:
            raw = list(raw)
        except TypeError:
            raise PluginError(f"initializer {init!r} from {entry.plugin} returned {raw!r}, not a list") from None
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
    try:
        return [p if type(p) is tuple else tuple(p) for p in pixels]
    except TypeError:
        raise UsageError("pixels must be a sequence of integer tuples") from None
