"""A kd-tree over distinct colours that is only a sorted list and some prefix sums.

The colours are sorted by their Morton code (:mod:`refkmeans.engine.morton`), so
every octree cell is a contiguous run ``a..b`` of that list.  A node is such
a run; nothing else is stored up front:

* **Sums in O(1).**  Prefix sums of the weights and of the weighted channel
  values give any run's count and channel sums with two lookups each (exact
  integers).  The weighted sum of squared norms is needed only in total
  (it is the same however the colours are split into clusters).
* **Boxes in O(1).**  The first and last codes of a run share their high
  bits; the common prefix is the smallest octree cell holding the run, and
  its corners are the prefix with the free bits all 0 or all 1.  Small runs
  (leaves) get their tight bounding box instead.
* **Children by bisection.**  A cell splits at its highest free bit:
  ``bisect`` finds where codes with that bit set begin.

Nodes are built lazily, when the engine first visits them, and cached.

>>> tree = ColourTree.from_colours([(0, 0, 0), (255, 255, 255), (1, 2, 3)], [5, 1, 2])
>>> tree.size, tree.colour(0), tree.colour(1), tree.colour(2)
(3, (0, 0, 0), (1, 2, 3), (255, 255, 255))
>>> tree.count(0, 2), tree.sums(0, 2), tree.square_total
(7, (2, 4, 6), 195103)
>>> tree.node(0, 3)[:3]  # a leaf (split 0) with its tight box
((0, 0, 0), (255, 255, 255), 0)
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from itertools import accumulate, product
from operator import add, mul
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .morton import Codes, MortonCoder

#: Runs of at most this many colours are leaves: their colours are assigned one by one.
LEAF_SIZE = 48

Box = Tuple[int, ...]
#: (low corner, high corner, split, all corners, middle, half diagonal, half widths); split 0 marks a leaf.
Node = Tuple[Box, Box, int, List[Box], List[float], float, List[float]]


def prefix_sums(values: Iterable[int]) -> Sequence[int]:
    """Running totals starting at 0, in a compact ``array`` when they fit in 64 bits."""
    totals = list(accumulate(values, initial=0))
    try:
        return array("q", totals)
    except OverflowError:
        return totals


class ColourTree:
    """Distinct colours with weights, sorted by Morton code, with prefix sums.

    ``codes`` are sorted distinct Morton codes, ``channels`` one array of
    values per channel in the same order, ``weights`` the pixel count of each
    colour, and ``first_codes`` the codes in first-occurrence order (the
    order in which results report colours).
    """

    def __init__(
        self,
        coder: MortonCoder,
        codes: List[int],
        channels: List[array],
        weights: List[int],
        first_codes: Optional[Codes] = None,
    ) -> None:
        self.coder = coder
        self.codes = codes
        self.channels = channels
        self.weights = weights
        self.size = len(codes)
        self.dimensions = len(channels)
        self._first_codes = first_codes if first_codes is not None else codes
        self.cum_weight = prefix_sums(weights)
        self.cum_sum = [prefix_sums(map(mul, weights, values)) for values in channels]
        # Squares by table lookup: the table's ints already exist, no product is allocated.
        squares = [v * v for v in range(1 << (8 * coder.sample_bytes))].__getitem__
        norms = map(squares, channels[0])
        for values in channels[1:]:
            norms = map(add, norms, map(squares, values))
        #: Sum over all colours of weight x squared norm.
        self.square_total = sum(map(mul, weights, norms))
        self._masks = coder.free_bit_masks()
        self.nodes: Dict[int, Node] = {}
        self._order: Optional[List[int]] = None
        self._rank: Optional[Dict[int, int]] = None

    @classmethod
    def from_colours(cls, colours: Sequence[Sequence[int]], weights: Sequence[int]) -> ColourTree:
        """The tree of distinct colour tuples (in first-occurrence order) with their weights."""
        top = max(max(colour) for colour in colours)
        coder = MortonCoder(len(colours[0]), 1 if top < 256 else 2)
        first_codes = coder.encode_colours(colours)
        order = sorted(range(len(colours)), key=first_codes.__getitem__)
        codes = [first_codes[i] for i in order]
        sorted_weights = [weights[i] for i in order]
        return cls(coder, codes, coder.decode(codes), sorted_weights, first_codes)

    @classmethod
    def from_histogram(cls, coder: MortonCoder, histogram: Dict[int, int]) -> ColourTree:
        """The tree of a ``{code: count}`` histogram whose keys are in first-occurrence order."""
        codes = sorted(histogram)
        weights = list(map(histogram.__getitem__, codes))
        return cls(coder, codes, coder.decode(codes), weights, list(histogram))

    def colour(self, i: int) -> Tuple[int, ...]:
        """The i-th colour in Morton order."""
        return tuple(values[i] for values in self.channels)

    def count(self, a: int, b: int) -> int:
        """Total weight of colours a..b-1."""
        return self.cum_weight[b] - self.cum_weight[a]

    def sums(self, a: int, b: int) -> Tuple[int, ...]:
        """Weighted channel sums of colours a..b-1."""
        return tuple(s[b] - s[a] for s in self.cum_sum)

    def node(self, a: int, b: int) -> Node:
        """The node of the run a..b (see :data:`Node`), built on first use."""
        key = a * (self.size + 1) + b
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = self._build(a, b)
        return node

    def is_node(self, a: int, b: int) -> bool:
        """True when the run a..b has been built as a node (else it is part of a leaf)."""
        return a * (self.size + 1) + b in self.nodes

    def _build(self, a: int, b: int) -> Node:
        if b - a <= LEAF_SIZE:
            split = 0
            low = tuple(min(values[a:b]) for values in self.channels)
            high = tuple(max(values[a:b]) for values in self.channels)
        else:
            first = self.codes[a]
            free = (first ^ self.codes[b - 1]).bit_length()
            cell = first >> free << free
            low = self.coder.decode_one(cell)
            high = tuple(v | m for v, m in zip(low, self._masks[free]))
            split = bisect_left(self.codes, cell | 1 << (free - 1), a, b)
        corners = list(product(*zip(low, high)))
        middle = [(lo + hi) * 0.5 for lo, hi in zip(low, high)]
        half = [(hi - lo) * 0.5 for lo, hi in zip(low, high)]
        return low, high, split, corners, middle, math.dist(low, high) * 0.5, half

    def first_occurrence_order(self) -> List[int]:
        """For each colour in first-occurrence order, its position in Morton order."""
        if self._order is None:
            if self._first_codes is self.codes:
                self._order = list(range(self.size))
            else:
                positions = dict(zip(self.codes, range(self.size)))
                self._order = list(map(positions.__getitem__, self._first_codes))
        return self._order

    def first_occurrence_rank(self, i: int) -> int:
        """The first-occurrence index of the i-th colour in Morton order."""
        if self._rank is None:
            self._rank = dict(zip(self._first_codes, range(self.size)))
        return self._rank[self.codes[i]]
