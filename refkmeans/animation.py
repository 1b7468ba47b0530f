"""Every image of a collection mapped onto its one palette and written as an animated GIF (SPEC.md KM-COL-6).

The images are read a second time, in KM-COL-1's order, and each pixel gets
the index of its nearest palette colour (KM-MAP-1, under the metric the
palette was clustered with).  Frames read from a GIF keep their delay and
disposal, and the loop count of the first GIF input is kept; images from
other files get ``delay`` and disposal 1 (leave in place).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from .builtin import gif
from .codec import DEFAULT_MAX_PIXELS
from .collection import Collection, Kind, frames
from .errors import ImageError, UsageError
from .files import SNIFF_BYTES, max_input_bytes, read_bytes
from .plugins import Registry, get_registry
from .quantize import quantize

#: Delay of a frame that comes from no GIF, in hundredths of a second.
DEFAULT_DELAY = 10
#: Disposal of such a frame: leave it in place (the next frame covers it anyway).
DEFAULT_DISPOSAL = 1


def check_gif_palette(kind: Kind, colours: int) -> None:
    """Refuse, before the work, what one global GIF palette cannot hold."""
    if kind.channels not in (1, 3):
        raise UsageError(
            f"an animated GIF is written from grey or RGB images; these are {kind} "
            "(transparency in animations is not supported yet)"
        )
    if colours > 256:
        raise UsageError(f"a GIF palette holds at most 256 colours, not {colours} (use -k 256 or fewer)")


def gif_timing(collection: Collection, *, delay: int = DEFAULT_DELAY, max_pixels: int = DEFAULT_MAX_PIXELS) -> gif.Timing:
    """Delays and disposals per image in KM-COL-1's order, and the loop count (0, forever, without a GIF input)."""
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 65535:
        raise UsageError(f"a frame delay is 0..65535 hundredths of a second, got {delay!r}")
    delays: List[int] = []
    disposals: List[int] = []
    loop: Optional[int] = None
    seen_gif = False
    for part in collection.parts:
        data = read_bytes(part.path, max_input_bytes(max_pixels))
        if not gif.GifCodec().sniff(data[:SNIFF_BYTES]):
            delays += [delay] * part.frames
            disposals += [DEFAULT_DISPOSAL] * part.frames
            continue
        timing = gif.timing(data, max_pixels=max_pixels)
        if len(timing.delays) != part.frames:
            raise ImageError(f"{part.path}: holds {len(timing.delays)} frames now, {part.frames} when it was counted")
        if not seen_gif:
            loop, seen_gif = timing.loop, True
        delays += timing.delays
        disposals += timing.disposals
    return gif.Timing(loop if seen_gif else 0, delays, disposals)


def animation_bytes(
    collection: Collection,
    palette: Sequence[Tuple[int, ...]],
    timing: gif.Timing,
    *,
    local: bool = False,
    metric: str = "euclidean",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    registry: Optional[Registry] = None,
) -> bytes:
    """The animated GIF of every image of the collection mapped onto ``palette``."""
    check_gif_palette(collection.kind, len(palette))
    registry = registry or get_registry()
    kind = collection.kind
    size: Optional[Tuple[int, int]] = None
    indices: List[bytes] = []
    for part in collection.parts:
        count = 0
        for count, image in enumerate(frames(part.path, max_pixels=max_pixels, registry=registry), 1):
            if size is None:
                size = (image.width, image.height)
            elif (image.width, image.height) != size:
                raise UsageError(
                    f"{part.path} (image {count - 1}) is {image.width}x{image.height}; every frame of an "
                    f"animation needs the first's size, {size[0]}x{size[1]}"
                )
            mapped = quantize(image, k=len(palette), init=list(palette), max_iter=0, metric=metric, registry=registry)
            indices.append(mapped.indices.tobytes())
        if count != part.frames:
            raise ImageError(f"{part.path}: holds {count} images now, {part.frames} when it was counted")
    assert size is not None
    table = [gif.as_rgb(colour, kind.channels, kind.maxval) for colour in palette]
    return gif.encode_global_animation(size[0], size[1], table, indices, timing, local=local)


def gif_animation(
    collection: Collection,
    palette: Sequence[Tuple[int, ...]],
    *,
    delay: int = DEFAULT_DELAY,
    local: bool = False,
    metric: str = "euclidean",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    registry: Optional[Registry] = None,
) -> bytes:
    """The whole animated GIF: :func:`gif_timing`, then :func:`animation_bytes` (nothing is written)."""
    check_gif_palette(collection.kind, len(palette))
    timing = gif_timing(collection, delay=delay, max_pixels=max_pixels)
    return animation_bytes(
        collection, palette, timing, local=local, metric=metric, max_pixels=max_pixels, registry=registry
    )
