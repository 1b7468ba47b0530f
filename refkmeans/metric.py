"""What a distance metric provides, and how the engines use it exactly.

A metric gives two views of one distance:

* ``distance(a, b)``: a float, computed the way the notebook computes
  ``norm(pixel - centroid)``; fast, and what people print.
* ``key(a, b)``: an exact value (int or Fraction) that orders pixels the way the
  true distance does (for Euclidean, the squared distance).

``error_bound(d, channels)`` says how far ``distance`` may be from the true
distance when ``a`` holds integers and ``b`` is the nearest float to a
rational in 0..65535.  Engines trust the float comparison only when the
intervals ``[d - e, d + e]`` separate the winner from every rival, and settle
all other cases with ``key``.  A metric that returns ``None`` there is
decided by ``key`` every time.  A metric with ``exact = False`` (a
float-defined perceptual metric, say) is decided by its float ``distance``.
"""

from __future__ import annotations

from typing import Optional, Sequence

from .rational import Number


class Metric:
    """Base class for metrics; subclasses override ``distance`` and ``key``."""

    name = ""
    description = ""
    #: True when the metric is defined in exact arithmetic (``key`` decides).
    exact = True

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        """The distance as a float."""
        raise NotImplementedError

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        """An exact value that is monotone in the true distance."""
        raise NotImplementedError

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        """Largest possible |distance - true distance| for a float result ``d``."""
        return None

    def __repr__(self) -> str:
        return f"<metric {self.name}>"
