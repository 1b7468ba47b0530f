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

import math
from numbers import Rational, Real
from typing import Optional, Sequence

from .errors import PluginError
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


class MetricError(PluginError):
    """A metric returned nonsense (or raised) during a run.

    ``detail`` says what it did; :func:`refkmeans.kmeans` adds the name of
    the plugin that registered the metric.
    """

    def __init__(self, metric: str, detail: str, plugin: Optional[str] = None) -> None:
        self.metric = metric
        self.detail = detail
        self.plugin = plugin
        source = f" from {plugin}" if plugin else ""
        super().__init__(f"metric {metric!r}{source} {detail}")

    def from_plugin(self, plugin: str) -> MetricError:
        """The same error, naming the plugin the metric came from."""
        return MetricError(self.metric, self.detail, plugin)


def is_distance(value: object) -> bool:
    """True for what a metric may return: a real number, finite and at least 0.

    >>> [is_distance(v) for v in (0.0, 2, 10**400, float("nan"), -1e-9, float("inf"), True, "1")]
    [True, True, True, False, False, False, False, False]
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    if isinstance(value, Rational):  # ints and Fractions are finite, however large
        return value >= 0  # type: ignore[operator,no-any-return]
    return 0 <= value and math.isfinite(value)  # type: ignore[operator]


def bad_output(metric: Metric, what: str, value: object, point: Sequence[object], centroid: int) -> MetricError:
    """The error for a ``distance`` or ``key`` that is not a finite number >= 0."""
    return MetricError(
        metric.name,
        f"returned {value!r} as the {what} from pixel {tuple(point)!r} to centroid {centroid}; "
        "it must be a finite number >= 0",
    )


def bad_bound(metric: Metric, value: object, d: object) -> MetricError:
    """The error for an ``error_bound`` that is neither None nor a number >= 0."""
    return MetricError(metric.name, f"returned {value!r} as the error bound of distance {d!r}; it must be a number >= 0 or None")


def is_bound(value: object) -> bool:
    """True for what ``error_bound`` may return besides None: a real number >= 0 (infinity allowed).

    >>> [is_bound(v) for v in (0.0, float("inf"), float("nan"), -1.0, "1")]
    [True, True, False, False, False]
    """
    return not isinstance(value, bool) and isinstance(value, Real) and value >= 0  # type: ignore[operator]


def check_row(metric: Metric, point: Sequence[object], distances: Sequence[object]) -> None:
    """Raise a MetricError for the first distance that is not a finite number >= 0."""
    for j, value in enumerate(distances):
        if not is_distance(value):
            raise bad_output(metric, "distance", value, point, j)


def checked_key(metric: Metric, point: Sequence[Number], centroid: Sequence[Number], index: int) -> Number:
    """``metric.key(point, centroid)``, refusing a value that is not a finite number >= 0."""
    value = metric.key(point, centroid)
    if not is_distance(value):
        raise bad_output(metric, "exact key", value, point, index)
    return value
