"""What refkmeans objects show in Jupyter, without importing Jupyter.

IPython looks for ``_repr_png_``, ``_repr_svg_`` and ``_repr_html_`` methods
on the objects a cell returns.  :class:`~refkmeans.image.Image`,
:class:`~refkmeans.result.Result` and :class:`~refkmeans.quantize.Quantized`
have small methods that call the functions here, so nothing is imported
until a notebook asks for a picture, and nothing here imports IPython.
"""

from __future__ import annotations

import base64
import math
from html import escape
from typing import Any, Optional

from ..errors import RefKMeansError
from ..image import Image
from .png import encode_png
from .svg import inertia_svg, palette_svg

#: Images with more pixels than this are shown thinned (a notebook is not an image viewer).
MAX_SHOWN_PIXELS = 4_000_000
#: The before and after previews of a quantized image are thinned to this many pixels
#: at most (512 x 512), so the HTML of a photo stays well under a megabyte or two.
PREVIEW_PIXELS = 262_144


def image_png(image: Image, max_pixels: int = MAX_SHOWN_PIXELS) -> Optional[bytes]:
    """PNG bytes of ``image`` thinned to ``max_pixels``, or None when PNG cannot show it (more than 4 channels, no pixels)."""
    if image.channels > 4 or image.pixel_count == 0:
        return None
    from .sample import thin

    try:
        return encode_png(thin(image, max_pixels)[0])
    except RefKMeansError:  # pragma: no cover - the checks above rule this out
        return None


def _img_tag(image: Image, alt: str, max_pixels: int = MAX_SHOWN_PIXELS) -> str:
    data = image_png(image, max_pixels)
    if data is None:
        return f"<em>{escape(repr(image))}</em>"
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}" style="image-rendering:pixelated"/>'


def _inline(svg: str) -> str:
    """An SVG document as markup to put inside HTML (no XML declaration)."""
    return svg.split("?>", 1)[1].strip() if svg.startswith("<?xml") else svg


def _guess_maxval(result: Any) -> int:
    top = max((max(c) for c in result.centroids), default=0)
    return 255 if top <= 255 else 65535


def result_html(result: Any) -> str:
    """A Result as a summary table, its palette swatches, and the inertia plot when it was traced."""
    maxval = _guess_maxval(result)
    state = "converged" if result.converged else "stopped at max_iter"
    rows = [
        ("k", str(result.k)),
        ("iterations", f"{result.iterations} ({state})"),
        ("inertia", f"{result.inertia:,.6g}"),
        ("metric", result.metric),
        ("pixels", f"{sum(result.counts):,}"),
    ]
    table = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    parts = [f"<div class='refkmeans-result'><table>{table}</table>"]
    parts.append(_inline(palette_svg(result.palette(maxval), result.counts, maxval, title="Centroids")))
    if result.steps:
        inertias = [float(step.inertia) for step in result.steps]
        parts.append(_inline(inertia_svg(inertias, empty=[step.empty for step in result.steps])))
    parts.append("</div>")
    return "\n".join(parts)


def quantized_html(q: Any) -> str:
    """Before and after side by side, the palette with counts, and the figures that matter."""
    psnr = q.psnr()
    colours_before = len(set(q.original.iter_pixels()))
    stats = (
        f"{q.original.width}x{q.original.height}, {colours_before:,} colours &rarr; {len(q.palette)}; "
        f"PSNR {'inf' if math.isinf(psnr) else f'{psnr:.2f}'} dB; "
        f"{q.result.iterations} iterations ({'converged' if q.result.converged else 'stopped at max_iter'})"
    )
    from .sample import stride_for

    stride = stride_for(q.original.width, q.original.height, PREVIEW_PIXELS)
    note = "" if stride == 1 else f" (preview: 1 pixel in {stride} across and down)"
    cell = "<figure style='display:inline-block;margin:0 12px 0 0'>{}<figcaption>{}</figcaption></figure>"
    return (
        "<div class='refkmeans-quantized'>"
        + cell.format(_img_tag(q.original, "before", PREVIEW_PIXELS), "before" + note)
        + cell.format(_img_tag(q.image, "after", PREVIEW_PIXELS), "after" + note)
        + f"<p>{stats}</p>"
        + _inline(palette_svg(q.palette, q.result.counts, q.original.maxval))
        + "</div>"
    )
