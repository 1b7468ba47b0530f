"""The fast engine: Lloyd's algorithm over the colour histogram, by kd-tree filtering.

It gives exactly what :func:`refkmeans.engine.lloyd.lloyd` gives (labels, exact
centroids, iterations, counts, inertia and every trace step) and does far
less work to get there:

1. **Histogram.**  Identical pixels always share a label, so the engine
   clusters distinct colours weighted by their counts
   (:class:`~refkmeans.engine.kdtree.ColourTree`).
2. **Filtering** (Kanungo et al. 2002).  The tree is walked with a set of
   candidate centroids.  At each node, the candidate nearest the box centre
   (``best``) is tested against every other one; a candidate that cannot be
   the answer anywhere in the box is dropped.  When one candidate is left,
   the whole node goes to it, and its exact sums come from prefix sums in
   O(1).  Leaves with several candidates are assigned colour by colour.
   Nothing is kept per pair of centroids: each node tests its candidates
   with C-level ``map`` calls, so memory grows with k, never with k^2
   (a fixed palette of 65,536 colours is just k = 65,536).
3. **Reuse across iterations** (Hamerly-style bounds, per node).  Each
   settled node keeps ``gap``: a lower bound on how much farther every other
   centroid is than its owner, anywhere in its box.  When centroids move by
   at most ``drift``, an owner whose gap exceeds its own drift plus the
   largest other drift cannot have changed.  Settled nodes wait in one heap
   per owner keyed by their remaining gap, so an iteration touches only the
   nodes whose bound ran out.

Exactness
    Every decision that can lose a candidate or keep an owner is proved:
    with floats when a rigorous error bound separates the answer from the
    alternative, otherwise with the metric's exact ``key``.  A candidate is
    dropped only when it is farther everywhere in the box, or ties somewhere
    and has the higher index (KM-ASN-2).  Keeping a candidate that could have
    been dropped costs time, never correctness.

Float error bounds (u = 2**-53; C channels; centroids in 0..65535 are
rounded to floats with error at most delta = 65535 u ~ 7.3e-12 per channel)
    * The engine works from the metric's declared geometry
      (:mod:`refkmeans.metric`), never its class or name: it computes the
      geometry's own float distance (``math.dist`` for both Euclidean
      geometries), within ``A + B d`` of the truth with (A, B) from
      :func:`refkmeans.metric.error_terms`, where each bound is derived once.
    * The corner test picks, per channel, the box end in the direction of
      ``z - best``.  Float signs can be wrong only where the exact centroids
      differ by at most 2 delta; the value at the corner used then exceeds the
      true minimum by at most 2 delta * 2 * 65535 < 2e-6 per channel for
      squared euclidean distances and 4 delta < 1e-10 for manhattan ones.
    * The linear test's error bound, :func:`linear_error`, is derived beside it.
    * Upper bounds on true distances built from floats go through
      ``Geometry.apart`` (between two centroids) and ``Geometry.reach`` (a
      sum of two distances and a box diameter).
    * Bookkeeping of gaps and drifts rounds every sum by at most
      2**-53 of its size; ``gap_limit`` and ``spent_bound`` add margins of
      1e-9 + 1e-12 |gap| + 1e-15 |total|, which cover that with room to spare.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from heapq import heappop, heappush, nlargest
from itertools import chain, compress, repeat
from operator import add, ge, gt, itemgetter, le, mul, ne, not_, sub, truediv
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import UsageError
from ..metric import FLOAT_DISTANCES, FloatDistance, Metric, compared_geometry, error_terms
from ..rational import Centroid
from ..result import Result
from .kdtree import ColourTree, Node
from .lloyd import Loop, Sums, iterate

Point = Tuple[int, ...]
Floats = Tuple[float, ...]
Entry = Tuple[int, int, int, float]  # (start, stop, owner, gap) of a settled run of colours
Labels = Union[bytearray, array]
Scaled = Tuple[int, Tuple[int, ...]]  # (L, c * L): a centroid with integer coordinates over a common denominator

_U = 2.0**-53
_INF = math.inf
#: Refilter from the root instead of node by node when this share of the settled nodes failed.
FULL_SHARE = 0.25


# The linear test (L2.prune).  For centroids y, z (exact, in 0..M, M = 65535)
# and a box with middle m and half widths h (exact floats: halves of integers),
#
#     f(x) = d(x, y)^2 - d(x, z)^2 = P - D . x,   P = |y|^2 - |z|^2,  D = 2 (y - z),
#
# ranges over the box between f(m) - S and f(m) + S, S = sum |D_c| h_c.  The
# engine evaluates these from the float centroids y' = fl(y), z' = fl(z):
# P' = fl(fl(sum y'_c^2) - fl(sum z'_c^2)), D'_c = 2 fl(y'_c - z'_c), then
# centre = fl(P' - fl(sum D'_c m_c)), spread = fl(sum |D'_c| h_c) and
# low, high = fl(centre -+ spread) (``linear_ranges``).  With u = 2**-53, C
# channels, E = u C M^2, to first order in u, each step errs by at most:
#
#   rounding y and z      |(y_c - x_c)^2 - (y'_c - x_c)^2| <= |y_c - y'_c| 2M
#                         <= 2 u M^2 per channel and centroid, for every x in
#                         the box, so the range moves by at most          4 E
#   P'                    two sums of C squares, each within C u of its
#                         total (<= C M^2), and their difference       (2C+1) E
#   sum D'_c m_c          D'_c within 2 u M of 2 (y'_c - z'_c) (2 E in all);
#                         C products and sums of terms <= 2 M^2         (2C+2) E
#   centre                one rounding of a value <= 3 C M^2                3 E
#   spread                D'_c again (E), and C products and sums of
#                         terms <= M^2                                   (C+1) E
#   low, high             one rounding of a value <= 4 C M^2                4 E
#
# Together (5C + 15) E = 5 (C + 3) C u M^2 < 2.4e-6 C (C + 3) <= 4.8e-6 C (C + 1)
# (as C + 3 <= 2 (C + 1)), since u M^2 < 4.8e-7.  The constant below is 20
# times that, which also swallows the second-order terms (relative size C u).
# "C u of a sum" holds for the left-to-right sums ``linear_ranges`` does.
# tests/test_bounds.py checks the bound
# against exact Fractions, extremes 0 and 65535 included.


def linear_error(channels: int) -> float:
    """An upper bound on the float error of ``linear_ranges`` (derivation above)."""
    return 1e-4 * channels * (channels + 1)


def linear_ranges(
    y: Floats,
    square_y: float,
    columns: Sequence[Sequence[float]],
    squares: Sequence[float],
    middle: Sequence[float],
    half: Sequence[float],
) -> Tuple[List[float], List[float]]:
    """The float least and greatest values of P - D . x over the box for centroid y against each z.

    ``columns`` holds the z's channel by channel and ``squares`` their float
    squared norms (``square_y`` is y's).  Every step is the one costed
    above, done for all z at once by C-level ``map`` calls: no table of
    pairs is built, so memory stays linear in the number of candidates.
    """
    P = list(map(sub, repeat(square_y), squares))
    centre: List[float] = []
    spread: List[float] = []
    for c, (yc, zc, m, h) in enumerate(zip(y, columns, middle, half)):
        D = list(map(mul, repeat(2.0), map(sub, repeat(yc), zc)))
        terms = map(mul, D, repeat(m))
        widths = map(mul, map(abs, D), repeat(h))
        # Left-to-right sums of the C channel terms, as the error bound assumes.
        centre = list(terms) if c == 0 else list(map(add, centre, terms))
        spread = list(widths) if c == 0 else list(map(add, spread, widths))
    centre = list(map(sub, P, centre))
    return list(map(sub, centre, spread)), list(map(add, centre, spread))


# Bookkeeping margins.  A gap comes out of a few float operations on
# distances (differences, a product, a division), each rounding by at most
# u = 1.1e-16 of its size, so 1e-12 of the gap covers them many times over;
# drift totals are running float sums, 1e-15 of the total covers each
# addition's rounding; 1e-9 covers everything near zero.


def gap_limit(gap: float, spent: float = 0.0) -> float:
    """The drift total (``spent`` so far included) beyond which a run settled with ``gap`` may change owner."""
    limit = gap + spent
    return limit - (1e-9 + 1e-12 * abs(gap) + 1e-15 * abs(limit))


def spent_bound(total: float) -> float:
    """An upper bound on a drift total that was summed in floats."""
    return total + 1e-9 + 1e-15 * total


class Geometry:
    """How one declared geometry tests a box: distances, error bounds and the pruning rule."""

    #: The geometry compared, a key of :data:`refkmeans.metric.FLOAT_DISTANCES`.
    name = ""
    #: Its float distance, within ``A + B d`` of the true distance.
    dist: FloatDistance = staticmethod(FLOAT_DISTANCES["euclidean"])

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.A, self.B = error_terms(self.name, channels)
        self._grow = 1 + 2 * self.B

    def apart(self, d: float) -> float:
        """An upper bound on the true distance between two exact centroids whose floats are ``d`` apart.

        Each exact centroid is within A / 2 of its floats, and d is within B d
        of the floats' true distance; doubling both covers the rounding of
        this sum, and 1e-9 absorbs the rest.
        """
        return d + 2 * (self.A + self.B * d) + 1e-9

    def reach(self, total: float) -> float:
        """An upper bound on the true value of a float sum of two distances and a box diameter.

        Each distance is within A + B d of the truth; the additions and the
        half diagonal (``math.dist`` * 0.5) add a few u more in relative
        terms, which the second B (at least 4 u) covers.
        """
        return total * self._grow + 4 * self.A + 1e-9

    @staticmethod
    def scaled(x: Sequence[int], centroid: Scaled) -> Tuple[int, int]:
        """The exact distance from integer point x to a centroid, as (integer, scale): distance = integer / scale."""
        raise NotImplementedError

    def drift(self, old: Floats, new: Floats) -> float:
        """An upper bound on the distance an exact centroid moved, from its floats."""
        return self.apart(self.dist(old, new))

    def prune(self, engine: Assigner, node: Node, cands: List[int], gap: float) -> Tuple[List[int], float]:
        """The candidates that may win somewhere in the box, and the updated gap bound."""
        raise NotImplementedError


class CornerGeometry(Geometry):
    """Euclidean and manhattan: ``d(x, z) - d(x, best)`` is smallest at the corner toward z.

    All candidates are tested at once with C-level ``map`` calls; one error
    bound, taken at the largest distance involved, serves the whole node
    (every bound here grows with the distance).
    """

    #: True when the corner test compares squared distances (euclidean).
    squared = False
    #: How much a wrongly chosen corner can overstate the minimum (see the module notes).
    slack = 0.0

    def prune(self, engine: Assigner, node: Node, cands: List[int], gap: float) -> Tuple[List[int], float]:
        dist, floats = self.dist, engine.floats
        corners, middle = node[3], node[4]
        centres = [floats[j] for j in cands]
        to_middle = list(map(dist, repeat(middle), centres))
        b = to_middle.index(min(to_middle))
        best = cands[b]
        s = centres[b]
        toward = list(map(corners.__getitem__, map(engine.toward, repeat(s), centres)))
        dz = list(map(dist, toward, centres))
        ds = list(map(dist, toward, repeat(s)))
        top = max(max(dz), max(ds))
        e = self.A + self.B * top
        if self.squared:
            # Squared distances are linear in x, so their difference is least
            # at the corner; errors: |d^2 - D^2| <= e (2 d + e), plus rounding.
            values = list(map(sub, map(mul, dz, dz), map(mul, ds, ds)))
            error = 2 * e * (top + top + e) + 4 * _U * top * top + self.slack
        else:
            values = list(map(sub, dz, ds))
            error = 2 * e + 2 * _U * top + self.slack
        values[b] = -_INF
        dropped = list(map(gt, values, repeat(error)))
        kept = list(compress(cands, map(not_, dropped)))
        if len(kept) < len(cands):
            lost = compress(values, dropped)
            if self.squared:
                # d(x, z) - d(x, s) = (d(x, z)^2 - d(x, s)^2) / (d(x, z) + d(x, s)), and
                # the denominator is at most 2 dmax(s, box) + d(s, z), where
                # dmax(s, box) <= d(s, middle) + half diagonal.
                reach = self.reach(2 * (to_middle[b] + node[5]))
                between = map(self.apart, map(dist, repeat(s), compress(centres, dropped)))
                bound = min(map(truediv, map(sub, lost, repeat(error)), map(add, repeat(reach), between)))
            else:
                bound = min(lost) - error
            if bound < gap:
                gap = bound
        if max(values) >= -error:
            for j, v in zip(cands, values):
                if -error <= v <= error and self.exact_prune(engine, node, j, best):
                    kept.remove(j)
                    gap = min(gap, 0.0)
        return kept, gap

    def exact_prune(self, engine: Assigner, node: Node, j: int, best: int) -> bool:
        """Exactly: is candidate j never the answer in the box, given ``best``?"""
        z, s = engine.exact[j], engine.exact[best]
        v = tuple(hi if zc > sc else lo for zc, sc, lo, hi in zip(z, s, node[0], node[1]))
        dz, scale_z = self.scaled(v, engine.scaled[j])
        ds, scale_s = self.scaled(v, engine.scaled[best])
        difference = dz * scale_s - ds * scale_z
        return difference > 0 or (difference == 0 and j > best)


class L2(CornerGeometry):
    name = "euclidean"
    squared = True

    def prune(self, engine: Assigner, node: Node, cands: List[int], gap: float) -> Tuple[List[int], float]:
        """Each test is one linear function over the box.

        f(x) = d(x, y)^2 - d(x, z)^2 = P - D . x with P = |y|^2 - |z|^2 and
        D = 2 (y - z); over the box it ranges over f(middle) -+ sum |D_c| half_c.
        Its float error is below :func:`linear_error`; a value that close to
        zero goes to the exact test.  The distance gap is
        -f / (d(x, z) + d(x, y)), each distance at most d(., middle) + half diagonal.
        """
        middle, half, radius = node[4], node[6], node[5]
        error = self.linear_error
        floats, dist, squares = engine.floats, self.dist, engine.squares
        if len(cands) == 2:
            # Two candidates (most nodes): test both directions at once.
            z0, z1 = cands
            lows, highs = linear_ranges(
                floats[z0], squares[z0], [(v,) for v in floats[z1]], (squares[z1],), middle, half
            )
            low, high = lows[0], highs[0]
            if low > error:
                winner, margin = z1, low - error
            elif high < -error:
                winner, margin = z0, -high - error
            elif low < -error and high > error:
                return cands, gap
            else:
                return super().prune(engine, node, cands, gap)
            bound = margin / self.reach(dist(middle, floats[z0]) + dist(middle, floats[z1]) + 2 * radius)
            return [winner], (bound if bound < gap else gap)
        to_middle = [dist(middle, floats[j]) for j in cands]
        nearest = min(to_middle)
        best = cands[to_middle.index(nearest)]
        columns = list(zip(*map(floats.__getitem__, cands)))
        highs = linear_ranges(
            floats[best], squares[best], columns, list(map(squares.__getitem__, cands)), middle, half
        )[1]
        kept = []
        for j, d, high in zip(cands, to_middle, highs):
            if j == best:
                kept.append(j)
                continue
            if high < -error:
                bound = (-high - error) / self.reach(nearest + d + 2 * radius)
                if bound < gap:
                    gap = bound
            elif high > error or not self.exact_prune(engine, node, j, best):
                kept.append(j)
            elif gap > 0.0:
                gap = 0.0
        return kept, gap

    @staticmethod
    def scaled(x: Sequence[int], centroid: Scaled) -> Tuple[int, int]:
        # Squared distance, which orders like the distance (KM-ASN-3).
        scale, coords = centroid
        return sum((v * scale - p) ** 2 for v, p in zip(x, coords)), scale * scale

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.slack = 2e-6 * channels
        self.linear_error = linear_error(channels)


class L1(CornerGeometry):
    name = "manhattan"
    dist = staticmethod(FLOAT_DISTANCES["manhattan"])

    @staticmethod
    def scaled(x: Sequence[int], centroid: Scaled) -> Tuple[int, int]:
        scale, coords = centroid
        return sum(abs(v * scale - p) for v, p in zip(x, coords)), scale

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.slack = 1e-10 * channels


class LInf(Geometry):
    """Chebyshev: a candidate whose nearest point of the box is farther than best's farthest."""

    name = "chebyshev"
    dist = staticmethod(FLOAT_DISTANCES["chebyshev"])

    @staticmethod
    def scaled(x: Sequence[int], centroid: Scaled) -> Tuple[int, int]:
        scale, coords = centroid
        return max(abs(v * scale - p) for v, p in zip(x, coords)), scale

    def prune(self, engine: Assigner, node: Node, cands: List[int], gap: float) -> Tuple[List[int], float]:
        dist, A, B, floats = self.dist, self.A, self.B, engine.floats
        low, high, middle = node[0], node[1], node[4]
        to_middle = [dist(middle, floats[j]) for j in cands]
        best = cands[to_middle.index(min(to_middle))]
        s = floats[best]
        dmax = max(max(sc - lo, hi - sc) for sc, lo, hi in zip(s, low, high))
        emax = A + B * dmax
        kept = []
        for j in cands:
            if j == best:
                kept.append(j)
                continue
            dmin = max(max(lo - zc, zc - hi, 0.0) for zc, lo, hi in zip(floats[j], low, high))
            value = dmin - dmax
            error = A + B * dmin + emax + _U * (dmin + dmax)
            if value > error:
                if value - error < gap:
                    gap = value - error
            elif value < -error or not self.exact_prune(engine, node, j, best):
                kept.append(j)
            elif gap > 0.0:
                gap = 0.0
        return kept, gap

    def exact_prune(self, engine: Assigner, node: Node, j: int, best: int) -> bool:
        (scale_z, z), (scale_s, s) = engine.scaled[j], engine.scaled[best]
        low, high = node[0], node[1]
        dmin = max(max(lo * scale_z - zc, zc - hi * scale_z, 0) for zc, lo, hi in zip(z, low, high))
        dmax = max(max(sc - lo * scale_s, hi * scale_s - sc) for sc, lo, hi in zip(s, low, high))
        difference = dmin * scale_s - dmax * scale_z
        return difference > 0 or (difference == 0 and j > best)


#: The box test for each compared geometry (squared Euclidean is compared as Euclidean).
_GEOMETRIES = {"euclidean": L2, "manhattan": L1, "chebyshev": LInf}


def supports(metric: Metric) -> bool:
    """True when the fast engine has a box test for ``metric``: it declares a geometry (refkmeans.metric)."""
    return compared_geometry(metric) is not None


def geometry_for(metric: Metric, channels: int) -> Geometry:
    """The box geometry of a metric that declares one."""
    geometry = compared_geometry(metric)
    if geometry is None:
        raise UsageError(
            f"the fast engine has no box test for metric {metric.name!r}; use engine 'histogram' or 'auto'"
        )
    return _GEOMETRIES[geometry](channels)


class Assigner:
    """The assignment step over a :class:`ColourTree`, remembering settled runs between calls.

    After each call, ``labels`` holds the label of every colour (Morton
    order) and ``sums`` the clusters' exact sums.
    """

    def __init__(self, tree: ColourTree, metric: Metric, k: int) -> None:
        self.tree = tree
        self.k = k
        self.geometry = geometry_for(metric, tree.dimensions)
        self.metric = metric
        n = tree.size
        self.labels: Labels = bytearray(n) if k <= 256 else array("L", bytes(array("L").itemsize * n))
        self.sums = Sums(k, tree.dimensions, tree.square_total)
        self.exact: List[Centroid] = []
        self.floats: List[Floats] = []
        self.scaled: List[Scaled] = []
        self.squares: List[float] = []  # float squared norms of the centroids, for the linear test
        self._corner_bits = [1 << c for c in reversed(range(tree.dimensions))]
        self.live: List[int] = []
        # Settled runs of each owner: after a full walk as lists of (start, stop, gap)
        # sorted by gap; once refiltering starts, as heaps of (limit, start, stop).
        self.groups: List[List[Tuple[float, int, int]]] = [[] for _ in range(k)]
        self.heaps: Optional[List[List[Tuple[float, int, int]]]] = None
        self.spent = [0.0] * k  # per owner: drift bound used up since the last full walk
        self.settled = 0
        self.full_walks = 0
        self.refilters = 0

    # -- one assignment -------------------------------------------------

    def assign(self, centroids: Sequence[Centroid]) -> Optional[int]:
        """Label every colour with its nearest centroid; return pixels changed (None the first time)."""
        first = not self.exact
        old_floats, old_exact, old_live = self.floats, self.exact, set(self.live)
        self._prepare(centroids)
        if first or not old_live.issuperset(self.live):
            return self._full_walk(first)
        drifts = [
            0.0 if new == old else self.geometry.drift(f_old, f_new)
            for new, old, f_new, f_old in zip(self.exact, old_exact, self.floats, old_floats)
        ]
        order = sorted(range(self.k), key=drifts.__getitem__)
        largest = drifts[order[-1]]
        second = drifts[order[-2]] if self.k > 1 else 0.0
        spent = self.spent
        for o in range(self.k):
            # An owner keeps a run while gap > its own drift + the largest other drift.
            total = spent[o] + drifts[o] + (second if o == order[-1] else largest)
            spent[o] = spent_bound(total)
        if self.heaps is None:
            failing = sum(bisect_right(group, (spent[o], _INF)) for o, group in enumerate(self.groups))
            if failing > FULL_SHARE * self.settled:
                return self._full_walk(False)
            self.heaps = self.groups
        failed: List[Tuple[int, int, int]] = []
        for o, heap in enumerate(self.heaps):
            limit = spent[o]
            while heap and heap[0][0] <= limit:
                _, a, b = heappop(heap)
                failed.append((a, b, o))
        if len(failed) > FULL_SHARE * self.settled:
            return self._full_walk(False)
        return self._refilter(failed)

    def _prepare(self, centroids: Sequence[Centroid]) -> None:
        self.exact = list(centroids)
        self.floats = [tuple(map(float, c)) for c in centroids]
        self.scaled = [_scaled(c) for c in self.exact]
        seen: Dict[Centroid, int] = {}
        for j, c in enumerate(self.exact):
            seen.setdefault(c, j)
        # A centroid equal to a lower-index one never wins (KM-ASN-2): not a candidate.
        self.live = sorted(seen.values())
        self.squares = [sum(v * v for v in f) for f in self.floats]

    def toward(self, s: Floats, z: Floats) -> int:
        """Corner index (as ``itertools.product`` numbers corners) toward z from s: high ends where z > s."""
        return sum(compress(self._corner_bits, map(gt, z, s)))

    def _full_walk(self, first: bool) -> Optional[int]:
        """Walk the whole tree with every live candidate."""
        self.full_walks += 1
        tree, k = self.tree, self.k
        entries: List[Entry] = []
        self._walk(0, tree.size, self.live, _INF, entries)
        old = self.labels
        owners = [e[2] for e in entries]
        lengths = [e[1] - e[0] for e in entries]
        if isinstance(old, bytearray):
            pieces = [bytes((o,)) for o in range(k)]
            self.labels = bytearray(b"".join(map(mul, map(pieces.__getitem__, owners), lengths)))
        else:
            self.labels = array(old.typecode, chain.from_iterable(map(repeat, owners, lengths)))
        groups: List[List[Entry]] = [[] for _ in range(k)]
        for entry in entries:
            groups[entry[2]].append(entry)
        sums = self.sums = Sums(k, tree.dimensions, tree.square_total)
        self.spent = [0.0] * k
        self.heaps = None
        for o, group in enumerate(groups):
            if group:
                # Sums of runs from the prefix sums: sum at the stops minus sum at the starts.
                starts = [e[0] for e in group]
                stops = [e[1] for e in group]
                sums.counts[o] = _span(tree.cum_weight, starts, stops)
                sums.totals[o] = [_span(cum, starts, stops) for cum in tree.cum_sum]
            runs = [(_INF if g == _INF else gap_limit(g), a, b) for a, b, _, g in group]
            runs.sort()
            self.groups[o] = runs
        self.settled = len(entries)
        if first:
            return None
        return _changed(tree.weights, old, self.labels)

    def _refilter(self, failed: List[Tuple[int, int, int]]) -> int:
        """Assign again only the settled runs whose bound ran out."""
        tree, sums, labels, heaps, spent = self.tree, self.sums, self.labels, self.heaps, self.spent
        assert heaps is not None
        changed = 0
        cum_weight, cum_sum = tree.cum_weight, tree.cum_sum
        for a, b, o in failed:
            self.refilters += 1
            self.settled -= 1
            sums.counts[o] -= cum_weight[b] - cum_weight[a]
            total = sums.totals[o]
            for c, cum in enumerate(cum_sum):
                total[c] -= cum[b] - cum[a]
            entries: List[Entry] = []
            if tree.is_node(a, b):
                self._walk(a, b, self.live, _INF, entries)
            else:
                self._leaf(a, b, self.live, _INF, entries)
            for start, stop, owner, gap in entries:
                count = cum_weight[stop] - cum_weight[start]
                sums.counts[owner] += count
                total = sums.totals[owner]
                for c, cum in enumerate(cum_sum):
                    total[c] += cum[stop] - cum[start]
                if gap == _INF:
                    limit = _INF
                else:
                    limit = gap_limit(gap, spent[owner])
                heappush(heaps[owner], (limit, start, stop))
                if owner != o:
                    changed += count
                    if isinstance(labels, bytearray):
                        labels[start:stop] = bytes((owner,)) * (stop - start)
                    else:
                        labels[start:stop] = array("L", [owner]) * (stop - start)
            self.settled += len(entries)
        return changed

    # -- the walk ---------------------------------------------------------

    def _walk(self, a: int, b: int, cands: List[int], gap: float, out: List[Entry]) -> None:
        """Filter the run a..b with the candidates, depth first, left to right; settled runs go to ``out``."""
        node_of, prune = self.tree.node, self.geometry.prune
        nodes, width = self.tree.nodes, self.tree.size + 1
        stack = [(a, b, cands, gap)]
        while stack:
            a, b, cands, gap = stack.pop()
            node = nodes.get(a * width + b) or node_of(a, b)
            if len(cands) > 1:
                cands, gap = prune(self, node, cands, gap)
            if len(cands) == 1:
                out.append((a, b, cands[0], gap))
            elif node[2] == 0:
                self._leaf(a, b, cands, gap, out, node)
            else:
                stack.append((node[2], b, cands, gap))
                stack.append((a, node[2], cands, gap))

    def _leaf(
        self, a: int, b: int, cands: List[int], gap: float, out: List[Entry], node: Optional[Node] = None
    ) -> None:
        """Assign colours a..b-1 one by one among the candidates; merge equal neighbours.

        The distances of all colours to each candidate come from one C-level
        ``map``; so do the nearest, the runner-up and the margin between them.
        Colours whose margin is within the float error are settled exactly.
        """
        geometry = self.geometry
        dist, floats = geometry.dist, self.floats
        colours = list(zip(*[values[a:b] for values in self.tree.channels]))
        rows = [list(map(dist, colours, repeat(floats[j]))) for j in cands]
        if len(rows) == 2:
            picks: List[int] = list(map(gt, *rows))  # True (1): the second candidate is nearer
            margins = list(map(abs, map(sub, *rows)))
        else:
            columns = list(zip(*rows))
            ordered = list(map(sorted, columns))
            nearest = list(map(itemgetter(0), ordered))
            picks = list(map(tuple.index, columns, nearest))
            margins = list(map(sub, map(itemgetter(1), ordered), nearest))
        # A true distance is within A + B d of its float, so the float winner is
        # certain when the margin exceeds both errors; the run's gap is the
        # smallest margin left after them.  d is at most d(z, middle) + half diagonal.
        if node is None:
            top = max(map(max, rows))
        else:
            top = max(dist(node[4], floats[j]) for j in cands) + node[5] + 1.0
        error = 2 * (geometry.A + geometry.B * top)
        n = b - a
        if min(margins) <= error:
            owners = list(map(cands.__getitem__, picks))
            for i in compress(range(n), map(le, margins, repeat(error))):
                owners[i] = self._exact_owner(colours[i], cands, [row[i] for row in rows])
                margins[i] = error
            picks = list(map(cands.index, owners))
        if picks.count(picks[0]) == n:  # often all on one side: one run
            starts = [0, n]
        else:
            starts = [0]
            starts.extend(compress(range(1, n), map(ne, picks, picks[1:])))
            starts.append(n)
        for start, stop in zip(starts, starts[1:]):
            run_gap = min(margins[start:stop]) - error
            out.append((a + start, a + stop, cands[picks[start]], run_gap if run_gap < gap else gap))

    def _exact_owner(self, x: Point, cands: List[int], ds: List[float]) -> int:
        """The exact nearest candidate, lowest index on a tie (only near-ties get here)."""
        A, B = self.geometry.A, self.geometry.B
        d1 = min(ds)
        reach = d1 + A + B * d1
        near = [j for j, d in zip(cands, ds) if d - (A + B * d) <= reach]
        scaled, table = self.geometry.scaled, self.scaled
        best = near[0]
        best_d, best_scale = scaled(x, table[best])
        for j in near[1:]:
            d, scale = scaled(x, table[j])
            if d * best_scale < best_d * scale:  # strictly nearer: ties stay with the lower index
                best, best_d, best_scale = j, d, scale
        return best

    # -- results ----------------------------------------------------------

    def ordered_labels(self) -> List[int]:
        """Labels of the colours in first-occurrence order."""
        return list(map(self.labels.__getitem__, self.tree.first_occurrence_order()))

    def farthest(self, wanted: int) -> List[Point]:
        """KM-EMP-2: up to ``wanted`` colours farthest from their centroid, exactly ordered.

        Float distances pick the candidates: a colour whose float distance is
        more than twice the error bound below the ``wanted``-th largest has at
        least ``wanted`` colours strictly farther, so it is never chosen.
        """
        tree, geometry = self.tree, self.geometry
        ds = list(map(geometry.dist, zip(*tree.channels), map(self.floats.__getitem__, self.labels)))
        largest = nlargest(wanted, ds)
        threshold = largest[-1] - 2 * (geometry.A + geometry.B * largest[0])
        key = self.metric.key
        ranked = []
        for i in compress(range(len(ds)), map(ge, ds, repeat(threshold))):
            colour = tree.colour(i)
            exact = key(colour, self.exact[self.labels[i]])
            if exact:
                ranked.append((-exact, tree.first_occurrence_rank(i), colour))
        ranked.sort()
        return [colour for _, _, colour in ranked[:wanted]]


def _scaled(centroid: Centroid) -> Scaled:
    """A centroid as (common denominator L, integer coordinates c * L), for exact integer comparisons."""
    scale = 1
    for v in centroid:
        scale = scale * v.denominator // math.gcd(scale, v.denominator)
    return scale, tuple(v.numerator * (scale // v.denominator) for v in centroid)


def _changed(weights: Sequence[int], old: Labels, new: Labels) -> int:
    """Total weight of the colours whose label differs between ``old`` and ``new``."""
    if isinstance(old, bytearray) and isinstance(new, bytearray):
        # XOR of the two label strings as big integers: a nonzero byte marks a change.
        n = len(old)
        differ = (int.from_bytes(old, "little") ^ int.from_bytes(new, "little")).to_bytes(n, "little")
        return sum(compress(weights, differ))
    return sum(compress(weights, map(ne, old, new)))


def _span(cumulative: Sequence[int], starts: List[int], stops: List[int]) -> int:
    """Sum over runs of cumulative[stop] - cumulative[start], at C speed."""
    return sum(map(cumulative.__getitem__, stops)) - sum(map(cumulative.__getitem__, starts))


def run(tree: ColourTree, centroids: Sequence[Centroid], metric: Metric, **options: Any) -> Tuple[Result, Assigner]:
    """Lloyd's loop (:func:`refkmeans.engine.lloyd.iterate`) over the tree's colours, with this engine's assignment.

    ``options`` are those of :class:`~refkmeans.engine.lloyd.Loop`.  The
    Result's labels are per colour, in first-occurrence order; the assigner
    also keeps them in Morton order (``Assigner.labels``).
    """
    assigner = Assigner(tree, metric, len(centroids))
    return iterate(assigner, centroids, Loop(**options)), assigner
