"""The short report printed after a quantize run."""

from __future__ import annotations

import math
import os
from typing import List, Optional

from ..codec import Codec
from ..files import read
from ..plugins import Registry
from ..quantize import Quantized, psnr

#: Codecs that store a quantized image exactly: their files need no reading back.
EXACT_CODECS = frozenset({"netpbm", "gif", "png"})


def report_lines(
    q: Quantized,
    in_bytes: Optional[int] = None,
    out_bytes: Optional[int] = None,
    *,
    dither: str = "none",
    palette_file: Optional[str] = None,
) -> List[str]:
    """Size, colours before and after, iterations, inertia, PSNR, bits per pixel, palette.

    The inertia is the k-means one (each pixel to its nearest colour); the
    PSNR is that of the image written, so under ``dither`` the two measure
    different images and the labels say so.
    """
    image, result = q.original, q.result
    pixels = image.pixel_count
    state = "converged" if result.converged else ("settled: the inertia changed by less than --tol" if result.settled else "stopped at --max-iter")
    before = image.colour_count()
    after = q.image.colour_count()  # colours in the output: an empty cluster's centroid is unused
    sample_bits = 8 if image.maxval < 256 else 16
    index_bits = max(1, math.ceil(math.log2(len(q.palette)))) if len(q.palette) > 1 else 1
    psnr = q.psnr()
    if palette_file is not None:
        iterations = f"0 (fixed palette of {len(q.palette)} colours from {palette_file})"
    else:
        iterations = f"{result.iterations} ({state})"
    # Dithering changes the image written, not the k-means inertia: say which image each number measures.
    inertia_of = ", each pixel to its nearest palette colour, before dithering" if dither != "none" else ""
    psnr_of = f" (of the {dither}-dithered image written)" if dither != "none" else ""
    lines = [
        f"image       {image.width}x{image.height}, {image.channels} channel(s), maxval {image.maxval}",
        f"colours     {before} -> {after}",
        f"iterations  {iterations}",
        f"inertia     {result.inertia:.6g} ({result.inertia / max(1, pixels):.6g} per pixel){inertia_of}",
        f"PSNR        {_db(psnr)} dB{psnr_of}",
        f"bits/pixel  {index_bits} for the indices vs {image.channels * sample_bits} in the input",
    ]
    if in_bytes is not None and out_bytes is not None:
        ratio = in_bytes / out_bytes if out_bytes else math.inf
        lines.append(
            f"file size   {in_bytes} -> {out_bytes} bytes ({ratio:.2f}x, {8 * out_bytes / max(1, pixels):.2f} bits/pixel)"
        )
    lines.append("palette     " + " ".join(hex_colour(c, image.maxval) for c in q.palette))
    return lines


def file_lines(q: Quantized, path: str, codec: Codec, registry: Registry, max_pixels: int) -> List[str]:
    """For a codec that may not store the pixels exactly (JPEG, lossy WebP): the file's real figures.

    The file is read back; when it differs from the quantized image, the
    lines say how many colours it really holds and its PSNR against the input.
    """
    if codec.name in EXACT_CODECS or not os.path.isfile(path):
        return []
    back = read(path, max_pixels=max_pixels, registry=registry)
    if back.samples == q.image.samples and back.channels == q.image.channels:
        return []
    if (back.width, back.height, back.channels, back.maxval) != (q.original.width, q.original.height, q.original.channels, q.original.maxval):
        return [f"lossy file  {codec.name} stored a {back.width}x{back.height} {back.channels}-channel image, not the one above"]
    return [
        f"lossy file  {codec.name}: the file holds {back.colour_count()} colours, not the palette's "
        f"{len(q.palette)}; its PSNR is {_db(psnr(q.original, back))} dB (the figures above are for the palette image)"
    ]


def _db(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.2f}"


def hex_colour(colour: tuple, maxval: int) -> str:
    width = 2 if maxval < 256 else 4
    return "#" + "".join(f"{v:0{width}x}" for v in colour)
