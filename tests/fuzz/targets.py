"""The decoders under fuzz, and the only outcomes a decoder is allowed.

Adding a decoder is one line in :data:`TARGETS`: the codec's registered
name, a generator of valid files, and its mutators (the generic ones plus
any that know the format, e.g. ones that repair a CRC after damaging a
chunk, so that checks past the CRC are reached).  A target whose codec is
not installed is skipped, so a line may be added before its plugin merges.

:func:`check_decode` is the oracle.  A decoder given any bytes must either

* return an :class:`~refkmeans.image.Image` that is consistent (samples
  match the shape and maxval), within ``max_pixels``, and that the same
  codec can encode and decode back to the same image; or
* raise :class:`~refkmeans.errors.ImageError` with a one-line message,

allocating at most :func:`allocation_allowance` bytes (when ``tracemalloc``
is tracing) and, when the fuzzer asks (``time_limit``), within
:data:`TIME_LIMIT` seconds.  Anything else raises :class:`Crash`.  The test
suite sets no time limit: whether a decode is quick depends on the machine.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import tracemalloc
from array import array
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator, List, NamedTuple, Optional, Union

from refkmeans.codec import Codec
from refkmeans.errors import ImageError
from refkmeans.image import Image, typecode_for

from . import gif_samples, netpbm_samples, png_samples
from .mutators import GENERIC, Mutator

#: Pixel limit while fuzzing: small, so a decoder that allocates for the
#: declared size before checking the limit shows up as an allocation failure.
FUZZ_MAX_PIXELS = 4096
#: Seconds one decode may take in a fuzzing run (inputs are a few KiB; a real decode takes ms).
TIME_LIMIT = 2.0
#: Where the elapsed time of a decode is read from (a test drives it by hand).
clock = time.perf_counter
#: Allocation allowed per input byte: a plain raster becomes a list of
#: tokens (about 40 bytes for a 2-byte token) before it becomes samples.
BYTES_PER_INPUT_BYTE = 64
#: Allocation allowed per pixel of the limit (4 channels, lists of ints).
BYTES_PER_PIXEL = 256
#: Fixed allowance for tables and the interpreter's own noise.
BASE_ALLOWANCE = 256 * 1024


def allocation_allowance(size: int, max_pixels: int = FUZZ_MAX_PIXELS) -> int:
    """The most a decode of ``size`` bytes may allocate: what the file and the limit justify."""
    return BYTES_PER_INPUT_BYTE * size + BYTES_PER_PIXEL * max_pixels + BASE_ALLOWANCE


def same_picture(a: Image, b: Image) -> bool:
    """The same picture, allowing what a format cannot store as it was decoded.

    An alpha channel that is all opaque may be dropped, and samples may be
    rescaled to another maxval (within half a step of the finer scale): PNG,
    for one, has no grey+alpha below 8 bits.
    """
    a, b = _without_opaque_alpha(a), _without_opaque_alpha(b)
    if (a.width, a.height, a.channels) != (b.width, b.height, b.channels):
        return False
    ma, mb = a.maxval, b.maxval
    return all(2 * abs(x * mb - y * ma) <= max(ma, mb) for x, y in zip(a.samples, b.samples))


def _without_opaque_alpha(image: Image) -> Image:
    c = image.channels
    if c not in (2, 4) or any(v != image.maxval for v in image.samples[c - 1 :: c]):
        return image
    kept = array(image.samples.typecode, (v for i, v in enumerate(image.samples) if i % c != c - 1))
    return Image(image.width, image.height, c - 1, image.maxval, kept)


class Target(NamedTuple):
    """One decoder to fuzz."""

    codec: str  # name in the codec registry
    valid_file: Callable[[random.Random], bytes]
    mutators: List[Mutator]
    #: What encode(decode(x)) must decode to: True the same image, a function
    #: (old, new) -> bool a weaker likeness, False nothing (a format that cannot
    #: always write what it reads).
    roundtrip: Union[bool, Callable[[Image, Image], bool]] = True
    #: Measure allocations with tracemalloc.  Off for bridges to C decoders:
    #: their memory is not traced, and tracing their Python glue is very slow.
    traced: bool = True


def encoded_samples(codec_name: str, channels: tuple = (1, 3)) -> Callable[[random.Random], bytes]:
    """Valid files made by a codec's own encoder from small random images (for bridges to other libraries)."""

    def valid_file(rnd: random.Random) -> bytes:
        from refkmeans.plugins import get_registry

        w, h, c = rnd.randint(1, 9), rnd.randint(1, 6), rnd.choice(channels)
        image = Image(w, h, c, 255, bytes(rnd.randrange(256) for _ in range(w * h * c)))
        return get_registry().codec(codec_name).encode(image)

    return valid_file


#: Every decoder: one line each.  PNG writes grey+alpha at 8 bits at least
#: and drops an all-opaque alpha, so its round trip keeps the picture, not
#: the exact Image; GIF cannot hold every image it decodes (more than 256
#: colours after compositing frames), so it skips the round trip.
TARGETS: List[Target] = [
    Target("netpbm", netpbm_samples.valid_file, GENERIC + netpbm_samples.MUTATORS),
    Target("png", png_samples.valid_file, GENERIC + png_samples.MUTATORS, roundtrip=same_picture),
    Target("gif", gif_samples.valid_file, GENERIC + gif_samples.MUTATORS, roundtrip=False),
    Target("pillow-bmp", encoded_samples("pillow-bmp"), GENERIC, traced=False),
    Target("pillow-tiff", encoded_samples("pillow-tiff"), GENERIC, traced=False),
]

#: Plugins whose codecs are deliberately not all fuzzed here, and why.
NOT_FUZZED = {
    "pillow": "a bridge to Pillow's C decoders, which Pillow fuzzes itself (OSS-Fuzz); "
    "two of its codecs (BMP, TIFF) are fuzzed here to check the bridge turns every failure into ImageError",
}


class Crash(AssertionError):
    """A decoder did something it must never do."""


def codec_for(target: Target) -> Optional[Codec]:
    """The installed codec for a target, or None when its plugin is absent."""
    from refkmeans.plugins import get_registry

    entry = get_registry().codecs.get(target.codec)
    return None if entry is None else entry.obj


def installed_targets() -> List[Target]:
    """The targets whose codec is registered here."""
    return [t for t in TARGETS if codec_for(t) is not None]


class _Hang(BaseException):
    """Raised by the alarm: BaseException, so no decoder's ``except Exception`` swallows it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread, POSIX only; otherwise just run it)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Hang:
        raise Crash(f"hang: the decode took more than {seconds} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _one_line(message: str, what: str) -> None:
    if not message or "\n" in message or "\r" in message:
        raise Crash(f"{what} is not one non-empty line: {message!r}")


def check_image(image: object, max_pixels: int) -> Image:
    """An Image a decoder returned must be consistent and within the limit."""
    if not isinstance(image, Image):
        raise Crash(f"decode returned {type(image).__name__}, not an Image")
    w, h, c, maxval = image.width, image.height, image.channels, image.maxval
    if not (w >= 0 and h >= 0 and c >= 1 and 1 <= maxval <= 65535):
        raise Crash(f"decode returned an impossible shape {image!r}")
    if w * h > max_pixels:
        raise Crash(f"decode returned {w}x{h}, above the pixel limit {max_pixels}")
    samples = image.samples
    if not isinstance(samples, array) or samples.typecode != typecode_for(maxval) or len(samples) != w * h * c:
        raise Crash(f"decode returned inconsistent samples for {image!r}")
    if samples and max(samples) > maxval:
        raise Crash(f"decode returned sample {max(samples)} above maxval {maxval}")
    return image


def check_decode(
    codec: Codec,
    data: bytes,
    *,
    index: int = 0,
    max_pixels: int = FUZZ_MAX_PIXELS,
    roundtrip: Union[bool, Callable[[Image, Image], bool]] = True,
    traced: bool = True,
    time_limit: Optional[float] = None,
) -> str:
    """Decode ``data`` and return ``"image"`` or ``"error"``; raise Crash for anything else.

    With ``time_limit``, a decode slower than that is a crash, and one five times
    slower is interrupted as a hang.
    """
    measuring = traced and tracemalloc.is_tracing()
    if measuring:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
    started = clock()
    try:
        with deadline(5 * time_limit) if time_limit else nullcontext():
            image = codec.decode(data, index=index, max_pixels=max_pixels)
    except ImageError as exc:
        _one_line(str(exc), "the error message")
        outcome = "error"
        image = None
    except Crash:
        raise
    except RecursionError as exc:
        raise Crash(f"RecursionError: {exc}") from exc
    except Exception as exc:  # the one thing this harness exists to find
        raise Crash(f"{type(exc).__name__}: {exc}") from exc
    else:
        outcome = "image"
    elapsed = clock() - started
    if time_limit and elapsed > time_limit:
        raise Crash(f"slow: the decode took {elapsed:.2f} s")
    if measuring:
        peak = tracemalloc.get_traced_memory()[1] - before
        allowed = allocation_allowance(len(data), max_pixels)
        if peak > allowed:
            raise Crash(f"allocated {peak} bytes for a {len(data)}-byte input (allowed {allowed})")
    if image is not None:
        check_image(image, max_pixels)
        if roundtrip:
            _check_roundtrip(codec, image, max_pixels, None if roundtrip is True else roundtrip)
    return outcome


def _check_roundtrip(
    codec: Codec, image: Image, max_pixels: int, same: Optional[Callable[[Image, Image], bool]] = None
) -> None:
    """What a codec decodes it must be able to write, and read back the same (or ``same``)."""
    try:
        encoded = codec.encode(image)
        again = codec.decode(encoded, max_pixels=max_pixels)
    except Exception as exc:
        raise Crash(f"round trip of a decoded {image!r} failed: {type(exc).__name__}: {exc}") from exc
    if not (again == image if same is None else same(image, again)):
        raise Crash(f"round trip changed the image {image!r} into {again!r}")
