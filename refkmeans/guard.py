"""Blame the plugin: turn a metric's failure during a run into a PluginError naming it.

Engines call a metric millions of times, so they cannot afford a wrapper
around each call.  Instead :func:`names_the_metric_plugin` wraps a whole run
(``kmeans.cluster``, under both ``kmeans`` and ``quantize``): a :class:`~refkmeans.metric.MetricError` raised by an engine's
cheap checks gets the plugin's name added, and any other exception whose
traceback passes through the metric's own code becomes a PluginError naming
the metric and its plugin.  Anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import functools
import inspect
import traceback
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar

from .errors import RefKMeansError
from .metric import MetricError

F = TypeVar("F", bound=Callable[..., Any])


def names_the_metric_plugin(run: F) -> F:
    """Decorate a function with ``metric`` and ``registry`` parameters (``kmeans``)."""
    signature = inspect.signature(run)

    @functools.wraps(run)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except MetricError as exc:
            metric = _metric_of(signature, args, kwargs)
            if exc.plugin is None and metric is not None:
                raise exc.from_plugin(metric[1]) from None
            raise
        except RefKMeansError:
            raise
        except Exception as exc:
            metric = _metric_of(signature, args, kwargs)
            if metric is not None and _raised_by(exc.__traceback__, metric[0]):
                name, plugin = metric[0].name, metric[1]
                last = traceback.extract_tb(exc.__traceback__)[-1]
                raise MetricError(
                    name, f"raised {type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})", plugin
                ) from None
            raise

    return guarded  # type: ignore[return-value]


def _metric_of(signature: inspect.Signature, args: Any, kwargs: Any) -> Optional[tuple]:
    """(metric object, plugin name) that a call asked for, or None."""
    from .plugins import get_registry

    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    registry = bound.arguments.get("registry") or get_registry()
    entry = registry.metrics.get(str(bound.arguments.get("metric")))
    return None if entry is None else (entry.obj, entry.plugin)


def _raised_by(tb: Optional[TracebackType], metric: object) -> bool:
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
