"""Reading and writing image files through the codec registry, safely.

Writes never leave a partial file: the bytes go to a temporary file in the
destination's folder, which is renamed into place only when complete.  An
existing file is replaced only with ``force``.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from array import array
from typing import BinaryIO, Callable, List, Optional, Sequence, Tuple

from . import missing
from .codec import DEFAULT_MAX_PIXELS, Codec
from .errors import ImageError, OutputError, PluginError, RefKMeansError, UsageError
from .image import Image, InvalidImage, check_samples, check_shape
from .plugins import Registry, get_registry

#: How many leading bytes codecs get to recognise a format.
SNIFF_BYTES = 64

#: Input bytes allowed per pixel of the pixel limit (KM-LIM-4): more than the
#: wordiest encoding needs (plain 16-bit PPM takes 18), so only a file that
#: cannot be an image within the limit (``/dev/zero``, say) is refused.
BYTES_PER_PIXEL = 64
#: Input bytes allowed on top of that, for headers, comments and palettes.
HEADER_BYTES = 1 << 20
_CHUNK = 1 << 20


def max_input_bytes(max_pixels: int) -> int:
    """The largest input file read for a pixel limit: 64 bytes a pixel plus 1 MiB."""
    return BYTES_PER_PIXEL * max_pixels + HEADER_BYTES


def read_bytes(path: str, limit: Optional[int] = None, check_head: Optional[Callable[[bytes], None]] = None) -> bytes:
    """The whole file (``-`` is standard input), or an ImageError saying why not.

    With ``limit``, a file longer than ``limit`` bytes is refused without
    reading more than ``limit + 1`` of them (a regular file not at all).
    ``check_head`` sees the first :data:`SNIFF_BYTES` (fewer in a shorter
    file) before the rest is read and raises to refuse the file, so that
    ``/dev/zero`` is turned away after 64 bytes, not after the limit.
    """
    path = file_name(path)
    try:
        if path == "-":
            return _read_stream(sys.stdin.buffer, path, limit, check_head)
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISREG(info.st_mode):
                if limit is not None and info.st_size > limit:
                    raise _too_big(path, limit)
                if check_head is not None:
                    check_head(f.read(SNIFF_BYTES))
                    f.seek(0)
                return f.read()
            return _read_stream(f, path, limit, check_head)  # a pipe or a device: no size to trust
    except IsADirectoryError:
        raise ImageError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None


def file_name(path: object) -> str:
    """``path`` as a file name: a str or os.PathLike; anything else (a file descriptor, None) is a UsageError.

    ``open(0)`` would read, then close, standard input: an integer is not taken as a file.
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        raise UsageError(f"a file name (str or os.PathLike) is needed, got {type(path).__name__} {path!r}")
    return path


def _read_stream(
    stream: BinaryIO, path: str, limit: Optional[int], check_head: Optional[Callable[[bytes], None]]
) -> bytes:
    """Read to the end in chunks, stopping as soon as ``limit`` is passed."""
    data = bytearray()
    while True:
        chunk = stream.read(SNIFF_BYTES if check_head is not None else _CHUNK)
        if check_head is not None and (not chunk or len(data) + len(chunk) >= SNIFF_BYTES):
            check_head(bytes(data + chunk)[:SNIFF_BYTES])
            check_head = None
        if not chunk:
            return bytes(data)
        data += chunk
        if limit is not None and len(data) > limit:
            raise _too_big(path, limit)


def _too_big(path: str, limit: int) -> ImageError:
    return ImageError(
        f"cannot read {path}: it is larger than {limit} bytes, more than an image "
        "within the pixel limit needs (raise --max-pixels to allow it)"
    )


def read(
    path: str,
    *,
    index: int = 0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    codec: Optional[str] = None,
    registry: Optional[Registry] = None,
) -> Image:
    """Read image number ``index`` of a file, choosing the codec by its content."""
    registry = registry or get_registry()
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise UsageError(f"the pixel limit must be a positive integer, got {max_pixels!r}")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise UsageError(f"the image index must be an integer, 0 or more (0 is the first image), got {index!r}")
    found: List[Codec] = []
    if codec is not None:
        found.append(registry.codec(codec))

    def recognise(head: bytes) -> None:
        chosen = registry.codec_for_data(head)
        if chosen is None:
            known = ", ".join(sorted(registry.codecs))
            raise ImageError(f"{path}: not a format any codec recognises (codecs: {known}){missing.for_data(head)}")
        found.append(chosen)

    data = read_bytes(path, max_input_bytes(max_pixels), None if found else recognise)
    return decode(found[0], data, path, index=index, max_pixels=max_pixels)


def decode(codec: Codec, data: bytes, path: str, *, index: int, max_pixels: int) -> Image:
    """Run a codec's decoder, turning any stray exception into a PluginError."""
    try:
        image = codec.decode(data, index=index, max_pixels=max_pixels)
    except InvalidImage as exc:
        raise PluginError(f"codec {codec.name!r} built an inconsistent image for {path}: {exc}") from None
    except ImageError as exc:
        raise ImageError(f"{path}: {exc}") from None
    except RefKMeansError:
        raise
    except MemoryError:
        raise ImageError(f"{path}: not enough memory to decode") from None
    except Exception as exc:
        raise PluginError(f"codec {codec.name!r} crashed on {path}: {type(exc).__name__}: {exc}") from None
    _check_decoded(codec, image, path, max_pixels)
    return image


def _check_decoded(codec: Codec, image: object, path: str, max_pixels: int) -> None:
    """Refuse what no codec should return: not an Image, inconsistent, or over the limit."""
    if not isinstance(image, Image):
        raise PluginError(f"codec {codec.name!r} returned {type(image).__name__} for {path}, not an Image")
    try:
        # Again, as returned: a codec may have changed the fields after building the Image.
        check_shape(image.width, image.height, image.channels, image.maxval, image.tupltype)
        check_samples(image.width, image.height, image.channels, image.maxval, image.samples)
    except InvalidImage as exc:
        raise PluginError(f"codec {codec.name!r} returned an inconsistent image for {path}: {exc}") from None
    if image.pixel_count > max_pixels:
        raise PluginError(
            f"codec {codec.name!r} ignored the pixel limit: it returned a {image.width}x{image.height} "
            f"image for {path}, the limit is {max_pixels}"
        )


def codec_for_path(path: str, registry: Registry, format: Optional[str] = None) -> Codec:
    """The codec to write ``path`` with: ``format`` if given, else by extension."""
    if format is not None:
        return registry.codec(format)
    extension = os.path.splitext(path)[1]
    codec = registry.codec_for_extension(extension)
    if codec is None:
        raise UsageError(
            f"cannot tell the output format from {path!r}; give --format or an extension such as .ppm{missing.for_extension(path)}"
        )
    return codec


def encode(
    image: Image,
    codec: Codec,
    palette: Optional[Sequence[Tuple[int, ...]]] = None,
    indices: Optional[array] = None,
    plain: bool = False,
) -> bytes:
    """Encode with a codec, turning a stray exception into a PluginError."""
    try:
        data = codec.encode(image, palette=palette, indices=indices, plain=plain)
    except RefKMeansError:
        raise
    except Exception as exc:
        raise PluginError(f"codec {codec.name!r} failed to encode: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, (bytes, bytearray)):
        raise PluginError(f"codec {codec.name!r} returned {type(data).__name__}, not bytes")
    return bytes(data)


def write(
    path: str,
    image: Image,
    *,
    format: Optional[str] = None,
    palette: Optional[Sequence[Tuple[int, ...]]] = None,
    indices: Optional[array] = None,
    plain: bool = False,
    force: bool = False,
    registry: Optional[Registry] = None,
) -> int:
    """Encode ``image`` and write it to ``path`` atomically; returns the byte count."""
    registry = registry or get_registry()
    if path == "-":
        codec = registry.codec(format or "netpbm")
    else:
        check_writable(path, force)  # before encoding: fail before the work
        codec = codec_for_path(path, registry, format)
    return write_bytes(path, encode(image, codec, palette, indices, plain), force)


def write_bytes(path: str, data: bytes, force: bool = False) -> int:
    """Write finished bytes to ``path``: ``-`` is stdout, a device or pipe is
    written directly, anything else atomically.  Returns the byte count."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return len(data)
    check_writable(path, force)
    if is_stream(path):
        write_stream(path, data)
    else:
        write_atomic(path, data)
    return len(data)


def check_writable(path: str, force: bool) -> None:
    """Refuse a directory, a missing folder, or an existing file without ``force``.

    A character device or a named pipe (``/dev/null``, a FIFO) is written
    into, not replaced, so it needs no ``force``; any other file that is
    not a regular file (a block device, a socket) is refused.
    """
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if is_stream(path):
        return
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise OutputError(f"cannot write {path}: it is not a regular file")
    if os.path.lexists(path) and not force:
        raise OutputError(f"{path} exists; use --force (force=True in Python) to replace it")


def names_a_stream(path: str) -> bool:
    """True for an input with no file name to build an output name from.

    ``-``, a device or pipe, and anything under ``/dev`` or ``/proc``
    (``/dev/stdin``, ``/dev/fd/3``, even when it is redirected from a file):
    ``/dev/stdin-k16.ppm`` is no place for an output.
    """
    if path == "-" or is_stream(path):
        return True
    return os.path.abspath(path).startswith(("/dev/", "/proc/"))


def is_stream(path: str) -> bool:
    """True when ``path`` is (or links to) a character device or a named pipe."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_stream(path: str, data: bytes) -> None:
    """Write into a device or pipe: renaming a file over it would replace the device."""
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    On any failure, Ctrl-C included, the temporary file is removed and
    ``path`` is left as it was.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a new file gets.
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _new_file_mode(path: str) -> int:
    """The replaced file's mode, or 0666 less the umask for a new file."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
