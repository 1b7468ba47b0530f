"""The notebook's own loop, bugs and all, in pure Python: what it really computed.

The notebook that started refkmeans did, in numpy::

    res_image = image / 255                        # meant to normalise...
    res_image = image.reshape(m * n, 3)            # ...but this throws it away: uint8
    centroids = res_image[np.random.permutation(m * n)[:K]]
    for i in range(iterations):
        labels = [argmin(norm(pixel - centroids, axis=1)) for pixel in res_image]
        centroids = [res_image[labels == j].mean(axis=0) for j in range(K)]

Three things go wrong, and this module reproduces each exactly, without
numpy, so that the docs can show them:

1. **uint8 wraparound.**  The pixels stay uint8 (bug 2), and so do the
   first centroids, copied from them; ``pixel - centroid`` then wraps
   modulo 256 (10 - 250 is 16), and the first assignment uses those wrong
   distances.  After the first update the centroids are float64 means, so
   later passes are right.
2. **The normalisation is thrown away** (the second line overwrites the
   first), which is why the pixels are still uint8.  Dividing by 255 would
   change no assignment (KM-IMG-2), so this bug is harmless on its own: its
   harm is bug 1.
3. **NaN from an empty cluster.**  The mean of no pixels is NaN; every
   distance to a NaN centroid is NaN, and ``argmin`` returns the first NaN
   it meets, so on the next pass every pixel joins that cluster.

A centroid here is a tuple of floats, or of ints while it is still a copied
uint8 pixel; NaN is ``math.nan``.
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

from ..rng import make_generator

Centroid = Tuple[float, ...]


def distance(pixel: Sequence[int], centroid: Sequence[float]) -> float:
    """``norm(pixel - centroid)`` as numpy computes it: modulo 256 while both are uint8 ints.

    >>> distance((10, 10, 10), (250, 250, 250))   # the wraparound: each difference is 16
    27.712812921102035
    >>> distance((10, 10, 10), (250.0, 250.0, 250.0))
    415.69219381653056
    """
    if all(isinstance(c, int) for c in centroid):
        return math.sqrt(sum(((p - c) % 256) ** 2 for p, c in zip(pixel, centroid)))
    return math.sqrt(sum((p - c) ** 2 for p, c in zip(pixel, centroid)))


def argmin(values: Sequence[float]) -> int:
    """numpy's argmin: the first minimum, or the first NaN if there is one.

    >>> argmin([3.0, 1.0, 1.0]), argmin([3.0, math.nan, 0.0])
    (1, 1)
    """
    for j, v in enumerate(values):
        if math.isnan(v):
            return j
    return min(range(len(values)), key=lambda j: (values[j], j))


def assign(pixels: Sequence[Sequence[int]], centroids: Sequence[Centroid]) -> List[int]:
    """The notebook's assignment of every pixel (worked out once per distinct colour)."""
    label_of = {p: argmin([distance(p, c) for c in centroids]) for p in dict.fromkeys(map(tuple, pixels))}
    return [label_of[tuple(p)] for p in pixels]


def update(pixels: Sequence[Sequence[int]], labels: Sequence[int], k: int) -> List[Centroid]:
    """The notebook's update: float means, NaN for a cluster with no pixel."""
    channels = len(pixels[0])
    sums = [[0] * channels for _ in range(k)]
    counts = [0] * k
    for p, label in zip(pixels, labels):
        counts[label] += 1
        total = sums[label]
        for ch, v in enumerate(p):
            total[ch] += v
    return [
        tuple(s / n for s in total) if n else (math.nan,) * channels  # np.mean of an empty slice
        for total, n in zip(sums, counts)
    ]


def initial(pixels: Sequence[Sequence[int]], k: int, seed: int) -> List[Centroid]:
    """``res_image[np.random.permutation(m * n)[:K]]`` after ``np.random.seed(seed)``: uint8 copies."""
    positions = make_generator("numpy-legacy", seed).permutation_prefix(len(pixels), k)
    return [tuple(int(v) for v in pixels[p]) for p in positions]


def run(pixels: Sequence[Sequence[int]], k: int = 16, iterations: int = 11, seed: int = 0) -> List[Tuple[List[Centroid], List[int]]]:
    """Every pass of the notebook's loop: (the centroids it started from, the labels it gave)."""
    centroids = initial(pixels, k, seed)
    history = []
    for _ in range(iterations):
        labels = assign(pixels, centroids)
        history.append((centroids, labels))
        centroids = update(pixels, labels, k)
    return history
