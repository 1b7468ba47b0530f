"""Writing PNG: indexed at the smallest bit depth, or grey/truecolour at 8 or 16 bits.

Choosing the colour type (when the caller does not)
    An RGB or RGBA image at maxval 255 with at most 256 colours is written
    indexed (type 3): from the ``palette`` and ``indices`` a quantizer
    passes, or from the image's own colours.  Unused and repeated palette
    entries are dropped, entries with alpha below 255 go first (so tRNS is
    as short as it can be) and the rest follow by falling use; the bit
    depth is the smallest of 1, 2, 4, 8 that holds the entries.  Other
    images are greyscale (1 channel), greyscale with alpha (2), truecolour
    (3) or truecolour with alpha (4).  Greyscale keeps maxval 1, 3, 15, 255
    and 65535 exactly (bit depths 1, 2, 4, 8, 16).

Other maxvals
    PNG stores only maxvals 2**d - 1.  Any other maxval M is rescaled to
    the next of 255 or 65535 (value v becomes floor((2 v T + M) / (2 M)),
    the nearest, halves up); when M = 2**n - 1 an sBIT chunk records n.

Keeping files small
    Each row may use any of the five filters.  The encoder builds two
    filtered streams: every row with the same filter (one stream for each
    of the five), and each row with the filter whose output has the
    smallest sum of absolute values read as signed bytes (the libpng
    heuristic).  All are ranked by a quick deflate (level 3); the two best
    are deflated at level 9 with the default and the ``filtered``
    strategies, and the smallest result is kept.
    Indexed images try two palette orders (see ``_palette_orders``), the
    second with unfiltered rows only, which suit indices best.  The image data goes in one IDAT chunk; no ancillary
    chunks are written except tRNS and sBIT when needed.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from refkmeans.errors import ImageError, UsageError
from refkmeans.image import Image

from .chunks import MAX_CHUNK_LENGTH, SIGNATURE, make_chunk
from .filters import filter_row
from .layout import COLOUR_TYPES, gather, pack_row, passes

# |value| of a byte read as a signed number, for the filter heuristic.
_SIGNED_ABS = bytes(min(v, 256 - v) for v in range(256))
_GREY_DEPTHS = {1: 1, 3: 2, 15: 4, 255: 8, 65535: 16}

Colour = Tuple[int, ...]
FilterChoice = Union[None, int, str]


def encode_png(
    image: Image,
    *,
    palette: Optional[Sequence[Colour]] = None,
    indices: Optional[Sequence[int]] = None,
    colour_type: Optional[int] = None,
    bit_depth: Optional[int] = None,
    interlace: bool = False,
    filter: FilterChoice = None,
    level: int = 9,
    idat_size: int = MAX_CHUNK_LENGTH,
) -> bytes:
    """Encode ``image`` as a PNG file.

    ``colour_type`` (0, 2, 3, 4 or 6) and ``bit_depth`` override the automatic
    choice; ``filter`` is None (try several and keep the smallest file),
    ``"adaptive"`` or one filter type 0..4 for every row; ``idat_size``
    splits the image data into IDAT chunks of at most that many bytes.
    """
    if image.width < 1 or image.height < 1:
        raise ImageError(f"png: cannot write a {image.width}x{image.height} image, PNG needs at least 1x1")
    if colour_type is None:
        colour_type = _auto_colour_type(image, palette, indices)
    if colour_type not in COLOUR_TYPES:
        raise UsageError(f"png: unknown colour type {colour_type!r}; choose from 0, 2, 3, 4, 6")
    name, channels, depths = COLOUR_TYPES[colour_type]
    extra: List[bytes] = []
    if colour_type == 3:
        colours, uses, pixel_colours = _indexed(image, palette, indices)
        depth = _smallest_depth(len(colours))
        if bit_depth is not None:
            if bit_depth not in depths or bit_depth < depth:
                raise UsageError(f"png: bit depth {bit_depth} cannot hold {len(colours)} palette entries")
            depth = bit_depth
        candidates = []
        for number, order in enumerate(_palette_orders(colours, uses)):
            entry = {colour: i for i, colour in enumerate(order)}
            indexed = bytes(map(entry.__getitem__, pixel_colours))
            chunks = [make_chunk(b"PLTE", bytes(v for c in order for v in c[:3]))]
            alphas = bytes(c[3] if len(c) == 4 else 255 for c in order).rstrip(b"\xff")
            if alphas:
                chunks.append(make_chunk(b"tRNS", alphas))
            # Only the first order also tries per-row filters: indexed rows rarely gain from them.
            streams = _filtered_streams(indexed, image.width, image.height, 1, depth, interlace, filter, number == 0)
            candidates.append((chunks, _compress(streams, level)))
        extra, stream = min(candidates, key=lambda item: len(item[1]) + sum(map(len, item[0])))
    else:
        wanted = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
        if image.channels != wanted:
            raise UsageError(f"png: colour type {colour_type} ({name}) needs {wanted} channel(s), the image has {image.channels}")
        depth = _GREY_DEPTHS.get(image.maxval, 0) if colour_type == 0 else (8 if image.maxval == 255 else 16 if image.maxval == 65535 else 0)
        if depth == 0:
            depth = 8 if image.maxval < 255 else 16
        if bit_depth is not None:
            if bit_depth not in depths:
                raise UsageError(f"png: bit depth {bit_depth} is not allowed for colour type {colour_type} ({name})")
            depth = bit_depth
        samples: Sequence[int] = image.samples
        if (1 << depth) - 1 != image.maxval:
            samples = _rescale(samples, image.maxval, (1 << depth) - 1)
            significant = image.maxval.bit_length()
            if image.maxval == (1 << significant) - 1 and significant < depth:
                # sBIT says how many bits are real, so a reader can undo the scaling exactly.
                extra.append(make_chunk(b"sBIT", bytes([significant]) * channels))
        streams = _filtered_streams(samples, image.width, image.height, channels, depth, interlace, filter, True)
        stream = _compress(streams, level)
    header = struct.pack(">IIBBBBB", image.width, image.height, depth, colour_type, 0, 0, 1 if interlace else 0)
    idats = [make_chunk(b"IDAT", stream[i : i + idat_size]) for i in range(0, max(len(stream), 1), max(1, idat_size))]
    return b"".join([SIGNATURE, make_chunk(b"IHDR", header), *extra, *idats, make_chunk(b"IEND", b"")])


def _auto_colour_type(image: Image, palette: Optional[Sequence[Colour]], indices: Optional[Sequence[int]]) -> int:
    direct = {1: 0, 2: 4, 3: 2, 4: 6}.get(image.channels)
    if direct is None:
        raise ImageError(f"png: cannot write {image.channels} channels; PNG holds 1 to 4")
    if image.channels >= 3 and image.maxval == 255:
        if palette is not None and indices is not None and len(set(palette)) <= 256:
            return 3
        if _few_colours(image.iter_pixels(), 256):
            return 3
    return direct


def _few_colours(pixels: Iterable[Colour], limit: int) -> bool:
    """True when there are at most ``limit`` distinct pixels."""
    seen: Set[Colour] = set()
    add = seen.add
    for pixel in pixels:
        add(pixel)
        if len(seen) > limit:
            return False
    return True


def _indexed(
    image: Image, palette: Optional[Sequence[Colour]], indices: Optional[Sequence[int]]
) -> Tuple[List[Colour], Dict[Colour, int], List[Colour]]:
    """The used colours (first use first), how often each is used, and each pixel's colour.

    Unused palette entries are dropped and a colour given under two indices
    becomes one entry.
    """
    if image.channels not in (3, 4) or image.maxval != 255:
        raise UsageError(f"png: an indexed PNG needs RGB or RGBA at maxval 255, the image is {image!r}")
    if palette is None or indices is None:
        pixel_colours = image.pixels()
    else:
        if len(indices) != image.pixel_count:
            raise UsageError(f"png: {len(indices)} indices for {image.pixel_count} pixels")
        table = [tuple(colour) for colour in palette]
        for colour in table:
            if len(colour) != image.channels:
                raise UsageError(f"png: palette colour {colour} does not have {image.channels} channels")
        try:
            pixel_colours = list(map(table.__getitem__, indices))
        except IndexError:
            raise UsageError(f"png: index {max(indices)} is past the {len(table)}-colour palette") from None
    uses = Counter(pixel_colours)  # keys in order of first use
    if len(uses) > 256:
        raise UsageError(f"png: {len(uses)} colours do not fit an indexed PNG (at most 256)")
    return list(uses), uses, pixel_colours


def _palette_orders(colours: List[Colour], uses: Dict[Colour, int]) -> List[List[Colour]]:
    """Palette orders worth trying; translucent entries always first, so tRNS stays short.

    By falling use, and a chain that starts at the most used colour and
    always steps to the nearest unused one (similar colours get
    neighbouring indices, which deflate a little better on some images).
    """
    translucent = [c for c in colours if len(c) == 4 and c[3] != 255]
    opaque = [c for c in colours if len(c) == 3 or c[3] == 255]
    by_use = sorted(opaque, key=lambda c: -uses[c])
    chain = by_use[:1]
    left = by_use[1:]
    while left:
        last = chain[-1]
        nearest = min(left, key=lambda c: sum((a - b) * (a - b) for a, b in zip(c, last)))
        left.remove(nearest)
        chain.append(nearest)
    return [translucent + by_use, translucent + chain]


def _smallest_depth(entries: int) -> int:
    """The smallest PNG bit depth whose indices reach ``entries`` palette entries."""
    for depth in (1, 2, 4, 8):
        if entries <= 1 << depth:
            return depth
    raise UsageError(f"png: {entries} palette entries do not fit 8 bits")  # pragma: no cover - checked before


def _rescale(samples: Sequence[int], source: int, target: int) -> array:
    """Each sample v in 0..source to the nearest of 0..target, halves up."""
    lookup = [(2 * v * target + source) // (2 * source) for v in range(source + 1)]
    return array("B" if target < 256 else "H", map(lookup.__getitem__, samples))


def _filtered_streams(
    samples: Sequence[int],
    width: int,
    height: int,
    channels: int,
    depth: int,
    interlace: bool,
    choice: FilterChoice,
    every_filter: bool,
) -> List[bytes]:
    """The candidate filtered streams (filter byte + row, every row of every pass).

    With ``choice`` None: every row unfiltered and, when ``every_filter``,
    also each of the four other filters on every row and the per-row
    adaptive choice.  Otherwise the one stream asked for.
    """
    if choice is not None and choice != "adaptive" and choice not in range(5):
        raise UsageError(f"png: filter must be 0..4 or 'adaptive', got {choice!r}")
    bpp = max(1, channels * depth // 8)
    kinds = [0] if choice is None and not every_filter else list(range(5)) if choice in (None, "adaptive") else [int(choice)]  # type: ignore[arg-type]
    streams = {kind: bytearray() for kind in kinds}
    adaptive = bytearray()
    for p in passes(width, height, interlace):
        if not p.width or not p.height:
            continue
        prior = b""
        for row in (pack_row(row, depth) for row in gather(samples, width, channels, p)):
            above = prior or bytes(len(row))
            lines = {kind: filter_row(kind, row, above, bpp) for kind in kinds}
            for kind, line in lines.items():
                streams[kind].append(kind)
                streams[kind] += line
            if len(kinds) == 5:
                # The libpng heuristic: the smallest sum of bytes read as signed numbers.
                cost, kind = min((sum(line.translate(_SIGNED_ABS)), kind) for kind, line in lines.items())
                adaptive.append(kind)
                adaptive += lines[kind]
            prior = row
    if choice == "adaptive":
        return [bytes(adaptive)]
    return [bytes(stream) for stream in streams.values()] + ([bytes(adaptive)] if len(kinds) == 5 else [])


def _deflate(stream: bytes, level: int, strategy: int) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    return packer.compress(stream) + packer.flush()


def _compress(streams: List[bytes], level: int) -> bytes:
    """The smallest deflate found: candidates are ranked by a quick deflate (level 3),
    then the two best are deflated at ``level`` with the default and filtered strategies."""
    if len(streams) > 2:
        quick = sorted(range(len(streams)), key=lambda i: (len(_deflate(streams[i], 3, zlib.Z_DEFAULT_STRATEGY)), i))
        streams = [streams[i] for i in quick[:2]]
    packed = [_deflate(stream, level, strategy) for stream in streams for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED)]
    return min(packed, key=len)
