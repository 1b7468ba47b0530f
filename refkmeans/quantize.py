"""``quantize()``: cluster an image's colours and repaint it with the palette."""

from __future__ import annotations

from array import array
from fractions import Fraction
from itertools import chain
from typing import Any, List, Tuple

from .dataset import Dataset
from .image import Image, typecode_for
from .kmeans import kmeans
from .result import Result


class Quantized:
    """A quantized image: the repainted ``image``, its ``palette`` and ``indices``."""

    def __init__(
        self, image: Image, palette: List[Tuple[int, ...]], indices: array, result: Result, original: Image
    ) -> None:
        self.image = image
        self.palette = palette
        self.indices = indices
        self.result = result
        self.original = original

    def __repr__(self) -> str:
        return f"Quantized({self.image!r}, {len(self.palette)} colours, {self.result!r})"

    def _repr_html_(self) -> str:
        """Jupyter: before and after side by side, with the palette."""
        from .teach.jupyter import quantized_html

        return quantized_html(self)

    def squared_error(self) -> int:
        """Exact sum of squared sample differences between original and output."""
        return sum((a - b) * (a - b) for a, b in zip(self.original.samples, self.image.samples))

    def psnr(self) -> float:
        """Peak signal-to-noise ratio in dB over all samples (inf when identical)."""
        return psnr(self.original, self.image)


def psnr(original: Image, other: Image) -> float:
    """10 log10(maxval^2 / MSE), with the MSE exact over every sample."""
    import math

    n = len(original.samples)
    error = sum((a - b) * (a - b) for a, b in zip(original.samples, other.samples))
    if error == 0 or n == 0:
        return math.inf
    mse = Fraction(error, n)
    return 10 * math.log10(Fraction(original.maxval**2) / mse)


def quantize(image: Image, k: int = 16, **options: Any) -> Quantized:
    """Quantize ``image`` to ``k`` colours; ``options`` are those of :func:`kmeans`."""
    pixels = image.pixels()
    dataset = Dataset(pixels)
    result = kmeans(dataset, k=None if not isinstance(options.get("init", "random"), str) else k, **options)
    palette = result.palette(image.maxval)
    indices = array(index_typecode(len(palette)), result.labels)
    flat = array(typecode_for(image.maxval), chain.from_iterable(map(palette.__getitem__, indices)))
    out = Image(image.width, image.height, image.channels, image.maxval, flat, image.tupltype)
    return Quantized(out, palette, indices, result, image)


def index_typecode(colours: int) -> str:
    """The smallest ``array`` typecode for indices below ``colours``."""
    return "B" if colours <= 256 else ("H" if colours <= 65536 else "L")
