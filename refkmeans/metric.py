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

Declared geometry
    A metric may say which distance it is: ``geometry`` names one of
    :data:`FLOAT_DISTANCES`.  Its ``error_bound`` then comes from the
    geometry's error terms (below), and the fast engine, the certifier,
    dithering and ``explain`` treat it as that distance: they compute floats
    with the geometry's own function and trust its exact ``key`` for the
    rest.  They read only this declaration, never a metric's class, module
    or name, so a plugin metric that is Euclidean in all but name runs where
    the built-in one does.  A metric that declares nothing is decided by its
    own ``distance``, ``error_bound`` and ``key``.

Error terms (u = 2**-53, the unit roundoff; C = channels)
    ``error_terms(geometry, C)`` gives (A, B) with
    ``|FLOAT_DISTANCES[geometry](x, c') - d(x, c)| <= A + B d`` for a pixel
    x of integers and a centroid c, rational in 0..65535, that reaches the
    float code as c' = fl(c); so ``|c_i - c'_i| <= 65535 u = delta ~ 7.3e-12``
    per channel.  Each difference x_i - c'_i rounds with relative error u.

    * euclidean (``math.dist``): ||x - c'|| differs from ||x - c|| by at most
      ||c - c'|| <= sqrt(C) delta (triangle inequality); rounding the
      differences and CPython's correctly rounded norm add a few ulps
      (< 16 u d, generous).  A = 2e-11 C, B = 32 u.
    * squared-euclidean: sum (x_i - c'_i)^2 differs from the exact sum by at
      most C delta (2 * 65535 + delta) < 1e-6 C; the differences, squares
      and C - 1 additions add (C + 3) u d.  A = 2e-6 C, B = 2 (C + 3) u.
    * manhattan: C delta from the centroid, (C + 1) u d from the arithmetic.
      A = 2e-11 C, B = 2 (C + 1) u.
    * chebyshev: delta from the centroid, u d from the arithmetic (a max
      does not round).  A = 2e-11, B = 2 u.

    Each term is at least twice what it covers.  CPython before 3.12 sums
    floats left to right, 3.12 onwards with compensation; both stay within
    the first-order bound (n - 1) u of a sum of n non-negative terms, which
    the doubling absorbs.
"""

from __future__ import annotations

import inspect
import math
import traceback
from functools import cache
from numbers import Rational, Real
from operator import sub
from types import TracebackType
from typing import Callable, Dict, Optional, Sequence, Tuple

from .errors import PluginError, RefKMeansError
from .rational import Number

_U = 2.0**-53

FloatDistance = Callable[[Sequence[float], Sequence[float]], float]


def squared_euclidean(a: Sequence[float], b: Sequence[float]) -> float:
    """Sum of squared channel differences, left to right."""
    return sum((x - y) * (x - y) for x, y in zip(a, b))


def manhattan(a: Sequence[float], b: Sequence[float]) -> float:
    """Sum of absolute channel differences, left to right."""
    return sum(map(abs, map(sub, a, b)))


def chebyshev(a: Sequence[float], b: Sequence[float]) -> float:
    """Largest absolute channel difference."""
    return max(map(abs, map(sub, a, b)))


#: The geometries a metric may declare, each with the float distance its error terms bound.
FLOAT_DISTANCES: Dict[str, FloatDistance] = {
    "euclidean": math.dist,
    "squared-euclidean": squared_euclidean,
    "manhattan": manhattan,
    "chebyshev": chebyshev,
}

#: Geometries whose exact order is that of the sum of squared differences (KM-ASN-3).
SQUARED_ORDER = frozenset(("euclidean", "squared-euclidean"))


@cache
def error_terms(geometry: str, channels: int) -> Tuple[float, float]:
    """(A, B): ``FLOAT_DISTANCES[geometry]`` is within A + B d of the true distance (module notes).

    >>> error_terms("chebyshev", 3) == (2e-11, 2 * 2.0**-53)
    True
    """
    if geometry == "euclidean":
        return 2e-11 * channels, 32 * _U
    if geometry == "squared-euclidean":
        return 2e-6 * channels, 2 * (channels + 3) * _U
    if geometry == "manhattan":
        return 2e-11 * channels, 2 * (channels + 1) * _U
    if geometry == "chebyshev":
        return 2e-11, 2 * _U
    raise KeyError(geometry)


def declared_geometry(metric: object) -> Optional[str]:
    """The geometry ``metric`` declares, when engines may rely on it (a known name, an exact metric); else None."""
    geometry = getattr(metric, "geometry", None)
    if geometry not in FLOAT_DISTANCES or not getattr(metric, "exact", True):
        return None
    return geometry  # type: ignore[no-any-return]


def compared_geometry(metric: object) -> Optional[str]:
    """The geometry whose floats an engine compares for ``metric``, or None when it declares none.

    Squared Euclidean distances are compared through their square roots: the
    same order, smaller numbers and a bound (``math.dist``'s) that does not
    grow with C.
    """
    geometry = declared_geometry(metric)
    return "euclidean" if geometry in SQUARED_ORDER else geometry


def declaration_problem(metric: object, channels: Optional[Sequence[int]] = None) -> Optional[str]:
    """What is wrong with ``metric``'s declared geometry and error terms, in words; None when nothing.

    The error terms are tried for ``channels`` (default: the metric's own
    ``channels`` when it has one, else 1, 3 and 4).

    >>> class Odd(Metric):
    ...     geometry = "hyperbolic"
    >>> declaration_problem(Odd())
    "declares geometry 'hyperbolic'; known: euclidean, squared-euclidean, manhattan, chebyshev"
    """
    geometry = getattr(metric, "geometry", None)
    if geometry is not None:
        if geometry not in FLOAT_DISTANCES:
            return f"declares geometry {geometry!r}; known: {', '.join(FLOAT_DISTANCES)}"
        if not getattr(metric, "exact", True):
            return f"declares geometry {geometry!r} but exact = False; a declared geometry is exact"
    method = getattr(metric, "error_terms", None)
    if method is None:
        return None
    if channels is None:
        own = getattr(metric, "channels", None)
        channels = (own,) if isinstance(own, int) and not isinstance(own, bool) else (1, 3, 4)
    for c in channels:
        try:
            terms = method(c)
        except Exception as exc:
            return f"raised {type(exc).__name__} in error_terms({c}): {exc}"
        if terms is None:
            continue
        if not (isinstance(terms, tuple) and len(terms) == 2 and all(map(is_distance, terms))):
            return f"returned {terms!r} as its error terms for {c} channels; they must be None or (A, B), finite numbers >= 0"
    return None


class Metric:
    """Base class for metrics; subclasses override ``distance`` and ``key``, and may declare ``geometry``."""

    name = ""
    description = ""
    #: True when the metric is defined in exact arithmetic (``key`` decides).
    exact = True
    #: Which distance this is, when it is one of :data:`FLOAT_DISTANCES` (module notes).
    geometry: Optional[str] = None

    def distance(self, a: Sequence[float], b: Sequence[float]) -> float:
        """The distance as a float."""
        raise NotImplementedError

    def key(self, a: Sequence[Number], b: Sequence[Number]) -> Number:
        """An exact value that is monotone in the true distance."""
        raise NotImplementedError

    def error_terms(self, channels: int) -> Optional[Tuple[float, float]]:
        """(A, B) with |distance - true distance| <= A + B d; by default the declared geometry's, else None.

        A metric that declares a geometry but computes ``distance`` its own way
        overrides this with terms that bound its own arithmetic.
        """
        return None if self.geometry is None else error_terms(self.geometry, channels)

    def error_bound(self, d: float, channels: int) -> Optional[float]:
        """Largest possible |distance - true distance| for a float result ``d``: A + B d."""
        terms = self.error_terms(channels)
        return None if terms is None else terms[0] + terms[1] * d

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
    if isinstance(exc, (RefKMeansError, MemoryError)) or not _raised_by(metric, exc.__traceback__):
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
