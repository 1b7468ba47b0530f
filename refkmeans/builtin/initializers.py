"""The built-in initializers: ``random`` (the notebook's), ``kmeans++`` and ``first``.

Each is ``function(dataset, k, rng) -> list of k centroids`` and must be a
pure function of its arguments, so a seed reproduces it everywhere.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate, repeat
from operator import add, mul, sub
from typing import List, Sequence

from ..dataset import Dataset
from ..errors import UsageError
from ..hookspecs import hookimpl
from ..image import Pixel
from ..rng import Generator


def random_pixels(dataset: Dataset, k: int, rng) -> List[Pixel]:  # type: ignore[no-untyped-def]
    """k pixels at random positions, as the notebook picks them.

    The positions are the first k of a random permutation of 0..n-1.  Two
    positions may hold the same colour: both are kept, as in the notebook, and
    the later duplicate then loses every tie (so it starts empty).
    """
    _check_k_pixels(dataset, k)
    return [dataset.pixels[p] for p in rng.permutation_prefix(dataset.pixel_count, k)]


def first_pixels(dataset: Dataset, k: int, rng) -> List[Pixel]:  # type: ignore[no-untyped-def]
    """The first k pixels in raster order (no randomness; duplicates kept)."""
    _check_k_pixels(dataset, k)
    return list(dataset.pixels[:k])


def kmeans_plus_plus(dataset: Dataset, k: int, rng) -> List[Pixel]:  # type: ignore[no-untyped-def]
    """Greedy k-means++ (Arthur and Vassilvitskii 2007, as scikit-learn runs it), exactly (KM-INIT-3)."""
    _check_k_pixels(dataset, k)
    return greedy_kmeans_plus_plus(dataset.colours, dataset.counts, k, rng)


def greedy_kmeans_plus_plus(colours: Sequence[Pixel], counts: Sequence[int], k: int, rng: Generator) -> List[Pixel]:
    """KM-INIT-3 on weighted points: ``colours[i]`` stands for ``counts[i]`` pixels.

    The first centre is a point drawn with probability proportional to its
    weight.  Each later centre: draw 2 + floor(ln k) candidate points, each
    with probability proportional to its weight times its squared distance D^2
    to the nearest centre so far, and keep the one that leaves the smallest
    total weighted D^2 (the first such on a tie).  Every D^2 is an integer
    (centres are points), so the draws are exact integer draws
    ``rng.below(total)``.  When every D^2 is 0 (k exceeds the colours), the
    draw falls back to the weighted draw of the first centre.

    Squared distances are computed a channel at a time with ``map`` over
    integer columns: several times faster than a loop per point, which matters
    to ``restarts`` (it calls this on every restart).
    """
    columns = [list(c) for c in zip(*colours)]
    count_cumulative = list(accumulate(counts))
    trials = 2 + int(math.log(k))

    def weighted_point() -> int:
        return bisect_right(count_cumulative, rng.below(count_cumulative[-1]))

    def squared_to(centre: Sequence[int]) -> List[int]:
        total: List[int] = []
        for column, c in zip(columns, centre):
            d = list(map(sub, column, repeat(c)))
            total = list(map(add, total, map(mul, d, d))) if total else list(map(mul, d, d))
        return total

    first = colours[weighted_point()]
    centres = [first]
    nearest = squared_to(first)
    while len(centres) < k:
        weighted = list(accumulate(map(mul, counts, nearest)))
        potential = weighted[-1]
        if potential == 0:
            centres.append(colours[weighted_point()])
            continue
        best_index = -1
        best_potential = 0
        best_nearest: List[int] = []
        for _ in range(trials):
            index = bisect_right(weighted, rng.below(potential))
            trial = list(map(min, nearest, squared_to(colours[index])))
            trial_potential = sum(map(mul, counts, trial))
            if best_index < 0 or trial_potential < best_potential:
                best_index, best_potential, best_nearest = index, trial_potential, trial
        centres.append(colours[best_index])
        nearest = best_nearest
    return centres


def _check_k_pixels(dataset: Dataset, k: int) -> None:
    if k > dataset.pixel_count:
        raise UsageError(f"k={k} is more than the {dataset.pixel_count} pixels to pick from")


@hookimpl
def refkmeans_register_initializers(register):  # type: ignore[no-untyped-def]
    register("random", random_pixels, "k pixels at random positions (the notebook's initialization)")
    register("kmeans++", kmeans_plus_plus, "greedy k-means++ with 2 + ln k trials, exact integer draws")
    register("first", first_pixels, "the first k pixels in raster order")
