"""What an image codec plugin provides, and the limits every decoder honours."""

from __future__ import annotations

from array import array
from typing import Optional, Sequence, Tuple

from .image import Image

#: Default ceiling on width x height, checked before any large allocation.
DEFAULT_MAX_PIXELS = 100_000_000


class Codec:
    """Base class for codecs.  Subclasses set the attributes and override both methods.

    ``decode`` receives the whole file as ``bytes`` so that it can never read
    past the end, and must raise :class:`refkmeans.errors.ImageError` (with
    the byte offset of the problem) for anything malformed.  ``encode``
    returns the file as ``bytes``; the host writes it atomically.
    """

    name = ""
    description = ""
    #: File name extensions, lower case with the dot, the first is the default.
    extensions: Tuple[str, ...] = ()

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the first bytes of a file) looks like this format."""
        return False

    def decode(
        self, data: bytes, *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> Image:
        """Decode image number ``index`` (0 = first) of ``data``."""
        raise NotImplementedError

    def encode(
        self,
        image: Image,
        *,
        palette: Optional[Sequence[Tuple[int, ...]]] = None,
        indices: Optional[array] = None,
        plain: bool = False,
    ) -> bytes:
        """Encode ``image``.

        When ``palette`` and ``indices`` are given, ``image`` is their
        expansion (``image`` pixel i == ``palette[indices[i]]``); a format
        with indexed colour may use them instead of ``image``.
        ``plain`` asks for a text variant where the format has one.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<codec {self.name} {' '.join(self.extensions)}>"
