"""refkmeans' own engines as candidates, through the same public interface as anyone's.

``refkmeans conform --impl refkmeans.conformance.own:plain --tolerance exact``
certifies the plain engine on the whole suite.  Each function here calls the
public :func:`refkmeans.kmeans` and answers with exact rationals (so it can be
held to the ``exact`` class and ``--ties lowest``) plus its trace; the
``*_float`` variants answer with correctly rounded floats instead, as a
float implementation would, and conform under ``float64``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

from ..errors import EmptyClusterError
from ..kmeans import ENGINES, kmeans


def run_engine(
    engine: str,
    pixels: Sequence[Tuple[int, ...]],
    init: Sequence[Tuple[float, ...]],
    max_iter: int,
    metric: str = "euclidean",
    empty: str = "keep",
    exact: bool = True,
) -> Dict[str, Any]:
    """One run of ``kmeans(engine=...)`` as a conformance answer (with its trace)."""
    try:
        result = kmeans(
            pixels, init=init, max_iter=max_iter, metric=metric, empty=empty, engine=engine, trace=True,
            trace_labels=True,
        )
    except EmptyClusterError:
        steps: List[Any] = []
        kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty="keep", engine=engine,
               progress=steps.append)
        first = next(s for s in steps if s.empty)  # the keep run is the same up to the first empty cluster
        return {"error": "empty-cluster", "iteration": first.iteration, "cluster": first.empty[0]}
    number: Callable[[Any], Any] = str if exact else float
    assert result.steps is not None
    return {
        "labels": result.labels,
        "centroids": [[number(v) for v in c] for c in result.centroids],
        "trace": [
            {"centroids": [[number(v) for v in c] for c in s.centroids], "labels": list(s.labels or ())}
            for s in result.steps
        ],
    }


def _make(engine: str, exact: bool) -> Callable[..., Dict[str, Any]]:
    def candidate(
        pixels: Sequence[Tuple[int, ...]],
        init: Sequence[Tuple[float, ...]],
        max_iter: int,
        metric: str = "euclidean",
        empty: str = "keep",
    ) -> Dict[str, Any]:
        return run_engine(engine, pixels, init, max_iter, metric, empty, exact)

    candidate.__name__ = engine + ("" if exact else "_float")
    candidate.__doc__ = f"The {engine!r} engine, answering with {'exact rationals' if exact else 'floats'}."
    candidate.tolerance = "exact" if exact else "float64"  # type: ignore[attr-defined]
    return candidate


#: Every engine ``kmeans()`` offers, exact and float, by name.
CANDIDATES: Dict[str, Callable[..., Dict[str, Any]]] = {}
for _engine in ENGINES:
    CANDIDATES[_engine] = _make(_engine, True)
    CANDIDATES[_engine + "_float"] = _make(_engine, False)

plain = CANDIDATES["plain"]
histogram = CANDIDATES["histogram"]
auto = CANDIDATES["auto"]
plain_float = CANDIDATES["plain_float"]


def __getattr__(name: str) -> Callable[..., Dict[str, Any]]:
    """Engines added later (a fast engine, say) are reachable as ``own:NAME`` too."""
    try:
        return CANDIDATES[name]
    except KeyError:
        raise AttributeError(name) from None
