"""``quantize()``: cluster an image's colours and repaint it with the palette.

The whole path stays compact: pixels are Morton codes in an ``array``
(:meth:`Dataset.from_image`), labels go from colours to pixels through one
dict lookup per pixel, and the palette is expanded with ``bytes.translate``.
"""

from __future__ import annotations

import math
import os
from array import array
from dataclasses import replace
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple, Union

from .builtin import restarts
from .dataset import Dataset
from .errors import UsageError
from .image import Image
from .kmeans import Options, cluster
from .result import Result

#: The initializer ``quantize()`` uses when none is given (KM-INIT-5): the best
#: of several k-means++ runs on a coarse histogram; see README, "What the
#: default does and why".  ``kmeans()`` keeps the notebook's ``random``.
DEFAULT_INIT = "restarts"

#: How ``quantize()`` stops when no ``tol`` is given (KM-STOP-4): once the exact
#: inertia falls by less than this fraction of itself in an iteration.  At that
#: point the picture changes by hundredths of a decibel, while a bit-exact fixed
#: point can take hundreds of iterations more at k=256.  ``kmeans()`` and the
#: conformance kit keep ``tol=None`` (run to the fixed point).
DEFAULT_TOL = Fraction(1, 100000)

#: Named option sets for ``quantize()`` and ``refkmeans quantize --profile``.
#: ``notebook`` replays the seed notebook exactly: k random pixels drawn by
#: NumPy's legacy generator with seed 0, then 11 iterations.
PROFILES: Dict[str, Dict[str, Any]] = {
    "default": {"init": DEFAULT_INIT, "max_iter": 300, "rng": "portable", "seed": 0},
    "notebook": {"init": "random", "max_iter": 11, "rng": "numpy-legacy", "seed": 0},
}


class Quantized:
    """A quantized image: the repainted ``image``, its ``palette`` and ``indices``.

    ``result`` is the k-means Result; its ``labels`` are ``indices`` (one per
    pixel, in a compact ``array``).
    """

    def __init__(
        self,
        image: Image,
        palette: List[Tuple[int, ...]],
        indices: array,
        result: Result,
        original: Image,
        squared_error: Optional[int] = None,
    ) -> None:
        self.image = image
        self.palette = palette
        self.indices = indices
        self.result = result
        self.original = original
        self._squared_error = squared_error

    def __repr__(self) -> str:
        return f"Quantized({self.image!r}, {len(self.palette)} colours, {self.result!r})"

    def _repr_html_(self) -> str:
        """Jupyter: before and after side by side, with the palette."""
        from .teach.jupyter import quantized_html

        return quantized_html(self)

    def squared_error(self) -> int:
        """Exact sum of squared sample differences between original and output."""
        if self._squared_error is None:
            self._squared_error = sum((a - b) * (a - b) for a, b in zip(self.original.samples, self.image.samples))
        return self._squared_error

    def psnr(self) -> float:
        """Peak signal-to-noise ratio in dB over all samples (inf when identical)."""
        return psnr_from_error(self.squared_error(), len(self.original.samples), self.original.maxval)


def psnr(original: Image, other: Image) -> float:
    """10 log10(maxval^2 / MSE), with the MSE exact over every sample."""
    error = sum((a - b) * (a - b) for a, b in zip(original.samples, other.samples))
    return psnr_from_error(error, len(original.samples), original.maxval)


def psnr_from_error(error: int, samples: int, maxval: int) -> float:
    """PSNR from an exact squared error over ``samples`` samples (infinite for no error)."""
    if error == 0 or samples == 0:
        return math.inf
    return 10 * math.log10(Fraction(maxval**2) / Fraction(error, samples))


def quantize(image: Union[Image, str, os.PathLike[str]], k: int = 16, **options: Any) -> Quantized:
    """Quantize ``image`` (an :class:`Image` or a file name) to ``k`` colours; ``options`` are those of :func:`kmeans`.

    Without ``init`` the start is :data:`DEFAULT_INIT` (``"restarts"``), not
    ``kmeans()``'s ``"random"``, and with it, without ``tol``, the run stops
    by :data:`DEFAULT_TOL` (KM-STOP-4) rather than at a bit-exact fixed point
    (:func:`with_defaults`); ``**PROFILES["notebook"]`` gives the notebook's run.
    """
    image = _as_image(image, options.get("registry"))
    with_defaults(options)
    progress = options.get("progress")
    phase = getattr(progress, "phase", None)
    if phase is not None:
        phase("counting colours")
    dataset = Dataset.from_image(image)
    if phase is not None:
        phase(f"clustering {dataset.colour_count} colours")
    given_k = None if not isinstance(options["init"], str) else k
    token = restarts.REPORT.set(phase)  # the restarts announce each run they start
    try:
        clustering = cluster(dataset, Options(k=given_k, **options))
    finally:
        restarts.REPORT.reset(token)
    result = clustering.result
    palette = result.palette(image.maxval)
    if phase is not None:
        phase("repainting")
    indices = clustering.pixel_indices(index_typecode(len(palette)))
    out = Image.from_palette(image.width, image.height, palette, indices, image.maxval, image.tupltype)
    # Exact, from the clusters' sums: sum over pixels of |pixel - palette[label]|^2.
    error = int(clustering.assigner.sums.inertia(palette))
    steps = result.steps
    if options.get("trace_labels") and clustering.engine != "plain":
        steps = clustering.per_pixel().steps  # step labels per pixel, as kmeans() gives them
    # The Result keeps the compact indices as its labels: no list of ints per pixel.
    result = replace(result, labels=indices, steps=steps)
    return Quantized(out, palette, indices, result, image, error)


def with_defaults(options: Dict[str, Any]) -> Dict[str, Any]:
    """Fill in quantize's defaults (KM-INIT-6): init ``restarts`` and, with it, ``tol`` = :data:`DEFAULT_TOL`.

    The tolerance comes with the default start only, so a run with another
    ``init`` (the notebook profile, ``--init random``) still runs to its
    fixed point or ``max_iter`` as ``kmeans()`` does.  ``tol=None`` asks for
    the fixed point explicitly.
    """
    options.setdefault("init", DEFAULT_INIT)
    if isinstance(options["init"], str) and options["init"] == DEFAULT_INIT:
        options.setdefault("tol", DEFAULT_TOL)
    return options


def _as_image(image: Any, registry: Any) -> Image:
    """An Image as it is, a file name read through the codecs; anything else is refused with the way to convert it."""
    if isinstance(image, Image):
        return image
    if isinstance(image, (str, os.PathLike)):
        from .files import read

        return read(image, registry=registry)  # type: ignore[arg-type]
    raise UsageError(
        f"quantize() takes a refkmeans Image or a file name, not {repr(image)[:80]}; "
        "README, Python API, shows how to convert a Pillow image or a numpy array"
    )


def index_typecode(colours: int) -> str:
    """The smallest ``array`` typecode for indices below ``colours``."""
    return "B" if colours <= 256 else ("H" if colours <= 65536 else "L")
