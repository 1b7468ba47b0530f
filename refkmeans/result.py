"""What a k-means run returns: exact centroids, labels, and (optionally) every step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Tuple

from .rational import Centroid, palette_colour


@dataclass(frozen=True, repr=False)
class Step:
    """One iteration: the centroids it started from and what assignment did with them.

    ``inertia`` is exact (sum of squared Euclidean distances of the pixels to
    these centroids under this step's labels); ``changed`` counts pixels whose
    label differs from the previous step (None at the first step).
    """

    iteration: int
    centroids: Tuple[Centroid, ...]
    counts: Tuple[int, ...]
    inertia: Fraction
    changed: Optional[int]
    empty: Tuple[int, ...]
    relocated: Dict[int, Centroid]
    labels: Optional[Tuple[int, ...]] = None

    def __repr__(self) -> str:
        return (
            f"Step({self.iteration}, inertia={float(self.inertia):.6g}, "
            f"changed={self.changed}, empty={list(self.empty)})"
        )


@dataclass(frozen=True, repr=False)
class Result:
    """The outcome of :func:`refkmeans.kmeans`.

    ``centroids`` are tuples of Fractions; ``labels`` has one int per input
    pixel (a list; :func:`~refkmeans.quantize` keeps a compact ``array``);
    ``inertia`` is the correctly rounded float of ``inertia_exact``.
    Two Results are equal when every field is, the steps included.
    """

    centroids: Tuple[Centroid, ...]
    labels: Sequence[int]
    iterations: int
    converged: bool
    inertia_exact: Fraction
    counts: Tuple[int, ...]
    steps: Optional[List[Step]] = None
    metric: str = "euclidean"
    #: True when KM-STOP-4's tolerance stopped the run (not a fixed point, not ``max_iter``).
    settled: bool = False

    @property
    def inertia(self) -> float:
        """Sum of squared Euclidean distances to the centroids, correctly rounded."""
        return float(self.inertia_exact)

    @property
    def k(self) -> int:
        """Number of centroids."""
        return len(self.centroids)

    def palette(self, maxval: int = 255) -> List[Tuple[int, ...]]:
        """The output colours: centroids rounded half up and clamped to 0..maxval."""
        return [palette_colour(c, maxval) for c in self.centroids]

    def float_centroids(self) -> List[Tuple[float, ...]]:
        """Centroids as correctly rounded floats."""
        return [tuple(float(v) for v in c) for c in self.centroids]

    def __repr__(self) -> str:
        state = "converged" if self.converged else ("settled" if self.settled else "stopped")
        return f"Result(k={self.k}, iterations={self.iterations} ({state}), inertia={self.inertia:.6g})"

    def _repr_html_(self) -> str:
        """Jupyter: a summary, the palette and (when traced) the inertia plot."""
        from .teach.jupyter import result_html

        return result_html(self)

    def with_labels(self, labels: Sequence[int]) -> Result:
        """A copy whose labels are replaced (a new list: the copy shares no labels with this one)."""
        return replace(self, labels=list(labels))
