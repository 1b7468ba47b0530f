"""The ``cie76`` and ``ciede2000`` metrics: nearest colour as the eye judges it.

Both read a pixel as 8-bit sRGB (three channels, maxval 255), convert it to
CIELAB (D65) with the constants in :mod:`.lab`, and measure there.

Assignment and update
    These metrics change only the *assignment* step: each pixel goes to the
    centroid at the smallest ΔE (ties to the lowest index).  The update step
    is the engine's, KM-UPD-1: each centroid becomes the exact mean of its
    pixels' sRGB samples.  That mean is not the mean in Lab (the conversion
    is not linear), so neither metric is paired with its own optimal update:
    for cie76 the Lab mean would minimise the cluster's squared ΔE76, and
    for ciede2000 no closed-form minimiser exists at all.  The run is
    therefore a Lloyd-style alternation, not a descent on a ΔE objective:
    it usually settles, but it is not guaranteed to, and ``max_iter`` bounds
    it.  The reported inertia stays the sRGB one (KM-OUT-2).

Float-defined
    ``exact = False``: the answer is defined by binary64 arithmetic (powers,
    cube roots, trigonometry), so the engine decides by the float distance
    and another implementation may differ in the last bits.  ``tolerance``
    is the ΔE gap below which two implementations may legitimately pick
    different nearest centroids; a conformance check compares such labels
    with that slack instead of exactly.  ``key`` is the float distance too.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from refkmeans import hookimpl
from refkmeans.errors import UsageError
from refkmeans.metric import Metric
from refkmeans.rational import Number

from .ciede2000 import ciede2000
from .lab import MAXVAL, srgb_to_lab


class LabMetric(Metric):
    """A colour difference measured in CIELAB; subclasses define ``delta_e``."""

    exact = False
    #: ΔE gap under which float differences between implementations may swap labels.
    tolerance = 1e-9
    #: What the pixels must be: three channels of 8-bit sRGB.
    channels = 3
    maxval = MAXVAL
    #: How centroids move with this metric (the engine's KM-UPD-1).
    update = "exact mean of the sRGB samples (KM-UPD-1), not the mean in Lab"
    #: Whether the triangle inequality holds (it does for a Euclidean distance).
    triangle = True

    def delta_e(self, lab1: Sequence[float], lab2: Sequence[float]) -> float:
        raise NotImplementedError

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        """ΔE between two sRGB colours."""
        if len(a) != 3 or len(b) != 3:
            raise UsageError(f"metric {self.name} needs RGB pixels (3 channels), got {len(a)}")
        return self.delta_e(srgb_to_lab(tuple(a)), srgb_to_lab(tuple(b)))

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> float:
        """The float distance: these metrics have no exact form."""
        return self.distance([float(v) for v in a], [float(v) for v in b])


class CIE76(LabMetric):
    name = "cie76"
    description = "CIE76 ΔE*ab: straight-line distance in CIELAB (D65) of 8-bit sRGB; float-defined"

    def delta_e(self, lab1: Sequence[float], lab2: Sequence[float]) -> float:
        return math.dist(lab1, lab2)


class CIEDE2000(LabMetric):
    name = "ciede2000"
    description = "CIEDE2000 ΔE00 in CIELAB (D65) of 8-bit sRGB, assignment only; float-defined"
    triangle = False  # ΔE00 is not a metric in the strict sense

    def delta_e(self, lab1: Sequence[float], lab2: Sequence[float]) -> float:
        return ciede2000(lab1, lab2)


@hookimpl
def refkmeans_register_metrics(register: Callable[[Metric], None]) -> None:
    """Register cie76 and ciede2000."""
    register(CIE76())
    register(CIEDE2000())
