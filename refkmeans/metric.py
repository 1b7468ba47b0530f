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

import inspect
import math
import traceback
from numbers import Rational, Real
from types import TracebackType
from typing import Optional, Sequence, Tuple

from .errors import PluginError, RefKMeansError
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


# -- The plugin boundary ----------------------------------------------------------------
#
# A plugin metric may return nonsense or raise (KM-LIM-5).  The engines call
# the helpers below where a metric's output decides something, so that
# nonsense stops the run with an error naming the metric instead of silently
# mislabelling; the built-in metrics pass the same cheap checks.

_INF = math.inf


def nearest(metric: Metric, point: Sequence[object], distances: Sequence[float]) -> Tuple[float, bool]:
    """The smallest of a row of float distances, and whether it is too close to call.

    Each float d is within e = ``error_bound(d)`` of the true distance, so
    the float winner d1 is certain when the runner-up's lowest possible true
    distance exceeds the winner's highest: d2 - e2 > d1 + e1.  Bounds are
    increasing and d - e(d) is non-decreasing, so checking the runner-up d2
    is enough.  Without a bound it is always too close (``key`` decides);
    a float-defined metric (``exact = False``) never is.

    Refuses a row holding anything but finite numbers >= 0, at C speed: a
    negative value sorts first, and one sum is NaN or infinite if any value
    is.  The sort is needed for the runner-up anyway, so the check costs one
    sum; a bound is checked by one comparison.
    """
    try:
        ordered = sorted(distances)
        sane = 0 <= ordered[0] and sum(distances) < _INF
    except TypeError:  # not numbers at all
        sane = False
    if not sane:
        check_row(metric, point, distances)  # raises, unless finite values summed past the float range
        ordered = sorted(distances)
    d1 = ordered[0]
    if len(ordered) == 1 or not metric.exact:
        return d1, False
    d2 = ordered[1]
    e1 = metric.error_bound(d1, len(point))
    e2 = None if e1 is None else metric.error_bound(d2, len(point))
    if e1 is None or e2 is None:
        return d1, True
    try:
        sane = e1 >= 0 and e2 >= 0
    except TypeError:
        sane = False
    if not sane:  # NaN, negative or not a number: one of these raises
        checked_bound(metric, d1, len(point))
        checked_bound(metric, d2, len(point))
    return d1, d2 - e2 <= d1 + e1


def checked_bound(metric: Metric, d: float, channels: int) -> Optional[float]:
    """``metric.error_bound(d, channels)``, refusing a NaN, negative or non-number bound.

    Such a bound would make floats decide near-ties they cannot decide.
    """
    bound = metric.error_bound(d, channels)
    try:
        if bound is None or bound >= 0:
            return bound
    except TypeError:
        pass
    raise bad_bound(metric, bound, d)


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


def blame(metric: Metric, plugin: str, exc: BaseException) -> Optional[MetricError]:
    """The error naming ``metric`` and its ``plugin`` for an exception that stopped a run, or None.

    Engines call a metric millions of times and cannot wrap each call, so
    :func:`refkmeans.kmeans.cluster` asks this once, about the exception that
    stopped the run: a MetricError from the checks above gets the plugin's
    name, and any other exception raised in the metric's own code becomes a
    MetricError.  Anything else is not the metric's doing (None).
    """
    if isinstance(exc, MetricError):
        return exc if exc.plugin else exc.from_plugin(plugin)
    if isinstance(exc, RefKMeansError) or not _raised_by(metric, exc.__traceback__):
        return None
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return MetricError(metric.name, f"raised {type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})", plugin)


def _raised_by(metric: Metric, tb: Optional[TracebackType]) -> bool:
    """True when a frame of the traceback runs code of the metric's class or module."""
    module = type(metric).__module__
    namespaces = [vars(cls) for cls in type(metric).__mro__] + [getattr(metric, "__dict__", {})]
    codes = set()
    for namespace in namespaces:
        for value in namespace.values():
            code = getattr(inspect.unwrap(value), "__code__", None) if callable(value) else None
            if code is not None:
                codes.add(code)
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code in codes or frame.f_globals.get("__name__") == module:
            return True
        tb = tb.tb_next
    return False
