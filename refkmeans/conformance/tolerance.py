"""Tolerance classes: how far a candidate's arithmetic may stray and still conform.

A candidate declares the arithmetic it computes in: ``exact`` (rationals),
``float64`` or ``float32``.  Each class has a unit roundoff u (0, 2**-53,
2**-24) and gives three bounds, all exact rationals (SPEC.md, KM-TOL-*):

* **assignment** (KM-TOL-2): a label whose exact distance key exceeds the
  minimum by at most ``16 (C + 2) u S`` is a near-tie the candidate may decide
  either way.  S is the largest key the metric can produce (``C M**2`` for
  Euclidean keys, which are squared distances; ``C M`` for manhattan; ``M``
  for chebyshev).  Computing ``sum (x - c)**2`` or ``|x|**2 - 2 x.c + |c|**2``
  in the class's precision errs by a few (C + 2) u S at most; 16 is margin.
* **centroid** (KM-TOL-3): a mean of n pixels may differ from the exact mean
  by ``2 (n + 2) u M`` per coordinate: naive left-to-right summation of n
  samples errs by at most n u (sum), the division and a final conversion add
  2 u, and the factor 2 is margin.
* **start** (KM-TOL-4): the initial centroids may differ from the given ones
  by ``u M`` (a given value rounded to the class's precision).

>>> t = Tolerance("float32", channels=3, maxval=255, metric="euclidean")
>>> t.assignment > 0, Tolerance("exact", 3, 255, "euclidean").assignment
(True, Fraction(0, 1))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Dict, Optional

from ..errors import UsageError

#: The classes, strictest first.
CLASSES = ("exact", "float64", "float32")

UNIT_ROUNDOFF: Dict[str, Fraction] = {
    "exact": Fraction(0),
    "float64": Fraction(1, 2**53),
    "float32": Fraction(1, 2**24),
}


def key_scale(metric: str, channels: int, maxval: int) -> int:
    """S: the largest exact key the metric gives between two colours in 0..maxval."""
    if metric == "manhattan":
        return channels * maxval
    if metric == "chebyshev":
        return maxval
    return channels * maxval * maxval


class Tolerance:
    """The bounds of one tolerance class for one case's shape and metric."""

    def __init__(self, name: str, channels: int, maxval: int, metric: str) -> None:
        if name not in UNIT_ROUNDOFF:
            raise UsageError(f"unknown tolerance class {name!r}; choose from {', '.join(CLASSES)}")
        self.name = name
        self.unit = UNIT_ROUNDOFF[name]
        self.channels = channels
        self.maxval = maxval
        self.metric = metric
        self.scale = key_scale(metric, channels, maxval)
        #: KM-TOL-2: the largest key gap that is still a near-tie.
        self.assignment = 16 * (channels + 2) * self.unit * self.scale
        #: KM-TOL-4: how far the first centroids may be from the given ones.
        self.start = self.unit * maxval

    def centroid(self, count: int) -> Fraction:
        """KM-TOL-3: how far a mean of ``count`` pixels may be from the exact mean."""
        return 2 * (count + 2) * self.unit * self.maxval

    def looser(self) -> Optional[Tolerance]:
        """The next looser class (float64 -> float32), or None for the loosest."""
        index = CLASSES.index(self.name)
        if index + 1 == len(CLASSES):
            return None
        return Tolerance(CLASSES[index + 1], self.channels, self.maxval, self.metric)

    def __repr__(self) -> str:
        return f"Tolerance({self.name!r}, assignment={float(self.assignment):.3g}, start={float(self.start):.3g})"

