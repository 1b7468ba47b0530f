"""Reading and writing image files through the codec registry, safely.

Writes never leave a partial file: the bytes go to a temporary file in the
destination's folder, which is renamed into place only when complete.  An
existing file is replaced only with ``force``; without it the final name is
created exclusively, so a file that appears there meanwhile is kept.  A path
that names a standard stream or a device (``/dev/stdout``, ``/dev/fd/3``,
``/dev/null``, a FIFO) is written into as a stream, never replaced.
:func:`write_bytes` is the one output path every command uses.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from array import array
from typing import BinaryIO, Callable, List, Optional, Sequence, Tuple

from . import missing
from .codec import DEFAULT_MAX_PIXELS, Codec
from .errors import ImageError, OutputError, PluginError, RefKMeansError, UsageError
from .image import Image, InvalidImage, check_samples, check_shape
from .plugins import Registry, exit_message, get_registry, plugin_output

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
            if sys.stdin is None:
                raise ImageError("cannot read standard input: it is closed")
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
        with plugin_output():
            image = codec.decode(data, index=index, max_pixels=max_pixels)
    except InvalidImage as exc:
        raise PluginError(f"codec {codec.name!r} built an inconsistent image for {path}: {exc}") from None
    except ImageError as exc:
        if type(exc).exit_code != ImageError.exit_code:
            raise _codec_failure(codec, exc, f"decoding {path}") from None
        raise ImageError(f"{path}: {exc}") from None
    except (RefKMeansError, SystemExit) as exc:
        raise _codec_failure(codec, exc, f"decoding {path}") from None
    except MemoryError:
        raise  # the one out-of-memory report (cli.main), wherever it happens
    except Exception as exc:
        raise PluginError(f"codec {codec.name!r} crashed on {path}: {type(exc).__name__}: {exc}") from None
    _check_decoded(codec, image, path, max_pixels)
    return image


def _codec_failure(codec: Codec, exc: BaseException, doing: str) -> BaseException:
    """What a codec's error becomes: ImageError (exit 3) and UsageError (exit 2) as they are;
    anything else, a RefKMeansError with another exit code or sys.exit(), a PluginError (exit 4)."""
    for kind in (ImageError, UsageError):
        if isinstance(exc, kind) and type(exc).exit_code == kind.exit_code:
            return exc
    if isinstance(exc, SystemExit):
        return PluginError(f"codec {codec.name!r} {exit_message(exc)} while {doing}")
    return PluginError(f"codec {codec.name!r} failed while {doing}: {type(exc).__name__}: {exc}")


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
    if not extension and (_named_descriptor(path) is not None or is_stream(path)):
        return registry.codec("netpbm")  # /dev/stdout, a FIFO: like -, Netpbm unless --format says otherwise
    codec = registry.codec_for_extension(extension)
    if codec is None:
        raise UsageError(
            f"cannot tell the output format from {path!r}; give --format or an extension such as .ppm{missing.for_extension(path)}"
        )
    return codec


def check_encodable(
    path: str, image: Image, registry: Registry, format: Optional[str] = None, plain: bool = False
) -> None:
    """Before the work: refuse a format that cannot hold an image of this shape.

    A 1x1 image with the same channels, maxval and tuple type is encoded
    and thrown away, so ``-o out.gif`` for a 5-channel PAM fails at once,
    not after the clustering.
    """
    codec = registry.codec(format or "netpbm") if path == "-" else codec_for_path(path, registry, format)
    probe = Image(1, 1, image.channels, image.maxval, [0] * image.channels, image.tupltype)
    encode(probe, codec, [(0,) * image.channels], array("B", [0]), plain)


def encode(
    image: Image,
    codec: Codec,
    palette: Optional[Sequence[Tuple[int, ...]]] = None,
    indices: Optional[array] = None,
    plain: bool = False,
) -> bytes:
    """Encode with a codec, turning a stray exception into a PluginError."""
    try:
        with plugin_output():
            data = codec.encode(image, palette=palette, indices=indices, plain=plain)
    except (RefKMeansError, SystemExit) as exc:
        raise _codec_failure(codec, exc, "encoding") from None
    except MemoryError:
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
    """Write finished bytes to ``path``, the one way every command writes a file.

    ``-`` is standard output; a path naming a standard stream or a device
    (:func:`is_stream`) is written into, never replaced; anything else is
    written atomically, replacing an existing file only with ``force`` (and
    then created exclusively, so a file that appears meanwhile is kept).
    Returns the byte count.
    """
    fd = 1 if path == "-" else _named_descriptor(path)
    if fd == 1:
        _write_stdout(data, "standard output" if path == "-" else path)
        return len(data)
    check_writable(path, force)
    if fd is not None:
        _write_fd(fd, data, path)
    elif is_stream(path):
        write_stream(path, data)
    else:
        write_atomic(path, data, force)
    return len(data)


def _write_stdout(data: bytes, name: str) -> None:
    """Write to standard output (a closed one, or a reader gone, is an OutputError)."""
    if sys.stdout is None:
        raise OutputError(f"cannot write {name}: standard output is closed")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise OutputError(f"cannot write {name}: the reader closed the pipe") from None
    except OSError as exc:
        raise OutputError(f"cannot write {name}: {exc.strerror or exc}") from None


def _write_fd(fd: int, data: bytes, name: str) -> None:
    """Write all of ``data`` to an open descriptor, as a redirection left it (appending or not)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        raise OutputError(f"cannot write {name}: the reader closed the pipe") from None
    except OSError as exc:
        raise OutputError(f"cannot write {name}: {exc.strerror or exc}") from None


#: Paths that name one of this process's open descriptors.
_DESCRIPTOR = re.compile(r"/dev/(?:(stdin)|(stdout)|(stderr)|fd/(\d+))|/proc/(?:self|thread-self|\d+)/fd/(\d+)")


def _named_descriptor(path: str) -> Optional[int]:
    """The descriptor ``/dev/stdout``, ``/dev/fd/N`` or ``/proc/self/fd/N`` names, or None.

    Opening such a path anew would truncate a redirected file, or, renamed
    over, replace the symlink itself; writing to the descriptor keeps the
    redirection's meaning.
    """
    match = _DESCRIPTOR.fullmatch(os.path.abspath(path))
    if match is None:
        return None
    stdin, stdout, stderr, dev_fd, proc_fd = match.groups()
    if match.group(0).startswith("/proc/") and not re.match(rf"/proc/(self|thread-self|{os.getpid()})/", match.group(0)):
        return None  # another process's descriptor: treated like any device path
    fd = 0 if stdin else 1 if stdout else 2 if stderr else int(dev_fd or proc_fd)
    try:
        os.fstat(fd)
    except OSError:
        return None
    return fd


def _device_path(path: str) -> bool:
    """True for a path in /dev (not /dev/shm, a folder for files) or /proc: never a place for a new regular file."""
    real = os.path.realpath(path)
    return real.startswith("/proc/") or (os.path.dirname(real) == "/dev")


def check_writable(path: str, force: bool) -> None:
    """Refuse a directory, a missing folder, or an existing file without ``force``.

    A standard stream, a character device or a named pipe (``/dev/stdout``,
    ``/dev/null``, a FIFO) is written into, not replaced, so it needs no
    ``force``; any other file that is not a regular file (a block device,
    a socket), and any new name under ``/dev`` or ``/proc``, is refused.
    """
    if _named_descriptor(path) is not None or is_stream(path):
        return
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise OutputError(f"cannot write {path}: it is not a regular file")
    if _device_path(path):
        raise OutputError(f"cannot write {path}: it names no device or stream, and /dev and /proc hold no output files")
    if os.path.lexists(path) and not force:
        raise OutputError(f"{path} exists; use --force (force=True in Python) to replace it")


def check_not_input(output: Optional[str], **inputs: Optional[str]) -> None:
    """Refuse an output (``-`` and ``/dev/stdout`` included) that is one of the files read.

    ``inputs`` are named by what they are (``input=...``, ``palette=...``);
    ``-`` and None among them are skipped.  ``-o -`` with standard output
    opened on the input (``1<>in.ppm``) would overwrite it as surely as
    ``-o in.ppm``: it is compared by the descriptor.
    """
    if output is None:
        return
    fd = 1 if output == "-" else _named_descriptor(output)
    try:
        written = os.fstat(fd) if fd is not None else os.stat(output)
    except OSError:
        return  # nothing there yet: it cannot be an input
    if not stat.S_ISREG(written.st_mode):
        return  # a terminal, a pipe, /dev/null: writing there changes no file
    for what, path in inputs.items():
        if path is None or path == "-":
            continue
        try:
            read = os.stat(path)
        except OSError:
            continue
        if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
            shown = "standard output" if output == "-" else f"output {output}"
            raise UsageError(f"{shown} is the {what} {path}; choose another output")


def file_size(path: str) -> Optional[int]:
    """The size of a file, or None for ``-`` or a file gone since it was read (it is only reported)."""
    if path == "-":
        return None
    try:
        return os.path.getsize(path)
    except OSError:
        return None


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
    """Write into a device or pipe that exists: renaming a file over it would replace the device."""
    try:
        fd = os.open(path, os.O_WRONLY)  # no O_CREAT: a device that vanished is not made a file
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        _write_fd(fd, data, path)
    finally:
        os.close(fd)


#: Bytes of the output's name kept in the temporary name: "." + name + "." + 8 random + ".tmp"
#: must fit the usual 255-byte limit on a file name.
_TEMP_NAME_BYTES = 255 - len(".") - len(".") - 8 - len(".tmp")


def temporary_prefix(path: str) -> str:
    """The start of the temporary files' names for ``path``: ``.NAME.`` (NAME cut to fit)."""
    name = os.fsencode(os.path.basename(path))[:_TEMP_NAME_BYTES]
    return "." + os.fsdecode(name) + "."


def write_atomic(path: str, data: bytes, force: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into place.

    With ``force`` the temporary file replaces ``path``; without, it is
    linked to ``path`` only if no file is there (a file created meanwhile
    is kept, and the write fails).  On any failure, Ctrl-C included, the
    temporary file is removed and ``path`` is left as it was.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a new file gets.
        os.chmod(temp, _new_file_mode(path))
        if force:
            os.replace(temp, path)
        else:
            _move_exclusively(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, FileExistsError):
            raise OutputError(f"{path} was created by someone else while refkmeans wrote it; kept it (use --force to replace it)") from None
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _move_exclusively(temp: str, path: str) -> None:
    """Give ``temp`` the name ``path`` only if ``path`` does not exist (FileExistsError if it does)."""
    try:
        os.link(temp, path)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # No hard links here (FAT, some network file systems): claim the name, then fill it.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(temp, path)
        return
    os.unlink(temp)


def _new_file_mode(path: str) -> int:
    """The replaced file's mode, or 0666 less the umask for a new file."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
