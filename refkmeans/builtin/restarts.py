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
2. ``restarts_for(k)`` times, with the caller's generator consumed in
   sequence: greedy k-means++ (KM-INIT-3's draw) on those points, then exact
   Lloyd iterations under squared Euclidean distance, to convergence,
   ``COARSE_MAX_ITER`` iterations, or until the exact inertia falls by less
   than ``RESTART_TOL`` of itself in an iteration (KM-STOP-4).
3. Keep the run with the smallest exact inertia on those points (the first on
   a tie) and return its exact centroids.

Why fewer restarts as k grows: one k-means++ start costs about
``points x k x (2 + ln k)`` distances, so eight of them grew like k² and took
most of a k=256 run.  ``restarts_for(k)`` keeps the centres drawn over all
restarts at ``RESTART_CENTRES`` (8 restarts up to k=16, 4 at k=32), but never
fewer than ``MIN_RESTARTS`` (2 from k=64 on), so the restarts' work grows
like two k-means++ starts', linearly in k as scikit-learn's default does.
Why two and not one: on astronaut at k=256 the second start gave 38.392 dB
against the first's 38.375 (scikit-learn: 38.383), for about 4 s more.

The run that follows starts from these centroids on the real pixels, so the
final answer is a fixed point of Lloyd's algorithm on the image, as with any
initializer.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from fractions import Fraction
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..dataset import Dataset
from ..engine import fast
from ..engine.kdtree import ColourTree
from ..errors import UsageError
from ..hookspecs import hookimpl
from ..rational import Centroid, as_centroid
from .initializers import greedy_kmeans_plus_plus
from .metrics import Euclidean

#: The most greedy k-means++ starts tried (for k up to RESTART_CENTRES / RESTARTS).
RESTARTS = 8
#: Centres drawn over all the restarts: the number of restarts shrinks as k grows...
RESTART_CENTRES = 128
#: ...down to this many.
MIN_RESTARTS = 2
#: KM-STOP-4's tolerance for each restart's Lloyd run (restarts only compare inertias).
RESTART_TOL = Fraction(1, 10000)
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


def restarts_for(k: int) -> int:
    """How many k-means++ starts KM-INIT-5 tries at ``k``: ``RESTART_CENTRES // k``, between 2 and ``RESTARTS``."""
    return max(MIN_RESTARTS, min(RESTARTS, RESTART_CENTRES // k))


#: Where the restarts report their progress, if anywhere: ``quantize()`` sets it
#: to its progress's ``phase`` for the length of the run.
REPORT: ContextVar[Optional[Callable[[str], None]]] = ContextVar("refkmeans_restarts_report", default=None)


def best_of_restarts(dataset: Dataset, k: int, rng) -> List[Centroid]:  # type: ignore[no-untyped-def]
    """KM-INIT-5: the exact centroids of the best of ``restarts_for(k)`` k-means++ runs on the coarse histogram."""
    if k > dataset.pixel_count:
        raise UsageError(f"k={k} is more than the {dataset.pixel_count} pixels to pick from")
    points = restart_points(dataset, k)
    tree = ColourTree.from_colours(points.colours, points.counts)
    metric = Euclidean()
    best: List[Centroid] = []
    best_inertia = Fraction(-1)
    runs = restarts_for(k)
    report = REPORT.get()
    started = time.monotonic()
    for run in range(runs):
        if report is not None:
            report(f"restart {run + 1}/{runs} on {len(points.colours)} points{_left(run, runs, started)}")
        start = [as_centroid(c, dataset.channels) for c in greedy_kmeans_plus_plus(points.colours, points.counts, k, rng)]
        result, _assigner = fast.run(tree, start, metric, max_iter=COARSE_MAX_ITER, tol=RESTART_TOL)
        if best_inertia < 0 or result.inertia_exact < best_inertia:
            best, best_inertia = list(result.centroids), result.inertia_exact
    return best


def _left(done: int, runs: int, started: float) -> str:
    """", about N s left" from the mean time of the restarts done so far (display only: the answer never reads the clock)."""
    if done == 0:
        return ""
    return f", about {(time.monotonic() - started) / done * (runs - done):.0f} s left"


@hookimpl
def refkmeans_register_initializers(register):  # type: ignore[no-untyped-def]
    register(
        "restarts",
        best_of_restarts,
        f"best of up to {RESTARTS} greedy k-means++ runs (fewer as k grows) on a {COARSE_BITS}-bit coarse histogram "
        "(quantize's default)",
    )
