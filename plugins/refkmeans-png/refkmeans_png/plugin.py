"""The ``png`` codec and the hook that registers it with refkmeans."""

from __future__ import annotations

from array import array
from typing import Callable, Optional, Sequence, Tuple

from refkmeans import hookimpl
from refkmeans.codec import DEFAULT_MAX_PIXELS, Codec
from refkmeans.errors import ImageError
from refkmeans.image import Image

from .chunks import SIGNATURE
from .decode import decode_png
from .encode import encode_png


class PngCodec(Codec):
    """PNG in pure Python: reads every valid PNG, writes indexed PNG when it can."""

    name = "png"
    description = "PNG (pure Python: zlib and struct); indexed output at 1/2/4/8 bits"
    extensions = (".png",)

    def sniff(self, head: bytes) -> bool:
        """A PNG starts with its 8-byte signature."""
        return head[:8] == SIGNATURE

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
        """Decode the file's one image (``index`` must be 0)."""
        if index != 0:
            raise ImageError(f"png: image {index} requested (counting from 0) but a PNG holds one image")
        return decode_png(data, max_pixels=max_pixels)

    def encode(
        self,
        image: Image,
        *,
        palette: Optional[Sequence[Tuple[int, ...]]] = None,
        indices: Optional[array] = None,
        plain: bool = False,
    ) -> bytes:
        """Encode as small a PNG as the encoder finds; ``plain`` has no meaning for PNG."""
        return encode_png(image, palette=palette, indices=indices)


@hookimpl
def refkmeans_register_codecs(register: Callable[[Codec], None]) -> None:
    """Register the PNG codec."""
    register(PngCodec())
