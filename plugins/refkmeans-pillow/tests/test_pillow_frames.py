"""The Pillow bridge's --index: every frame it decodes is held to the pixel limit, not only frame 0."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image as PILImage  # noqa: E402

from refkmeans import ImageError, read  # noqa: E402
from refkmeans.plugins import get_registry  # noqa: E402


def two_page_tiff(second: tuple[int, int]) -> bytes:
    """A TIFF whose first page is 2x2 and whose second is ``second`` (deflated: the file stays small)."""
    small = PILImage.new("L", (2, 2), 7)
    large = PILImage.new("L", second, 9)
    out = io.BytesIO()
    small.save(out, format="TIFF", save_all=True, append_images=[large], compression="tiff_adobe_deflate")
    return out.getvalue()


def test_a_later_frame_over_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    if "pillow-tiff" not in get_registry().codecs:
        pytest.skip("the Pillow bridge is not installed")
    path = tmp_path / "pages.tif"
    path.write_bytes(two_page_tiff((3000, 2000)))
    # Below twice the limit Pillow's own bomb check only warns: the bridge must check.
    limit = 5_000_000
    assert read(str(path), max_pixels=limit).pixels() == [(7,)] * 4  # frame 0 is within the limit
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match=f"3000x2000 image has 6000000 pixels, above the limit of {limit}$"):
            read(str(path), index=1, max_pixels=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak  # the 6 MB page was never decoded
    assert read(str(path), index=1).pixel_count == 6_000_000  # and it is there to read under the default limit
    with pytest.raises(ImageError, match="pillow-tiff: 3000x2000 image has 6000000 pixels, above the limit of 100$"):
        read(str(path), index=1, max_pixels=100)  # far beyond: the same message, not Pillow's bomb warning
