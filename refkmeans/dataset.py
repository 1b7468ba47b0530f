"""The pixels being clustered, with their colour histogram.

Identical pixels always share a label, so engines and initializers may work
on the distinct colours (in order of first occurrence) weighted by counts.

A Dataset is built either from pixel tuples (``Dataset(pixels)``) or,
compactly, from an :class:`~refkmeans.image.Image` (``Dataset.from_image``):
then each pixel is one Morton code in an ``array``, the histogram is a
``Counter`` over the codes, and ``pixels`` and ``colours`` are computed only
when someone asks for them.
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import compress
from operator import ne
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

from .engine.kdtree import ColourTree
from .engine.morton import MortonCoder, coder_for, little_endian
from .errors import UsageError
from .image import Image, Pixel, histogram
from .rational import MAX_SAMPLE


class Dataset:
    """Pixels in raster order plus their distinct ``colours`` and ``counts``.

    >>> d = Dataset([(0, 0, 0), (9, 9, 9), (0, 0, 0)])
    >>> d.colours, d.counts, d.pixel_count
    ([(0, 0, 0), (9, 9, 9)], [2, 1], 3)
    >>> c = Dataset.from_image(Image(3, 1, 3, 255, [0, 0, 0, 9, 9, 9, 0, 0, 0]))
    >>> c.colours, c.counts, c.pixels[1], c.pixel_count
    ([(0, 0, 0), (9, 9, 9)], [2, 1], (9, 9, 9), 3)
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
        self._pixels: Sequence[Pixel] = pixels
        self._colours: Optional[List[Pixel]] = colours
        self._counts: Optional[List[int]] = list(hist.values())
        self.channels = channels
        self._coder: Optional[MortonCoder] = None
        self._codes: Optional[Sequence[int]] = None
        self._histogram: Optional[Dict[int, int]] = None
        self._tree: Optional[ColourTree] = None

    @classmethod
    def from_image(cls, image: Image) -> Dataset:
        """The pixels of an image, stored as one Morton code each and counted at C speed."""
        if image.pixel_count == 0:
            raise UsageError("there are no pixels to cluster")
        self = cls.__new__(cls)
        self.channels = image.channels
        self._pixels = image.pixel_view()
        self._coder = coder_for(image.channels, image.maxval)
        self._codes = self._coder.encode(little_endian(image.samples))
        self._histogram = Counter(self._codes)
        self._colours = None
        self._counts = None
        self._tree = None
        return self

    @classmethod
    def from_histogram(cls, channels: int, maxval: int, histogram: Dict[int, int]) -> Dataset:
        """Colours only: ``{Morton code: count}`` (codes of ``coder_for(channels, maxval)``)
        in order of first occurrence, as :meth:`from_image` counts them (SPEC.md KM-COL-2).

        Equal to ``from_image`` of any image with that histogram in every
        engine and histogram initializer.  It holds no pixel positions:
        ``pixel_count`` is the total count, and reading ``pixels`` (the
        ``random`` and ``first`` initializers, the plain engine) is a UsageError.
        """
        if not histogram:
            raise UsageError("there are no pixels to cluster")
        self = cls.__new__(cls)
        self.channels = channels
        self._coder = coder_for(channels, maxval)
        self._codes = None
        self._histogram = histogram
        self._pixels = _NoPositions(sum(histogram.values()))
        self._colours = None
        self._counts = None
        self._tree = None
        return self

    @property
    def pixels(self) -> Sequence[Pixel]:
        """Every pixel in raster order (a lazy view for a dataset built from an image)."""
        return self._pixels

    @property
    def colours(self) -> List[Pixel]:
        """The distinct colours in order of first occurrence."""
        if self._colours is None:
            assert self._coder is not None and self._histogram is not None
            self._colours = list(zip(*self._coder.decode(list(self._histogram))))
        return self._colours

    @property
    def counts(self) -> List[int]:
        """How many pixels have each colour of ``colours``."""
        if self._counts is None:
            assert self._histogram is not None
            self._counts = list(self._histogram.values())
        return self._counts

    @property
    def colour_count(self) -> int:
        """How many distinct colours there are."""
        return len(self._histogram) if self._histogram is not None else len(self.colours)

    @property
    def pixel_count(self) -> int:
        """How many pixels (not colours) there are."""
        return len(self._pixels)

    def colour_tree(self) -> ColourTree:
        """The distinct colours as a :class:`ColourTree` for the fast engine (built once)."""
        if self._tree is None:
            if self._histogram is not None:
                assert self._coder is not None
                self._tree = ColourTree.from_histogram(self._coder, self._histogram)
            else:
                self._tree = ColourTree.from_colours(self.colours, self.counts)
        return self._tree

    def spread(self, labels: Sequence[int]) -> Iterator[int]:
        """Labels per pixel, lazily, from labels per colour (in the order of ``colours``).

        One dict lookup per pixel through ``map``, at C speed; for a dataset
        built from an image, the keys are the pixels' Morton codes.
        """
        if self._histogram is not None and self._codes is not None:
            return map(dict(zip(self._histogram, labels)).__getitem__, self._codes)
        return map(dict(zip(self.colours, labels)).__getitem__, self._pixels)

    def pixel_labels(self, labels: Sequence[int], typecode: str = "B") -> array:
        """:meth:`spread` into a compact ``array``."""
        return _labels_array(self.spread(labels), typecode)

    def pixel_labels_from_tree(self, tree: ColourTree, labels: Sequence[int], typecode: str = "B") -> array:
        """Labels per pixel from labels per colour of ``tree``, in its Morton order.

        With codes of at most 24 bits (8-bit RGB, grey) and byte labels, the
        labels are painted into a table indexed by code, one slice per run
        of equal labels (runs are contiguous in Morton order), and every
        pixel is one table lookup.  Otherwise one dict lookup per pixel.
        """
        if self._codes is not None and tree is self._tree:
            if typecode == "B" and tree.coder.bits <= 24:
                return _labels_array(map(_paint(tree.codes, labels, tree.coder.bits).__getitem__, self._codes), "B")
            return _labels_array(map(dict(zip(tree.codes, labels)).__getitem__, self._codes), typecode)
        return self.pixel_labels(list(map(labels.__getitem__, tree.first_occurrence_order())), typecode)

    def __repr__(self) -> str:
        return f"Dataset({self.pixel_count} pixels, {self.colour_count} colours)"


def _paint(codes: Sequence[int], labels: Sequence[int], bits: int) -> bytearray:
    """A table of 2**bits bytes whose entry at each colour's code is its label."""
    table = bytearray(1 << bits)
    starts = [0]
    starts.extend(compress(range(1, len(codes)), map(ne, labels, labels[1:])))
    bounds = [codes[i] for i in starts[1:]]
    bounds.append(1 << bits)
    low = 0
    for start, high in zip(starts, bounds):
        table[low:high] = bytes((labels[start],)) * (high - low)
        low = high
    return table


def _labels_array(labels: Iterable[int], typecode: str) -> array:
    # bytes() consumes a map at C speed; array() from an iterator is slower.
    return array("B", bytes(labels)) if typecode == "B" else array(typecode, labels)


def _check_colour(colour: Pixel, channels: int) -> None:
    if not isinstance(colour, tuple) or len(colour) != channels:
        raise UsageError(f"pixel {colour!r} is not a tuple of {channels} integers")
    for v in colour:
        if isinstance(v, bool) or not isinstance(v, int) or not (0 <= v <= MAX_SAMPLE):
            raise UsageError(f"pixel {colour!r} has a sample outside the integers 0..{MAX_SAMPLE}")


class _NoPositions(Sequence[Pixel]):
    """The pixels of a dataset built from a histogram: they can be counted, not read."""

    def __init__(self, count: int) -> None:
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        raise _no_positions()

    def __iter__(self) -> Iterator[Pixel]:
        raise _no_positions()


def _no_positions() -> UsageError:
    return UsageError(
        "these pixels are a colour histogram with no positions (a palette for many images): "
        "use an initializer that works on colours (restarts, kmeans++) or given centroids, "
        "and an engine other than plain"
    )
