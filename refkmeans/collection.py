"""A palette for many images: k-means on the union histogram of every frame of every input.

k-means depends on the pixels only through their colour histogram
(KM-COL-2), and histograms add up exactly: the palette of a collection is the
palette of all its images put end to end, whether the per-input histograms
are counted in this process or in ``jobs`` worker processes and summed.
The rules are SPEC.md KM-COL-1..6.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .codec import DEFAULT_MAX_PIXELS
from .dataset import Dataset
from .engine.morton import coder_for
from .errors import ImageError, UsageError
from .files import names_a_stream, read
from .image import Image
from .kmeans import Clustering, Options, cluster
from .plugins import Registry, get_registry
from .quantize import DEFAULT_INIT, psnr_from_error

#: Tuple types that gain an alpha channel (alpha = maxval) beside their alpha kind (KM-COL-3).
ALPHA_OF = {"GRAYSCALE": "GRAYSCALE_ALPHA", "RGB": "RGB_ALPHA"}


class Kind(NamedTuple):
    """What must agree between images clustered together (KM-COL-3)."""

    channels: int
    maxval: int
    tupltype: Optional[str]

    def __str__(self) -> str:
        return f"{self.channels} channel(s) {self.tupltype or '(no tuple type)'}, maxval {self.maxval}"


class Segment(NamedTuple):
    """Consecutive frames of one input of one kind: their histogram of Morton codes."""

    path: str
    first_frame: int
    kind: Kind
    histogram: Counter


class Part(NamedTuple):
    """What one input contributes: its segments in frame order, its frame and pixel counts."""

    path: str
    frames: int
    pixels: int
    segments: List[Segment]


def frames(path: str, *, max_pixels: int = DEFAULT_MAX_PIXELS, registry: Optional[Registry] = None) -> Iterator[Image]:
    """Every image of a file in order: index 0, 1, ... until the codec reports no such image (KM-COL-1).

    Every codec reports an index past its last image with an ImageError
    saying ``N requested (counting from 0)``; any other error is the file's.
    The file is read once per image (a multi-frame GIF is decoded from its
    start for each frame): simple, and exact, not fast.
    """
    if names_a_stream(path):
        raise UsageError(f"{path}: a palette for many images reads each input more than once; give a file, not a stream")
    index = 0
    while True:
        try:
            image = read(path, index=index, max_pixels=max_pixels, registry=registry)
        except ImageError as exc:
            if index and f"{index} requested (counting from 0)" in str(exc):
                return
            raise
        yield image
        index += 1


def read_part(path: str, max_pixels: int = DEFAULT_MAX_PIXELS, registry: Optional[Registry] = None) -> Part:
    """One input's histogram, frame after frame (a new segment where the kind changes)."""
    segments: List[Segment] = []
    pixels = 0
    count = 0
    for count, image in enumerate(frames(path, max_pixels=max_pixels, registry=registry), 1):
        kind = Kind(image.channels, image.maxval, image.tupltype)
        if not segments or segments[-1].kind != kind:
            segments.append(Segment(path, count - 1, kind, Counter()))
        segments[-1].histogram.update(image.colour_codes())
        pixels += image.pixel_count
    return Part(path, count, pixels, segments)


def _read_part_in_worker(path: str, max_pixels: int, plugins: bool) -> Part:
    """:func:`read_part` in a worker process, with the worker's own shared registry."""
    return read_part(path, max_pixels, get_registry(plugins))


class Collection:
    """The union histogram of many inputs (KM-COL-2): its ``kind``, ``histogram`` and ``parts``."""

    def __init__(self, kind: Kind, histogram: Dict[int, int], parts: List[Part]) -> None:
        self.kind = kind
        self.histogram = histogram
        self.parts = parts

    @property
    def frame_count(self) -> int:
        """How many images the inputs hold together."""
        return sum(part.frames for part in self.parts)

    @property
    def pixel_count(self) -> int:
        """How many pixels the images hold together."""
        return sum(part.pixels for part in self.parts)

    def dataset(self) -> Dataset:
        """The union histogram as a :class:`Dataset` (colours only, no pixel positions)."""
        return Dataset.from_histogram(self.kind.channels, self.kind.maxval, self.histogram)

    def __repr__(self) -> str:
        return (
            f"Collection({len(self.parts)} inputs, {self.frame_count} images, "
            f"{self.pixel_count} pixels, {len(self.histogram)} colours)"
        )


def read_collection(
    paths: Sequence[str],
    *,
    jobs: int = 1,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    registry: Optional[Registry] = None,
    plugins: bool = True,
) -> Collection:
    """The union histogram of every image of every input, in input order then frame order.

    With ``jobs`` above 1 the inputs are read in that many worker processes
    (each with the shared registry, third-party plugins as ``plugins``
    says); the histograms are summed here in input order, so the result is
    identical to ``jobs=1`` (KM-COL-4).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs must be a positive integer, got {jobs!r}")
    if not paths:
        raise UsageError("a palette for many images needs at least one input")
    if jobs == 1 or len(paths) == 1:
        registry = registry or get_registry(plugins)
        parts = [read_part(path, max_pixels, registry) for path in paths]
    else:
        if registry is not None:
            raise UsageError("a registry object cannot be sent to worker processes; pass plugins= with jobs above 1")
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
            parts = list(pool.map(_read_part_in_worker, paths, repeat(max_pixels), repeat(plugins)))
    return union(parts)


def union(parts: Sequence[Part]) -> Collection:
    """Sum the parts' histograms in order, first promoting kinds where KM-COL-3 allows."""
    segments = [segment for part in parts for segment in part.segments]
    if not segments:
        raise UsageError("the inputs hold no image")
    target = _common_kind(segments)
    total: Counter = Counter()
    for segment in segments:
        total.update(_promoted(segment, target))
    return Collection(target, total, list(parts))


def _common_kind(segments: Sequence[Segment]) -> Kind:
    """The kind every segment has, or becomes by gaining alpha; else a UsageError naming two inputs."""
    kinds = {segment.kind for segment in segments}
    if len(kinds) == 1:
        return segments[0].kind
    if len(kinds) == 2:
        plain, alpha = sorted(kinds, key=lambda kind: kind.channels)
        if (
            ALPHA_OF.get(plain.tupltype or "") == alpha.tupltype
            and alpha.channels == plain.channels + 1
            and plain.maxval == alpha.maxval
        ):
            return alpha
    first = segments[0]
    other = next(s for s in segments if s.kind != first.kind)
    raise UsageError(
        f"cannot make one palette for {_where(first)} ({first.kind}) and {_where(other)} ({other.kind}): "
        "every image needs the same channels, maxval and tuple type (only grey or RGB beside "
        "grey or RGB with alpha is promoted, SPEC.md KM-COL-3)"
    )


def _where(segment: Segment) -> str:
    return segment.path if segment.first_frame == 0 else f"{segment.path} (image {segment.first_frame})"


def _promoted(segment: Segment, target: Kind) -> Dict[int, int]:
    """The segment's histogram in the target kind: alpha = maxval added when it has none."""
    if segment.kind == target:
        return segment.histogram
    codes = list(segment.histogram)
    channels = coder_for(segment.kind.channels, segment.kind.maxval).decode(codes)
    opaque = repeat(target.maxval, len(codes))
    promoted = coder_for(target.channels, target.maxval).encode_colours(list(zip(*channels, opaque)))
    return dict(zip(promoted, segment.histogram.values()))


class CollectionPalette:
    """The palette of a collection: ``palette``, the k-means ``result`` and the ``collection``.

    ``result.labels`` are per distinct colour of the union histogram, in
    its order (there are no pixel positions to spread them over).
    """

    def __init__(self, collection: Collection, clustering: Clustering) -> None:
        self.collection = collection
        self.clustering = clustering
        self.result = clustering.result
        self.palette: List[Tuple[int, ...]] = self.result.palette(collection.kind.maxval)

    def squared_error(self) -> int:
        """Exact sum over every pixel of every image of |pixel - its palette colour|^2."""
        return int(self.clustering.assigner.sums.inertia(self.palette))

    def psnr(self) -> float:
        """PSNR in dB over every sample of every image (inf when the palette is exact)."""
        kind = self.collection.kind
        return psnr_from_error(self.squared_error(), self.collection.pixel_count * kind.channels, kind.maxval)

    def __repr__(self) -> str:
        return f"CollectionPalette({len(self.palette)} colours for {self.collection!r})"


def collection_palette(collection: Collection, k: int = 16, **options: Any) -> CollectionPalette:
    """Cluster the union histogram as :func:`~refkmeans.quantize` clusters one image (KM-COL-5).

    ``options`` are :func:`~refkmeans.kmeans`'s; without ``init`` the start
    is quantize's default (``restarts``).  Initializers that pick pixel
    positions (``random``, ``first``) and the plain engine are refused: a
    histogram has no positions.
    """
    options.setdefault("init", DEFAULT_INIT)
    given_k = None if not isinstance(options["init"], str) else k
    return CollectionPalette(collection, cluster(collection.dataset(), Options(k=given_k, **options)))
