"""The engines: one Lloyd loop (``lloyd.py``) and three ways to do its assignment step.

``run()`` picks the engine.  ``plain`` assigns every pixel and ``histogram``
each distinct colour weighted by its count (both ``lloyd.Points``); ``fast``
(``fast.py``) gives the same answer bit for bit, filtering a kd-tree of the
distinct colours (``kdtree.py``) keyed by Morton codes (``morton.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence, Tuple

from ..errors import UsageError
from ..metric import Metric
from ..rational import Centroid
from ..result import Result
from . import fast
from .lloyd import Assignment, Loop, Points, iterate

if TYPE_CHECKING:
    from ..dataset import Dataset

#: Engine names accepted by ``kmeans(engine=...)``.
ENGINES = ("auto", "plain", "histogram", "fast")


def choose(engine: str, metric: Metric) -> str:
    """The engine that ``engine`` names for ``metric``: ``auto`` is fast where the metric has a box test."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "auto":
        return "fast" if fast.supports(metric) else "histogram"
    if engine == "fast":
        fast.geometry_for(metric, 1)  # a clear error when the metric has no box test
    return engine


def run(dataset: Dataset, centroids: Sequence[Centroid], metric: Metric, engine: str, loop: Loop) -> Tuple[Result, Assignment]:
    """Run Lloyd's loop with the chosen ``engine`` (already checked by :func:`choose`).

    The Result's labels are per pixel for ``plain`` and per distinct colour
    (in the order of ``dataset.colours``) for the others; the assigner
    keeps the last assignment.
    """
    assigner: Assignment
    if engine == "fast":
        assigner = fast.Assigner(dataset.colour_tree(), metric, len(centroids))
    elif engine == "histogram":
        assigner = Points(dataset.colours, metric, dataset.counts)
    else:
        assigner = Points(dataset.pixels, metric)
    return iterate(assigner, centroids, loop), assigner
