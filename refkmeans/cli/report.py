"""The short report printed after a quantize run."""

from __future__ import annotations

import math
from typing import List, Optional

from ..quantize import Quantized


def report_lines(q: Quantized, in_bytes: Optional[int] = None, out_bytes: Optional[int] = None) -> List[str]:
    """Size, colours before and after, iterations, inertia, PSNR, bits per pixel, palette."""
    image, result = q.original, q.result
    pixels = image.pixel_count
    state = "converged" if result.converged else ("settled: the inertia changed by less than --tol" if result.settled else "stopped at --max-iter")
    before = image.colour_count()
    after = q.image.colour_count()  # colours in the output: an empty cluster's centroid is unused
    sample_bits = 8 if image.maxval < 256 else 16
    index_bits = max(1, math.ceil(math.log2(len(q.palette)))) if len(q.palette) > 1 else 1
    psnr = q.psnr()
    lines = [
        f"image       {image.width}x{image.height}, {image.channels} channel(s), maxval {image.maxval}",
        f"colours     {before} -> {after}",
        f"iterations  {result.iterations} ({state})",
        f"inertia     {result.inertia:.6g} ({result.inertia / max(1, pixels):.6g} per pixel)",
        f"PSNR        {'inf' if math.isinf(psnr) else f'{psnr:.2f}'} dB",
        f"bits/pixel  {index_bits} for the indices vs {image.channels * sample_bits} in the input",
    ]
    if in_bytes is not None and out_bytes is not None:
        ratio = in_bytes / out_bytes if out_bytes else math.inf
        lines.append(
            f"file size   {in_bytes} -> {out_bytes} bytes ({ratio:.2f}x, {8 * out_bytes / max(1, pixels):.2f} bits/pixel)"
        )
    lines.append("palette     " + " ".join(_hex(c, image.maxval) for c in q.palette))
    return lines


def _hex(colour: tuple, maxval: int) -> str:
    width = 2 if maxval < 256 else 4
    return "#" + "".join(f"{v:0{width}x}" for v in colour)
