"""The in-memory image: a flat array of integer samples plus its shape.

An :class:`Image` is what every codec reads and writes.  Samples are stored
row by row, pixel by pixel, channel by channel in one ``array`` (typecode
``'B'`` when ``maxval < 256``, else ``'H'``), never as a tuple per pixel.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from itertools import chain
from numbers import Integral
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .errors import ImageError

Pixel = Tuple[int, ...]

#: Channel count -> the PAM tuple type it is written as.
#: The most channels an image may have (KM-LIM-8): the fast engine's boxes
#: have 2**C corners, so C is bounded like every other header field.
MAX_CHANNELS = 8

TUPLTYPES = {1: "GRAYSCALE", 2: "GRAYSCALE_ALPHA", 3: "RGB", 4: "RGB_ALPHA"}


def typecode_for(maxval: int) -> str:
    """The smallest unsigned ``array`` typecode that holds 0..maxval."""
    return "B" if maxval < 256 else "H"


class InvalidImage(ImageError):
    """Fields that make no image (a bug in whoever built it, not a malformed file)."""


def check_shape(width: Any, height: Any, channels: Any, maxval: Any, tupltype: Any = None) -> None:
    """Refuse image fields of the wrong type or out of range (an InvalidImage naming the field).

    Integers only (NumPy's included): ``True`` is not a channel count, nor 1.5 a maxval.
    """
    for name, value in (("width", width), ("height", height), ("channels", channels), ("maxval", maxval)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise InvalidImage(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if not (1 <= maxval <= 65535):
        raise InvalidImage(f"maxval must be 1..65535, got {maxval}")
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidImage(f"channels must be 1..{MAX_CHANNELS}, got {channels}")
    if width < 0 or height < 0:
        raise InvalidImage(f"size must not be negative, got {width}x{height}")
    if tupltype is not None and not isinstance(tupltype, str):
        raise InvalidImage(f"tupltype must be a string or None, got {type(tupltype).__name__}")


def check_samples(width: int, height: int, channels: int, maxval: int, samples: object) -> None:
    """Refuse samples that are not an array of the maxval's typecode, of the right length, within 0..maxval."""
    if not isinstance(samples, array) or samples.typecode != typecode_for(maxval):
        raise InvalidImage(f"samples must be an array('{typecode_for(maxval)}') for maxval {maxval}")
    if len(samples) != width * height * channels:
        raise InvalidImage(
            f"{width}x{height}x{channels} needs {width * height * channels} "
            f"samples, got {len(samples)}"
        )
    # An array of typecode B or H cannot exceed 255 or 65535: check only tighter maxvals.
    if samples and maxval not in (255, 65535) and max(samples) > maxval:
        raise InvalidImage(f"sample {max(samples)} is above maxval {maxval}")


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
        check_shape(width, height, channels, maxval, tupltype)
        width, height, channels, maxval = int(width), int(height), int(channels), int(maxval)
        if not isinstance(samples, array) or samples.typecode != typecode_for(maxval):
            try:
                samples = array(typecode_for(maxval), samples)
            except OverflowError:
                raise InvalidImage(f"a sample is outside 0..{maxval}") from None
        check_samples(width, height, channels, maxval, samples)
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

    def pixel_view(self) -> PixelView:
        """The pixels as a lazy sequence of tuples (no list of tuples is built)."""
        return PixelView(self.samples, self.channels)

    def colour_codes(self) -> Sequence[int]:
        """One integer per pixel that identifies its colour (a Morton code), built at C speed."""
        from .engine.morton import coder_for, little_endian

        return coder_for(self.channels, self.maxval).encode(little_endian(self.samples))

    def colour_count(self) -> int:
        """How many distinct colours the image holds."""
        return len(set(self.colour_codes()))

    def iter_pixels(self) -> Iterator[Pixel]:
        """Pixels as tuples without building a list."""
        c = self.channels
        s = self.samples
        return zip(*(s[i::c] for i in range(c)))

    @classmethod
    def from_palette(
        cls,
        width: int,
        height: int,
        palette: Sequence[Pixel],
        indices: Sequence[int],
        maxval: int = 255,
        tupltype: Optional[str] = None,
    ) -> Image:
        """The image whose pixel i is ``palette[indices[i]]`` (expanded at C speed)."""
        channels = len(palette[0])
        return cls(width, height, channels, maxval, expand_palette(palette, indices, channels, maxval), tupltype)

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


class PixelView(Sequence[Pixel]):
    """Pixels of a flat sample array as tuples, computed on access.

    >>> view = PixelView(array("B", [1, 2, 3, 4, 5, 6]), 3)
    >>> len(view), view[1], view[-2], view[:1], list(view)
    (2, (4, 5, 6), (1, 2, 3), [(1, 2, 3)], [(1, 2, 3), (4, 5, 6)])
    """

    __slots__ = ("samples", "channels", "_length")

    def __init__(self, samples: Sequence[int], channels: int) -> None:
        self.samples = samples
        self.channels = channels
        self._length = len(samples) // channels

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        c = self.channels
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            part = self.samples[start * c : max(start, stop) * c]
            return list(zip(*(part[i::c] for i in range(c))))
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("pixel index out of range")
        return tuple(self.samples[index * c : index * c + c])

    def __iter__(self) -> Iterator[Pixel]:
        c = self.channels
        return zip(*(self.samples[i::c] for i in range(c)))


def expand_palette(palette: Sequence[Pixel], indices: Sequence[int], channels: int, maxval: int) -> array:
    """Samples of the pixels ``palette[i] for i in indices``, in one flat array.

    With at most 256 colours each channel is one ``bytes.translate`` of the
    indices, and the channels are interleaved by slice assignment.

    >>> expand_palette([(9, 8), (1, 2)], array("B", [1, 0, 1]), 2, 255)
    array('B', [1, 2, 9, 8, 1, 2])
    """
    typecode = typecode_for(maxval)
    if len(palette) > 256:
        return array(typecode, chain.from_iterable(map(palette.__getitem__, indices)))
    index_bytes = indices.tobytes() if isinstance(indices, array) and indices.itemsize == 1 else bytes(indices)
    width = 1 if typecode == "B" else 2
    stride = channels * width
    out = bytearray(len(index_bytes) * stride)
    padded = list(palette) + [palette[0]] * (256 - len(palette))
    for c in range(channels):
        for j in range(width):
            table = bytes((colour[c] >> (8 * j)) & 255 for colour in padded)
            out[c * width + j :: stride] = index_bytes.translate(table)
    samples = array(typecode)
    samples.frombytes(out)
    if width == 2 and sys.byteorder == "big":
        samples.byteswap()
    return samples


def histogram(pixels: Sequence[Pixel]) -> Dict[Pixel, int]:
    """Count each distinct colour; keys come in order of first occurrence.

    >>> histogram([(1,), (2,), (1,)])
    {(1,): 2, (2,): 1}
    """
    # Counter's counting loop runs in C; dicts keep first-occurrence order.
    return dict(Counter(pixels))
