"""A before/after picture: the original beside its quantized version, with the palette.

The picture is an 8-bit RGB :class:`~refkmeans.image.Image`, so any codec
can write it (PPM built in, PNG with the PNG plugin).  Under the quantized
image, a strip shows the palette with each colour's width proportional to
its pixel count.  Small images are enlarged by a whole factor (nearest
neighbour) so that the picture is at least ``min_height`` pixels tall.
"""

from __future__ import annotations

import math
from typing import Any, Sequence, Tuple

from ..image import Image
from ..quantize import Quantized, quantize
from .raster import BLACK, GREY, Canvas, display_rgb, image_rows, text_width

MARGIN = 8
SCALE = 2  # caption font scale
STRIP = 16  # palette strip height


def before_after(
    before: Image,
    after: Image,
    palette: Sequence[Sequence[int]],
    counts: Sequence[int],
    *,
    psnr: float = math.nan,
    min_height: int = 160,
) -> Image:
    """Draw ``before`` and ``after`` side by side, captioned, with ``after``'s palette below it."""
    if (before.width, before.height) != (after.width, after.height):
        raise ValueError("before and after must have the same size")
    scale = max(1, -(-min_height // max(1, before.height)))
    w, h = before.width * scale, before.height * scale
    colours_before = len(set(before.iter_pixels()))
    caption_before = f"BEFORE: {colours_before:,} COLOURS"
    caption_after = f"AFTER: {len(palette)} COLOURS" + ("" if math.isnan(psnr) else psnr_from_error(psnr))
    column = max(w, text_width(caption_before, SCALE), text_width(caption_after, SCALE))
    top = MARGIN + 5 * SCALE + 6
    canvas = Canvas(3 * MARGIN + 2 * column, top + h + 6 + STRIP + MARGIN, max_colours=None)
    canvas.text(MARGIN, MARGIN, caption_before, BLACK, SCALE)
    canvas.text(2 * MARGIN + column, MARGIN, caption_after, BLACK, SCALE)
    canvas.paint(MARGIN, top, image_rows(before, scale))
    canvas.paint(2 * MARGIN + column, top, image_rows(after, scale))
    total = sum(counts) or 1
    x = 2 * MARGIN + column
    edge = 0
    for colour, count in sorted(zip(palette, counts), key=lambda item: -item[1]):
        if not count:
            continue
        edge += count
        right = 2 * MARGIN + column + round(edge * w / total)
        canvas.rect(x, top + h + 6, max(1, right - x), STRIP, display_rgb(colour, after.maxval))
        x = right
    canvas.frame(2 * MARGIN + column - 1, top + h + 5, w + 2, STRIP + 2, GREY)
    return canvas.to_image()


def psnr_from_error(value: float) -> str:
    return ", PSNR INF" if math.isinf(value) else f", PSNR {value:.1f} DB"


def compare_quantized(q: Quantized, min_height: int = 160) -> Image:
    """The before/after picture of a :class:`~refkmeans.quantize.Quantized`."""
    return before_after(q.original, q.image, q.palette, q.result.counts, psnr=q.psnr(), min_height=min_height)


def compare(image: Image, k: int = 16, **options: Any) -> Tuple[Image, Quantized]:
    """Quantize ``image`` (``options`` as for :func:`refkmeans.quantize`) and draw the comparison."""
    q = quantize(image, k, **options)
    return compare_quantized(q), q
