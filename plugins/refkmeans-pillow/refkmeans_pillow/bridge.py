"""One refkmeans codec per image format that the installed Pillow knows.

Each codec is named ``pillow-<format>`` (``pillow-jpeg``, ``pillow-webp``,
``pillow-tiff``, ...), claims Pillow's file extensions for that format, and
recognises files with Pillow's own signature check.  PNG and Netpbm are left
to the pure-Python codecs (``png`` from refkmeans-png, the built-in
``netpbm``), so installing Pillow never changes how those files are read.

Reading
    The file is opened lazily, its size is checked against ``max_pixels``
    before any pixel is decoded (Pillow's own bomb check is set to the same
    limit), ``index`` picks a frame of an animated or multi-page file, and
    the EXIF orientation is applied, so a camera JPEG comes out upright.
    Modes become samples: 1 → one channel at maxval 1 (BLACKANDWHITE);
    L, LA, RGB, RGBA as they are at maxval 255; I;16 → one channel at
    65535; P and PA → RGB, or RGBA when the palette has transparency;
    CMYK, YCbCr and other colour modes → RGB through Pillow's conversion.
    Colour profiles are not applied.

Untrusted input
    Some Pillow formats hand the file to an external program: EPS and
    PostScript run Ghostscript, which executes the file as a program.  Their
    codecs never recognise a file by its content, so a file is decoded by
    them only when the caller names the codec (``read(path,
    codec="pillow-eps")``); a ``%!PS`` file given to the command line is
    refused as unrecognised.  Writing them is pure Python and stays enabled.

Writing
    An RGB image that comes with a palette of at most 256 colours is
    written in Pillow's P mode where the format allows it (GIF, BMP, TIFF,
    ...), so Pillow does not quantize it again; otherwise the image is
    written as 1, L, LA, RGB, RGBA or I;16.  Samples at a maxval below 255
    are rescaled to 255 (nearest, halves up).  Colour beyond 8 bits, or a
    mode the format cannot hold (RGBA as JPEG, say), is an ImageError, not
    a silent loss.  Pillow's default settings are used for every format.
"""

from __future__ import annotations

import io
import sys
import warnings
from array import array
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from PIL import Image as PILImage
from PIL import ImageOps

from refkmeans.codec import DEFAULT_MAX_PIXELS, Codec
from refkmeans.errors import ImageError, UsageError
from refkmeans.image import Image

#: Formats left to other codecs (pure Python) or that Pillow cannot decode itself.
SKIPPED = frozenset({"PNG", "PPM", "BUFR", "GRIB", "HDF5", "MPEG", "WMF"})

#: Formats whose decoder runs an external program, and that program.
EXTERNAL_DECODERS = {"EPS": "Ghostscript"}

_EIGHT_BIT = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_CONVERTED = {"La": "LA", "RGBa": "RGBA", "RGBX": "RGB", "PA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB", "HSV": "RGB", "LAB": "RGB"}


@contextmanager
def _pixel_limit(max_pixels: int) -> Iterator[None]:
    """Pillow's decompression-bomb limit set to ours (and its warnings silenced) during a decode."""
    saved = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            # Pillow's warnings (the bomb warning, damaged metadata) are not ours to print.
            warnings.simplefilter("ignore")
            yield
    finally:
        PILImage.MAX_IMAGE_PIXELS = saved


class PillowCodec(Codec):
    """Reads and writes one Pillow format."""

    def __init__(self, format: str, extensions: Sequence[str]) -> None:
        self.format = format
        self.name = "pillow-" + format.lower()
        self.extensions = tuple(extensions)
        self.readable = format in PILImage.OPEN
        self.writable = format in PILImage.SAVE
        abilities = "/".join(word for word, able in (("read", self.readable), ("write", self.writable)) if able)
        self.description = f"{format} through Pillow {PILImage.__version__ if hasattr(PILImage, '__version__') else ''} ({abilities})".replace("  ", " ")
        if format in EXTERNAL_DECODERS and self.readable:
            self.description += f"; reads only when named, since decoding runs {EXTERNAL_DECODERS[format]}"

    def sniff(self, head: bytes) -> bool:
        """Pillow's own test of the leading bytes, where the format has one.

        Formats that run an external program are never recognised by content.
        """
        if self.format in EXTERNAL_DECODERS:
            return False
        accept = PILImage.OPEN.get(self.format, (None, None))[1]
        if accept is None:
            return False
        try:
            return bool(accept(head))
        except Exception:  # a signature check that needs more bytes than we have
            return False

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
        """Decode frame ``index`` of the file through Pillow."""
        if not self.readable:
            raise ImageError(f"{self.name}: Pillow cannot read {self.format}")
        with _pixel_limit(max_pixels):
            try:
                picture: Any = PILImage.open(io.BytesIO(data), formats=[self.format])
            except PILImage.DecompressionBombError as exc:
                raise ImageError(f"{self.name}: {exc}") from None
            except Exception as exc:
                # Pillow's messages may name the BytesIO object (an address); keep the line stable.
                reason = str(exc).split(" <_io.")[0] or type(exc).__name__
                raise ImageError(f"{self.name}: cannot read the file: {reason}") from None
            _check_size(picture, self.name, max_pixels)
            try:
                if index:
                    picture.seek(index)
                    # Frames and pages may each have their own size: check the one to be decoded.
                    _check_size(picture, self.name, max_pixels)
                picture = ImageOps.exif_transpose(picture) or picture
                picture.load()
            except (ImageError, PILImage.DecompressionBombError) as exc:
                raise ImageError(f"{self.name}: {exc}" if isinstance(exc, PILImage.DecompressionBombError) else str(exc)) from None
            except EOFError:
                frames = getattr(picture, "n_frames", 1)
                raise ImageError(f"{self.name}: image {index} requested (counting from 0) but the file holds {frames}") from None
            except Exception as exc:
                raise ImageError(f"{self.name}: cannot decode the file: {exc}") from None
        return to_image(picture, self.name)

    def encode(
        self,
        image: Image,
        *,
        palette: Optional[Sequence[Tuple[int, ...]]] = None,
        indices: Optional[array] = None,
        plain: bool = False,
    ) -> bytes:
        """Encode through Pillow, in the first mode the format accepts."""
        if not self.writable:
            raise ImageError(f"{self.name}: Pillow cannot write {self.format}")
        failures: List[str] = []
        for picture in candidates(image, palette, indices, self.name):
            out = io.BytesIO()
            try:
                picture.save(out, format=self.format)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                failures.append(f"{picture.mode}: {exc}")
                continue
            return out.getvalue()
        raise UsageError(f"{self.name}: cannot write this {image.channels}-channel image: {'; '.join(failures)}; choose another format such as .png")


def _check_size(picture: Any, name: str, max_pixels: int) -> None:
    """Refuse a frame over the pixel limit before any of its pixels is decoded."""
    width, height = picture.size
    if width * height > max_pixels:
        raise ImageError(f"{name}: {width}x{height} image has {width * height} pixels, above the limit of {max_pixels}")


def to_image(picture: Any, name: str) -> Image:
    """A decoded Pillow image as a refkmeans Image (see the module notes for modes)."""
    mode = picture.mode
    width, height = picture.size
    if mode == "P":
        mode = "RGBA" if "transparency" in picture.info else "RGB"
        picture = picture.convert(mode)
    elif mode in _CONVERTED:
        try:
            picture = picture.convert(_CONVERTED[mode])
        except ValueError as exc:
            raise ImageError(f"{name}: cannot convert mode {mode} to {_CONVERTED[mode]}: {exc}") from None
        mode = picture.mode
    if mode == "1":
        grey = picture.convert("L").tobytes()
        return Image(width, height, 1, 1, array("B", grey.translate(bytes(1 if v else 0 for v in range(256)))), "BLACKANDWHITE")
    if mode in _EIGHT_BIT:
        return Image(width, height, _EIGHT_BIT[mode], 255, array("B", picture.tobytes()))
    if mode.startswith("I;16") or mode == "I":
        if mode == "I":
            low, high = picture.getextrema()
            if low < 0 or high > 65535:
                raise ImageError(f"{name}: 32-bit samples {low}..{high} do not fit 0..65535")
            picture = picture.convert("I;16")
        samples = array("H", picture.tobytes("raw", "I;16"))  # little-endian 16-bit
        if sys.byteorder == "big":
            samples.byteswap()
        return Image(width, height, 1, 65535, samples)
    raise ImageError(f"{name}: Pillow mode {mode} is not supported")


def candidates(
    image: Image, palette: Optional[Sequence[Tuple[int, ...]]], indices: Optional[array], name: str
) -> Iterator[Any]:
    """Pillow images holding ``image``, best first (indexed, then direct)."""
    w, h, channels, maxval = image.width, image.height, image.channels, image.maxval
    if channels == 3 and maxval == 255 and palette is not None and indices is not None and len(palette) <= 256:
        indexed = PILImage.frombytes("P", (w, h), bytes(indices))
        indexed.putpalette([v for colour in palette for v in colour], "RGB")
        yield indexed
    if channels == 1 and maxval > 255:
        wide = array("H", image.samples)
        if maxval != 65535:  # I;16 means 0..65535: rescale, nearest with halves up
            wide = array("H", [(2 * v * 65535 + maxval) // (2 * maxval) for v in wide])
        if sys.byteorder == "big":
            wide.byteswap()
        yield PILImage.frombytes("I;16", (w, h), wide.tobytes())
        return
    if maxval > 255:
        raise UsageError(f"{name}: Pillow holds {channels}-channel images at 8 bits only, this one has maxval {maxval}; use .png or .pam")
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise UsageError(f"{name}: Pillow cannot hold {channels} channels")
    samples = bytes(image.samples)
    if channels == 1 and maxval == 1:
        yield PILImage.frombytes("L", (w, h), samples.translate(bytes([0, 255]) + bytes(254))).convert("1")
    if maxval != 255:
        samples = samples.translate(bytes((2 * v * 255 + maxval) // (2 * maxval) if v <= maxval else 0 for v in range(256)))
    yield PILImage.frombytes(modes[channels], (w, h), samples)


def pillow_codecs() -> List[PillowCodec]:
    """A codec for every format of the installed Pillow, except those in SKIPPED."""
    PILImage.init()
    extensions: Dict[str, List[str]] = {}
    for extension, format in PILImage.registered_extensions().items():
        extensions.setdefault(format, []).append(extension.lower())
    formats = (set(PILImage.OPEN) | set(PILImage.SAVE)) - SKIPPED
    return [PillowCodec(format, sorted(extensions.get(format, []))) for format in sorted(formats)]


def register_all(register: Callable[[Codec], None]) -> None:
    """Register every Pillow codec."""
    for codec in pillow_codecs():
        register(codec)
