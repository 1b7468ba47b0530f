"""The elbow: run k-means for a range of k and see where more colours stop paying.

Inertia can only fall as k grows when every run finds its best clustering;
Lloyd's algorithm finds a local optimum, so a curve may wiggle.  The
default initializer here is ``kmeans++``, whose starts are spread out and
give smoother curves than ``random``.

>>> runs = inertia_by_k([(0,), (1,), (10,), (11,), (20,)], [1, 2, 3])
>>> [(k, str(r.inertia_exact)) for k, r in runs]
[(1, '1346/5'), (2, '367/6'), (3, '1')]
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from ..dataset import Dataset
from ..errors import UsageError
from ..kmeans import MAX_K, kmeans
from ..result import Result


def parse_ks(text: str) -> List[int]:
    """k values from ``"2..32"``, ``"2..32:2"`` (a step) or ``"2,4,8,16"``.

    >>> parse_ks("2..6"), parse_ks("2..10:4"), parse_ks("3, 5")
    ([2, 3, 4, 5, 6], [2, 6, 10], [3, 5])
    """
    try:
        if ".." in text:
            span, _, step = text.partition(":")
            low, high = (int(part) for part in span.split(".."))
            ks: Sequence[int] = range(low, high + 1, int(step) if step else 1)
        else:
            ks = [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"-k (--ks) must look like 2..32, 2..32:2 or 2,4,8; got {text!r}") from None
    if len(ks) > MAX_K or (ks and max(ks) > MAX_K):  # a range is refused before it is listed
        raise UsageError(f"-k (--ks) {text!r}: k is at most {MAX_K}")
    if not ks or min(ks) < 1:
        raise UsageError(f"-k (--ks) must name at least one k of 1 or more; got {text!r}")
    return sorted(set(ks))


def inertia_by_k(
    pixels: Any,
    ks: Sequence[int],
    *,
    init: str = "kmeans++",
    progress: Optional[Callable[[int, Result], None]] = None,
    **options: Any,
) -> List[Tuple[int, Result]]:
    """One k-means run per k (``options`` as for :func:`refkmeans.kmeans`), in increasing k.

    A k larger than the number of distinct colours is skipped: the largest
    possible k already brings the inertia to 0.
    """
    dataset = pixels if isinstance(pixels, Dataset) else Dataset(list(pixels))
    runs = []
    for k in sorted(ks):
        if k > len(dataset.colours):
            continue
        result = kmeans(dataset, k=k, init=init, **options)
        runs.append((k, result))
        if progress is not None:
            progress(k, result)
    if not runs:
        raise UsageError(f"every k asked for is above the {len(dataset.colours)} distinct colours")
    return runs
