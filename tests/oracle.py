"""A naive, brute-force transcription of SPEC.md sections 3-6 in exact arithmetic.

Written from SPEC.md alone (not from refkmeans' sources) so that the tests can
compare the two.  Every loop runs over every pixel and every centroid; every
number is a ``fractions.Fraction``.  Speed is no concern: it is the
specification in code.
"""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

METRICS = ("euclidean", "sqeuclidean", "manhattan", "chebyshev")
POLICIES = ("keep", "farthest", "error")


def distance(metric, x, c):
    """Exact distance (KM-ASN-3); euclidean is represented by its square, which orders identically.

    ``x`` and ``c`` hold ints or Fractions (oracle_kmeans converts once), so every difference is exact.
    """
    diffs = [a - b for a, b in zip(x, c)]
    if metric in ("euclidean", "sqeuclidean"):
        return sum(d * d for d in diffs)
    if metric == "manhattan":
        return sum(abs(d) for d in diffs)
    if metric == "chebyshev":
        return max(abs(d) for d in diffs)
    raise ValueError(metric)


def sq_euclidean(x, c):
    return sum((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(x, c))


def assign(pixels, centroids, metric):
    """KM-ASN-1/2: nearest centroid, lowest index on an exact tie.  Returns (labels, distances)."""
    nearest = {}  # a colour's (label, distance): the same for every pixel of that colour
    for x in pixels:
        if x in nearest:
            continue
        best_j, best_d = None, None
        for j, c in enumerate(centroids):
            d = distance(metric, x, c)
            if best_d is None or d < best_d:  # strict: an equal later centroid never wins
                best_j, best_d = j, d
        nearest[x] = best_j, best_d
    return [nearest[x][0] for x in pixels], [nearest[x][1] for x in pixels]


def inertia(pixels, centroids, labels):
    """KM-OUT-2: exact sum of squared Euclidean distances, whatever the metric."""
    return sum((sq_euclidean(x, centroids[j]) for x, j in zip(pixels, labels)), Fraction(0))


def palette(centroids, maxval):
    """KM-OUT-1: floor(v + 1/2), clamped to 0..maxval."""
    return [tuple(min(max(math.floor(Fraction(v) + Fraction(1, 2)), 0), maxval) for v in c) for c in centroids]


def oracle_kmeans(pixels, init, max_iter, metric="euclidean", empty="keep"):
    """Lloyd's iteration exactly as SPEC sections 3-5 state it.

    ``steps`` lists, per iteration, (centroids it started from, its labels,
    its exact inertia, its empty clusters).
    """
    pixels = [tuple(Fraction(v) for v in x) for x in pixels]
    centroids = [tuple(Fraction(v) for v in c) for c in init]  # KM-CEN-2: Fraction(float) is exact
    k = len(centroids)
    iterations = 0
    converged = False
    labels = None
    steps = []
    while iterations < max_iter:  # KM-STOP-1
        labels, dists = assign(pixels, centroids, metric)
        iterations += 1  # KM-STOP-2: counts every assignment+update step
        new = []
        empties = []
        for j in range(k):
            members = [x for x, lab in zip(pixels, labels) if lab == j]
            if members:  # KM-UPD-1
                new.append(tuple(sum(x[ch] for x in members) / len(members) for ch in range(len(members[0]))))
            else:  # KM-EMP-1 keep (possibly overwritten below)
                new.append(centroids[j])
                empties.append(j)
        steps.append((tuple(centroids), tuple(labels), inertia(pixels, centroids, labels), tuple(empties)))
        if empties and empty == "error":
            return dict(centroids=None, labels=None, iterations=iterations, converged=False,
                        inertia=None, error="empty", steps=steps, cluster=empties[0])
        if empties and empty == "farthest":  # KM-EMP-2, literally, over pixels
            order = sorted(range(len(pixels)), key=lambda i: (-dists[i], i))
            taken = []
            for i in order:
                if dists[i] == 0 or pixels[i] in taken:
                    continue
                taken.append(pixels[i])
            for j, colour in zip(empties, taken):
                new[j] = colour
        elif empties and empty != "keep":
            raise ValueError(empty)
        if new == centroids:
            converged = True
            break
        centroids = new
    if not converged:  # KM-STOP-3: labels always belong to the returned centroids
        labels, _ = assign(pixels, centroids, metric)
    return dict(centroids=centroids, labels=labels, iterations=iterations, converged=converged,
                inertia=inertia(pixels, centroids, labels), error=None, steps=steps)


# ---- KM-RNG-1..3 and KM-INIT-1..3, for checking the initializers --------------------------

M64 = (1 << 64) - 1


class SplitMix64:
    """KM-RNG-1 and KM-RNG-2."""

    def __init__(self, seed):
        self.state = seed

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next_u64()
            if x < limit:
                return x % n


def permutation_prefix(gen, n, k):
    """KM-RNG-3: partial forward Fisher-Yates."""
    a = list(range(n))
    for i in range(k):
        j = i + gen.below(n - i)
        a[i], a[j] = a[j], a[i]
    return a[:k]


def init_random(pixels, k, gen):
    """KM-INIT-1."""
    return [tuple(pixels[i]) for i in permutation_prefix(gen, len(pixels), k)]


def init_kmeanspp(pixels, k, gen):
    """KM-INIT-3, on the histogram of distinct colours in order of first occurrence."""
    colours, weight = [], {}
    for x in pixels:
        x = tuple(x)
        if x not in weight:
            colours.append(x)
            weight[x] = 0
        weight[x] += 1
    w = [weight[x] for x in colours]
    n = len(pixels)

    def cumsum(values):
        out, s = [], 0
        for v in values:
            s += v
            out.append(s)
        return out

    def d2(a, b):
        return sum((p - q) ** 2 for p, q in zip(a, b))

    cum_w = cumsum(w)
    centres = [colours[bisect.bisect_right(cum_w, gen.below(n))]]
    D2 = [d2(x, centres[0]) for x in colours]
    trials = 2 + int(math.floor(math.log(k)))
    while len(centres) < k:
        P = sum(wi * di for wi, di in zip(w, D2))
        if P == 0:
            centre = colours[bisect.bisect_right(cum_w, gen.below(n))]
        else:
            cum = cumsum([wi * di for wi, di in zip(w, D2)])
            best, best_pot = None, None
            for _ in range(trials):
                cand = colours[bisect.bisect_right(cum, gen.below(P))]
                pot = sum(wi * min(di, d2(x, cand)) for wi, di, x in zip(w, D2, colours))
                if best_pot is None or pot < best_pot:
                    best, best_pot = cand, pot
            centre = best
        centres.append(centre)
        D2 = [min(di, d2(x, centre)) for di, x in zip(D2, colours)]
    return centres
