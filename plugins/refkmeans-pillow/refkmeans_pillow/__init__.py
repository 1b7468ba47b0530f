"""refkmeans-pillow: JPEG, WebP, TIFF, BMP, GIF and every other Pillow format as refkmeans codecs.

Pillow is this plugin's only dependency; refkmeans itself never imports it.
"""

from __future__ import annotations

from .bridge import PillowCodec, pillow_codecs, to_image

__version__ = "0.1.0"

__all__ = ["PillowCodec", "__version__", "pillow_codecs", "to_image"]
