"""The pixels being clustered, with their colour histogram.

Identical pixels always share a label, so engines and initializers may work
on the distinct colours (in order of first occurrence) weighted by counts.
"""

from __future__ import annotations

from typing import List, Sequence

from .errors import UsageError
from .image import Pixel, histogram
from .rational import MAX_SAMPLE


class Dataset:
    """Pixels in raster order plus their distinct ``colours`` and ``counts``.

    >>> d = Dataset([(0, 0, 0), (9, 9, 9), (0, 0, 0)])
    >>> d.colours, d.counts, d.pixel_count
    ([(0, 0, 0), (9, 9, 9)], [2, 1], 3)
    """

    def __init__(self, pixels: Sequence[Pixel]) -> None:
        if not isinstance(pixels, list):
            pixels = list(pixels)
        if not pixels:
            raise UsageError("there are no pixels to cluster")
        try:
            hist = histogram(pixels)
        except TypeError:
            raise UsageError("pixels must be tuples of integers") from None
        colours = list(hist)
        channels = len(colours[0]) if isinstance(colours[0], tuple) else 0
        if channels < 1:
            raise UsageError(f"pixel {colours[0]!r} is not a tuple of at least one integer")
        for colour in colours:
            _check_colour(colour, channels)
        self.pixels: List[Pixel] = pixels
        self.colours: List[Pixel] = colours
        self.counts: List[int] = list(hist.values())
        self.channels = channels

    @property
    def pixel_count(self) -> int:
        """How many pixels (not colours) there are."""
        return len(self.pixels)

    def __repr__(self) -> str:
        return f"Dataset({self.pixel_count} pixels, {len(self.colours)} colours)"


def _check_colour(colour: Pixel, channels: int) -> None:
    if not isinstance(colour, tuple) or len(colour) != channels:
        raise UsageError(f"pixel {colour!r} is not a tuple of {channels} integers")
    for v in colour:
        if isinstance(v, bool) or not isinstance(v, int) or not (0 <= v <= MAX_SAMPLE):
            raise UsageError(f"pixel {colour!r} has a sample outside the integers 0..{MAX_SAMPLE}")
