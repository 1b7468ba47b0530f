"""The in-memory image: a flat array of integer samples plus its shape.

An :class:`Image` is what every codec reads and writes.  Samples are stored
row by row, pixel by pixel, channel by channel in one ``array`` (typecode
``'B'`` when ``maxval < 256``, else ``'H'``), never as a tuple per pixel.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from .errors import ImageError

Pixel = Tuple[int, ...]

#: Channel count -> the PAM tuple type it is written as.
TUPLTYPES = {1: "GRAYSCALE", 2: "GRAYSCALE_ALPHA", 3: "RGB", 4: "RGB_ALPHA"}


def typecode_for(maxval: int) -> str:
    """The smallest unsigned ``array`` typecode that holds 0..maxval."""
    return "B" if maxval < 256 else "H"


class Image:
    """H x W pixels of C integer channels, each sample in 0..maxval.

    >>> im = Image(2, 1, 3, 255, [255, 0, 0, 0, 0, 255])
    >>> im.pixels()
    [(255, 0, 0), (0, 0, 255)]
    """

    __slots__ = ("width", "height", "channels", "maxval", "samples", "tupltype")

    def __init__(
        self,
        width: int,
        height: int,
        channels: int,
        maxval: int,
        samples: Sequence[int],
        tupltype: Optional[str] = None,
    ) -> None:
        if not (1 <= maxval <= 65535):
            raise ImageError(f"maxval must be 1..65535, got {maxval}")
        if channels < 1:
            raise ImageError(f"channels must be at least 1, got {channels}")
        if width < 0 or height < 0:
            raise ImageError(f"size must not be negative, got {width}x{height}")
        if not isinstance(samples, array) or samples.typecode != typecode_for(maxval):
            try:
                samples = array(typecode_for(maxval), samples)
            except OverflowError:
                raise ImageError(f"a sample is outside 0..{maxval}") from None
        if len(samples) != width * height * channels:
            raise ImageError(
                f"{width}x{height}x{channels} needs {width * height * channels} "
                f"samples, got {len(samples)}"
            )
        if samples and max(samples) > maxval:
            raise ImageError(f"sample {max(samples)} is above maxval {maxval}")
        self.width = width
        self.height = height
        self.channels = channels
        self.maxval = maxval
        self.samples = samples
        self.tupltype = tupltype or TUPLTYPES.get(channels)

    def __repr__(self) -> str:
        return (
            f"Image({self.width}x{self.height}, channels={self.channels}, "
            f"maxval={self.maxval})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Image):
            return NotImplemented
        return (
            self.width == other.width
            and self.height == other.height
            and self.channels == other.channels
            and self.maxval == other.maxval
            and self.samples == other.samples
        )

    def _repr_png_(self) -> Optional[bytes]:
        """Jupyter: the image as PNG (see :mod:`refkmeans.teach.jupyter`)."""
        from .teach.jupyter import image_png

        return image_png(self)

    @property
    def pixel_count(self) -> int:
        """Number of pixels, width x height."""
        return self.width * self.height

    def pixels(self) -> List[Pixel]:
        """All pixels as tuples, in raster order (one C-level ``zip``)."""
        c = self.channels
        s = self.samples
        return list(zip(*(s[i::c] for i in range(c))))

    def iter_pixels(self) -> Iterator[Pixel]:
        """Pixels as tuples without building a list."""
        c = self.channels
        s = self.samples
        return zip(*(s[i::c] for i in range(c)))

    @classmethod
    def from_pixels(
        cls,
        width: int,
        height: int,
        pixels: Sequence[Pixel],
        maxval: int = 255,
        channels: Optional[int] = None,
    ) -> Image:
        """Build an image from a sequence of pixel tuples in raster order."""
        if channels is None:
            if not pixels:
                raise ImageError("cannot infer channels from no pixels")
            channels = len(pixels[0])
        flat = array(typecode_for(maxval))
        for p in pixels:
            if len(p) != channels:
                raise ImageError(f"pixel {p!r} does not have {channels} channels")
            flat.extend(p)
        return cls(width, height, channels, maxval, flat)


def histogram(pixels: Sequence[Pixel]) -> Dict[Pixel, int]:
    """Count each distinct colour; keys come in order of first occurrence.

    >>> histogram([(1,), (2,), (1,)])
    {(1,): 2, (2,): 1}
    """
    # Counter's counting loop runs in C; dicts keep first-occurrence order.
    return dict(Counter(pixels))
