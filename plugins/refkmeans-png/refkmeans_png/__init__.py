"""refkmeans-png: a PNG codec for refkmeans in pure Python (zlib and struct only).

=========================  ===============================================
``PngCodec``                the codec the plugin registers as ``png``
``decode_png(data)``        a PNG file's bytes to an :class:`refkmeans.Image`
``encode_png(image, ...)``  an image to PNG bytes, with every choice open
=========================  ===============================================

>>> from refkmeans.image import Image
>>> data = encode_png(Image(2, 1, 3, 255, [255, 0, 0, 0, 0, 255]))
>>> data[1:4], data[25], decode_png(data).pixels()   # 'PNG', colour type 3 (indexed)
(b'PNG', 3, [(255, 0, 0), (0, 0, 255)])
"""

from __future__ import annotations

from .decode import decode_png
from .encode import encode_png
from .plugin import PngCodec, refkmeans_register_codecs

__version__ = "0.1.0"

__all__ = ["PngCodec", "__version__", "decode_png", "encode_png", "refkmeans_register_codecs"]
