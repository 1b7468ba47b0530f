"""The ``restarts`` initializer: the best of several greedy k-means++ runs on a coarse histogram.

Why: one greedy k-means++ start run to convergence lands in a local minimum
that depends on the seed; the best of several is reliably better than any
single tool's default (docs/quality.md measures it).  Running every restart on
the full histogram would cost several full k-means runs, so the restarts run
on a *coarse* histogram instead: each channel keeps its top ``COARSE_BITS``
bits, and each coarse cell stands for the pixels in it by their mean colour
(rounded half up to an integer) weighted by their count.  That is a few
thousand points instead of tens of thousands of colours.

The procedure (SPEC.md KM-INIT-5):

1. Build the coarse histogram (cells in order of first occurrence of their
   first colour).  With at most ``COARSE_MIN`` distinct colours, or fewer
   cells than ``4 k``, the restarts use the exact histogram instead.
2. ``RESTARTS`` times, with the caller's generator consumed in sequence:
   greedy k-means++ (KM-INIT-3's draw) on those points, then exact Lloyd
   iterations under squared Euclidean distance, to convergence or
   ``COARSE_MAX_ITER`` iterations.
3. Keep the run with the smallest exact inertia on those points (the first on
   a tie) and return its exact centroids.

The run that follows starts from these centroids on the real pixels, so the
final answer is a fixed point of Lloyd's algorithm on the image, as with any
initializer.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Dict, List, Sequence, Tuple

from ..dataset import Dataset
from ..engine.kdtree import ColourTree
from ..errors import UsageError
from ..hookspecs import hookimpl
from ..rational import Centroid, as_centroid
from .initializers import greedy_kmeans_plus_plus
from .metrics import Euclidean

#: How many greedy k-means++ starts are tried.
RESTARTS = 8
#: Bits kept per channel in the coarse histogram.
COARSE_BITS = 5
#: Below this many distinct colours the restarts run on the exact histogram.
COARSE_MIN = 4096
#: Most Lloyd iterations per restart on the coarse histogram.
COARSE_MAX_ITER = 100


class _Weighted:
    """Points with weights, as a Dataset holds its histogram."""

    def __init__(self, colours: List[Tuple[int, ...]], counts: List[int]) -> None:
        self.colours = colours
        self.counts = counts
        self.pixel_count = sum(counts)


def coarse_histogram(colours: Sequence[Tuple[int, ...]], counts: Sequence[int], bits: int = COARSE_BITS) -> _Weighted:
    """Colours grouped by their top ``bits`` bits per channel: (rounded mean colour, total count) per cell.

    The shift is taken from the largest sample present, so 8-bit and 16-bit
    images alike keep ``bits`` significant bits.
    """
    top = max(max(c) for c in colours)
    shift = max(0, top.bit_length() - bits)
    cells: Dict[Tuple[int, ...], List[int]] = {}
    for colour, n in zip(colours, counts):
        key = tuple(v >> shift for v in colour)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [n] + [v * n for v in colour]
        else:
            cell[0] += n
            for i, v in enumerate(colour, 1):
                cell[i] += v * n
    means = []
    weights = []
    for cell in cells.values():
        n = cell[0]
        # Half up: floor((2 s + n) / 2n).
        means.append(tuple((2 * s + n) // (2 * n) for s in cell[1:]))
        weights.append(n)
    return _Weighted(means, weights)


def restart_points(dataset: Dataset, k: int) -> _Weighted:
    """The points the restarts run on: the coarse histogram, or the exact one when that is small."""
    colours, counts = dataset.colours, dataset.counts
    if len(colours) > COARSE_MIN:
        coarse = coarse_histogram(colours, counts)
        if len(coarse.colours) >= 4 * k:
            return coarse
    return _Weighted(list(colours), list(counts))


def best_of_restarts(dataset: Dataset, k: int, rng) -> List[Centroid]:  # type: ignore[no-untyped-def]
    """KM-INIT-5: the exact centroids of the best of ``RESTARTS`` k-means++ runs on the coarse histogram."""
    from ..engine import fast  # late: the fast engine imports the built-in metrics

    if k > dataset.pixel_count:
        raise UsageError(f"k={k} is more than the {dataset.pixel_count} pixels to pick from")
    points = restart_points(dataset, k)
    tree = ColourTree.from_colours(points.colours, points.counts)
    metric = Euclidean()
    best: List[Centroid] = []
    best_inertia = Fraction(-1)
    for _ in range(RESTARTS):
        start = [as_centroid(c, dataset.channels) for c in greedy_kmeans_plus_plus(points.colours, points.counts, k, rng)]
        result, _assigner = fast.run(tree, start, metric, max_iter=COARSE_MAX_ITER)
        if best_inertia < 0 or result.inertia_exact < best_inertia:
            best, best_inertia = list(result.centroids), result.inertia_exact
    return best


@hookimpl
def refkmeans_register_initializers(register):  # type: ignore[no-untyped-def]
    register(
        "restarts",
        best_of_restarts,
        f"best of {RESTARTS} greedy k-means++ runs on a {COARSE_BITS}-bit coarse histogram (quantize's default)",
    )
