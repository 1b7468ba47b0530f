"""A minimal PNG writer (zlib from the standard library), for pictures in notebooks and docs.

This is not a codec plugin: it only writes, with filter type 0 and no
ancillary chunks.  Samples of maxval 255 and 65535 are written exactly (8
and 16 bits); any other maxval is scaled to 8 bits (maxval < 256) or 16 bits,
rounding halves up.  One to four channels map to PNG colour types 0 (grey),
4 (grey + alpha), 2 (RGB) and 6 (RGBA).

>>> from refkmeans.image import Image
>>> data = encode_png(Image(1, 1, 3, 255, [255, 0, 0]))
>>> data[:8], data[12:16], len(data)
(b'\\x89PNG\\r\\n\\x1a\\n', b'IHDR', 69)
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array

from ..errors import ImageError
from ..image import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour type for each channel count.
COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def encode_png(image: Image, level: int = 9) -> bytes:
    """``image`` as PNG bytes (see the module docstring for depths and channels)."""
    if image.channels not in COLOUR_TYPES:
        raise ImageError(f"png: cannot show a {image.channels}-channel image (1 to 4 channels)")
    if image.width < 1 or image.height < 1:
        raise ImageError(f"png: cannot write a {image.width}x{image.height} image")
    maxval = image.maxval
    samples = image.samples
    if maxval < 256:
        depth = 8
        if maxval != 255:
            samples = array("B", [(510 * v + maxval) // (2 * maxval) for v in samples])
        raw = array("B", samples).tobytes()
    else:
        depth = 16
        if maxval != 65535:
            samples = array("H", [(131070 * v + maxval) // (2 * maxval) for v in samples])
        wide = array("H", samples)
        if sys.byteorder == "little":
            wide.byteswap()
        raw = wide.tobytes()
    stride = image.width * image.channels * depth // 8
    rows = b"".join(b"\x00" + raw[y * stride : (y + 1) * stride] for y in range(image.height))
    header = struct.pack(">IIBBBBB", image.width, image.height, depth, COLOUR_TYPES[image.channels], 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, level))
        + _chunk(b"IEND", b"")
    )
