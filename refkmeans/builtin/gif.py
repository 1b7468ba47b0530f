"""GIF (87a and 89a): a pure-Python codec with its own LZW, still and animated.

A GIF holds at most 256 colours per frame, which is exactly what a quantized
image is: a palette and one index per pixel.  ``refkmeans quantize -o
out.gif`` therefore writes the palette and indices as they are, and
``refkmeans animate`` writes one frame per k-means iteration.

Writing
    An animation of full-screen frames on one global palette, or with a
    local table per frame (:func:`encode_global_animation`), with the delays,
    disposals and loop count :func:`timing` reads from a GIF.
    One- and three-channel images; two- and four-channel images when every
    alpha sample is 0 or maxval (alpha 0 becomes the transparent index).
    Samples are scaled to 0..255 with ``(510 v + maxval) // (2 maxval)``
    (round half up), so only maxval 255 is lossless.  When the caller gives
    ``palette`` and ``indices`` (at most 256 colours) they are used as they
    are; otherwise the distinct colours, in order of first occurrence, make
    the colour table, and more than 256 is an error that says what to do.

Reading
    Global and local colour tables, interlacing, the graphic control
    extension (transparency, disposal methods 0-3), any other extension
    skipped.  ``index`` picks a frame; frames are composited on the logical
    screen as a viewer shows them, with disposal "restore to background"
    clearing to transparent, as browsers do.  A frame that reaches past the
    logical screen is clipped.  The result is RGB, or RGB_ALPHA when some
    pixel of the composited frame is transparent.  Frames are decoded one
    at a time onto the screen (an RGBA array, 4 bytes a pixel, painted row
    by row with ``bytes.translate``), and the screen's array becomes the
    image: decoding frame 1000 holds no more than decoding frame 0.

LZW
    GIF's variant: codes are written least significant bit first, the code
    size grows from ``min_code_size + 1`` to 12 bits, and the encoder sends a
    clear code when the 4096-entry table is full.

Every problem raises :class:`~refkmeans.errors.ImageError` with one line
``gif: <what is wrong> at byte <offset>``.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Iterator, NamedTuple, Optional, Union

from ..codec import DEFAULT_MAX_PIXELS, Codec
from ..errors import ImageError, UsageError
from ..hookspecs import hookimpl
from ..image import Image

#: The largest LZW code (codes are at most 12 bits).
MAX_CODE = 4095
#: The most memory the decoder's LZW table can hold, whatever the image size:
#: each of its 4096 entries is at most one byte longer than the one before,
#: so they add up to at most 4096 * 4097 / 2 bytes, plus a bytes header each.
LZW_TABLE_BYTES = 9 << 20
_SIGNATURES = (b"GIF87a", b"GIF89a")
_TRAILER = 0x3B
_IMAGE = 0x2C
_EXTENSION = 0x21
_GRAPHIC_CONTROL = 0xF9
_APPLICATION = 0xFF
# Interlaced rows come in four passes: (first row, step).
_INTERLACE_PASSES = ((0, 8), (4, 8), (2, 4), (1, 2))

RGB = tuple  # an (r, g, b) triple of 0..255


def _fail(what: str, offset: int) -> ImageError:
    return ImageError(f"gif: {what} at byte {offset}")


# -- LZW ----------------------------------------------------------------------


def lzw_encode(indices: bytes, min_code_size: int) -> bytes:
    """Compress colour indices (each below ``2**min_code_size``) into a GIF LZW code stream.

    >>> bytes(lzw_decode(lzw_encode(bytes([0, 1, 1, 1, 1, 0]), 2), 2, 6))
    b'\\x00\\x01\\x01\\x01\\x01\\x00'
    """
    clear = 1 << min_code_size
    end = clear + 1
    out = bytearray()
    acc = 0  # bits not yet written, least significant first
    bits = 0
    code_size = min_code_size + 1
    next_code = end + 1
    table: dict = {}

    acc, bits = clear, code_size
    if not indices:
        acc |= end << bits
        bits += code_size
        while bits > 0:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
        return bytes(out)
    prefix = indices[0]
    for index in indices[1:]:
        key = (prefix << 8) | index
        code = table.get(key)
        if code is not None:
            prefix = code
            continue
        acc |= prefix << bits
        bits += code_size
        if next_code <= MAX_CODE:
            table[key] = next_code
            next_code += 1
            # The decoder adds each entry one code later than we do, so it
            # widens its codes one code later: grow when the entry just
            # added no longer fits the current size.
            if next_code - 1 == 1 << code_size:
                code_size += 1
        else:
            acc |= clear << bits
            bits += code_size
            table.clear()
            code_size = min_code_size + 1
            next_code = end + 1
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
        prefix = index
    acc |= prefix << bits
    bits += code_size
    if next_code == 1 << code_size and code_size < 12:
        code_size += 1  # the decoder widens after the entry this last code makes
    acc |= end << bits
    bits += code_size
    while bits > 0:
        out.append(acc & 0xFF)
        acc >>= 8
        bits -= 8
    return bytes(out)


def lzw_decode(data: bytes, min_code_size: int, wanted: int, offset: int = 0) -> bytearray:
    """Decompress a GIF LZW code stream into at most ``wanted`` indices.

    Decoding stops at the end code, at the end of the data, or when
    ``wanted`` indices are there, whichever comes first.  ``offset`` is where
    the stream starts in the file, for error messages.
    """
    clear = 1 << min_code_size
    end = clear + 1
    out = bytearray()
    table: list = [bytes([i]) for i in range(clear)] + [b"", b""]
    code_size = min_code_size + 1
    mask = (1 << code_size) - 1
    previous: Optional[bytes] = None
    acc = 0
    bits = 0
    position = 0
    length = len(data)
    while len(out) < wanted:
        while bits < code_size:
            if position >= length:
                return out
            acc |= data[position] << bits
            position += 1
            bits += 8
        code = acc & mask
        acc >>= code_size
        bits -= code_size
        if code == clear:
            del table[end + 1 :]
            code_size = min_code_size + 1
            mask = (1 << code_size) - 1
            previous = None
            continue
        if code == end:
            return out
        if previous is None:
            if code >= clear:
                raise _fail(f"LZW code {code} before any entry was made", offset + position)
            entry = table[code]
        elif code < len(table):
            entry = table[code]
            if len(table) <= MAX_CODE:  # a full table stops growing until a clear code
                table.append(previous + entry[:1])
        elif code == len(table):
            entry = previous + previous[:1]
            table.append(entry)
        else:
            raise _fail(f"LZW code {code} is beyond the table ({len(table)} entries)", offset + position)
        out += entry
        previous = entry
        if len(table) == 1 << code_size and code_size < 12:
            code_size += 1
            mask = (1 << code_size) - 1
    del out[wanted:]  # in place: the indices are the largest buffer a frame has
    return out


# -- reading ------------------------------------------------------------------


class Frame(NamedTuple):
    """One image of a GIF as stored: its place, colours, indices and control data."""

    left: int
    top: int
    width: int
    height: int
    colours: Sequence[RGB]
    indices: Union[bytes, bytearray]
    transparent: Optional[int]
    disposal: int
    delay: int  # hundredths of a second


class Gif(NamedTuple):
    """A parsed GIF: the logical screen and every frame."""

    width: int
    height: int
    frames: list
    loop: Optional[int]  # NETSCAPE2.0 repeat count (0 = forever), None when absent


def _colour_table(data: bytes, pos: int, size_bits: int) -> tuple[list, int]:
    count = 2 << size_bits
    end = pos + 3 * count
    if end > len(data):
        raise _fail("premature end of file in a colour table", len(data))
    table = [tuple(data[i : i + 3]) for i in range(pos, end, 3)]
    return table, end


def _sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """Join the data sub-blocks starting at ``pos``; returns them and the offset after the terminator."""
    parts: list = []
    length = len(data)
    while True:
        if pos >= length:
            raise _fail("premature end of file in a data sub-block", length)
        size = data[pos]
        pos += 1
        if size == 0:
            return b"".join(parts), pos
        if pos + size > length:
            raise _fail("premature end of file in a data sub-block", length)
        parts.append(data[pos : pos + size])
        pos += size


class _Reader:
    """Reads a GIF one frame at a time, so that only the frame in hand is held.

    The logical screen is read (and checked against the pixel limit) on
    construction; :meth:`frames` yields each frame as it is decoded, and
    ``loop`` is known once the frames before it are read.
    """

    def __init__(self, data: bytes, max_pixels: int) -> None:
        if data[:6] not in _SIGNATURES:
            raise _fail(f"not a GIF file: bad signature {bytes(data[:6])!r}", 0)
        if len(data) < 13:
            raise _fail("premature end of file in the logical screen descriptor", len(data))
        self.data = data
        self.max_pixels = max_pixels
        self.width = data[6] | data[7] << 8
        self.height = data[8] | data[9] << 8
        if self.width * self.height > max_pixels:
            raise _fail(
                f"logical screen {self.width}x{self.height} is larger than the limit of {max_pixels} pixels", 6
            )
        packed = data[10]
        self.pos = 13
        self.global_table: Optional[list] = None
        if packed & 0x80:
            self.global_table, self.pos = _colour_table(data, self.pos, packed & 7)
        self.loop: Optional[int] = None

    def frames(self) -> Iterator[Frame]:
        """Each frame in turn; the trailer (or an error) ends them."""
        data = self.data
        control: tuple = (None, 0, 0)  # transparent index, disposal, delay
        count = 0
        while True:
            pos = self.pos
            if pos >= len(data):
                raise _fail("premature end of file: no trailer", len(data))
            kind = data[pos]
            if kind == _TRAILER:
                if not count:
                    raise _fail("the file holds no image", pos)
                return
            if kind == _EXTENSION:
                if pos + 1 >= len(data):
                    raise _fail("premature end of file in an extension", len(data))
                label = data[pos + 1]
                body, self.pos = _sub_blocks(data, pos + 2)
                if label == _GRAPHIC_CONTROL:
                    if len(body) < 4:
                        raise _fail("graphic control extension shorter than 4 bytes", pos)
                    flags = body[0]
                    transparent = body[3] if flags & 1 else None
                    control = (transparent, (flags >> 2) & 7, body[1] | body[2] << 8)
                elif label == _APPLICATION and body[:11] == b"NETSCAPE2.0" and len(body) >= 14 and body[11] == 1:
                    self.loop = body[12] | body[13] << 8
                continue
            if kind != _IMAGE:
                raise _fail(f"unexpected block type 0x{kind:02x}", pos)
            count += 1
            # Yielded unbound, so the generator holds no frame while the caller works on it.
            yield self._frame(pos, control)
            control = (None, 0, 0)

    def _frame(self, pos: int, control: tuple) -> Frame:
        frame, self.pos = _read_frame(self.data, pos, self.global_table, control, self.max_pixels)
        return frame


def parse(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_frames: Optional[int] = None) -> Gif:
    """Parse a GIF file into its logical screen and frames (indices decompressed).

    ``max_frames`` stops after that many frames (the rest are not read).
    """
    reader = _Reader(data, max_pixels)
    frames = list(islice(reader.frames(), max_frames))
    return Gif(reader.width, reader.height, frames, reader.loop)


def _read_frame(
    data: bytes, pos: int, global_table: Optional[list], control: tuple, max_pixels: int
) -> tuple[Frame, int]:
    start = pos
    if pos + 10 > len(data):
        raise _fail("premature end of file in an image descriptor", len(data))
    left = data[pos + 1] | data[pos + 2] << 8
    top = data[pos + 3] | data[pos + 4] << 8
    width = data[pos + 5] | data[pos + 6] << 8
    height = data[pos + 7] | data[pos + 8] << 8
    packed = data[pos + 9]
    if width * height > max_pixels:
        # LZW can expand a small file enormously: refuse before decoding.
        raise _fail(f"a {width}x{height} frame is larger than the limit of {max_pixels} pixels", start)
    pos += 10
    if packed & 0x80:
        colours, pos = _colour_table(data, pos, packed & 7)
    elif global_table is not None:
        colours = global_table
    else:
        raise _fail("an image has neither a local nor a global colour table", start)
    if pos >= len(data):
        raise _fail("premature end of file before the LZW code size", len(data))
    min_code_size = data[pos]
    # Colour indices are bytes (tables hold at most 256 colours): above 8
    # the first codes would stand for indices no table has (found by fuzzing).
    if not 1 <= min_code_size <= 8:
        raise _fail(f"LZW minimum code size must be 1..8, got {min_code_size}", pos)
    stream_start = pos + 1
    stream, pos = _sub_blocks(data, stream_start)
    wanted = width * height
    indices: Union[bytes, bytearray] = lzw_decode(stream, min_code_size, wanted, stream_start)
    del stream
    if len(indices) < wanted:
        raise _fail(f"image data ends after {len(indices)} of {wanted} pixels", stream_start)
    if indices and max(indices) >= len(colours):
        raise _fail(f"colour index {max(indices)} is beyond the {len(colours)}-entry colour table", stream_start)
    if packed & 0x40:
        indices = _deinterlace(indices, width, height)
    transparent, disposal, delay = control
    return Frame(left, top, width, height, colours, indices, transparent, disposal, delay), pos


def _deinterlace(indices: Union[bytes, bytearray], width: int, height: int) -> bytearray:
    """Rows in display order; each row is copied straight into place (no list of rows is kept)."""
    out = bytearray(len(indices))
    source = 0
    for first, step in _INTERLACE_PASSES:
        for y in range(first, height, step):
            out[y * width : (y + 1) * width] = indices[source : source + width]
            source += width
    return out


def composite(gif: Gif, index: int) -> Image:
    """Frame ``index`` as a viewer shows it: earlier frames and their disposal applied."""
    return _pick(_screens(gif.width, gif.height, iter(gif.frames)), index)


def _screens(w: int, h: int, frames: Iterator[Frame]) -> Iterator[_Canvas]:
    """The screen after each frame is painted (its disposal is applied when the next is asked for)."""
    canvas = _Canvas(w, h)
    for frame in frames:
        canvas.show(frame)
        del frame  # only the screen is kept from one frame to the next
        yield canvas
        canvas.dispose()


def _pick(screens: Iterator[_Canvas], index: int) -> Image:
    """Screen number ``index`` as the image, its array handed over rather than copied."""
    count = 0
    for canvas in screens:
        if count == index:
            return canvas.image(keep=False)
        count += 1
    raise ImageError(f"gif: frame {index} requested (counting from 0) but the file holds {count}")


class _Canvas:
    """The logical screen as RGBA samples, 4 bytes a pixel (alpha 0 is transparent).

    A frame is painted row by row with ``bytes.translate``, so compositing
    costs no Python object per pixel, and the screen's own array becomes
    the decoded image: the screen and one frame's indices are all the
    memory a frame needs.
    """

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.rgba = array("B", [0]) * (4 * w * h)  # repeated, not copied from a zero string
        # What the last frame's disposal needs: its rectangle on the screen, and for
        # disposal 3 the rows it covered as they were (the rectangle only: a tiny
        # frame on a huge screen must not copy the screen).
        self.disposal = 0
        self.rows = range(0)  # offset in rgba of each visible row of the last frame
        self.length = 0  # bytes of each such row
        self.saved = array("B")  # for disposal 3, those rows as they were, one after the other

    def show(self, frame: Frame) -> None:
        """Paint ``frame``, remembering what its disposal will need."""
        visible = max(0, min(frame.width, self.w - frame.left))
        first, stride = 4 * (frame.top * self.w + frame.left), 4 * self.w
        count = max(0, min(frame.height, self.h - frame.top)) if visible else 0  # visible > 0: stride > 0
        self.rows = range(first, first + stride * count, stride) if count else range(0)
        self.length = length = 4 * visible
        self.disposal = frame.disposal
        rgba = self.rgba
        self.saved = array("B")
        if frame.disposal == 3:
            for start in self.rows:
                self.saved += rgba[start : start + length]
        if not visible:
            return  # entirely right of the screen
        padded = list(frame.colours) + [(0, 0, 0)] * (256 - len(frame.colours))
        tables = [bytes(colour[c] for colour in padded) for c in range(3)]
        transparent = frame.transparent
        runs = None if transparent is None else re.compile(b"[^" + re.escape(bytes([transparent])) + b"]+")
        pixels = bytearray(4 * visible)
        pixels[3::4] = b"\xff" * visible
        indices = frame.indices
        for y, start in enumerate(self.rows):
            row = indices[y * frame.width : y * frame.width + visible]
            for c in range(3):
                pixels[c::4] = row.translate(tables[c])
            if runs is None:
                rgba[start : start + length] = array("B", pixels)
            else:
                for run in runs.finditer(row):
                    a, b = 4 * run.start(), 4 * run.end()
                    rgba[start + a : start + b] = array("B", pixels[a:b])

    def dispose(self) -> None:
        """Apply the last frame's disposal: restore its rectangle as it was (3), or clear it (2)."""
        length = self.length
        if self.disposal == 3:
            for number, start in enumerate(self.rows):
                self.rgba[start : start + length] = self.saved[number * length : (number + 1) * length]
        elif self.disposal == 2:
            blank = array("B", bytes(length))
            for start in self.rows:
                self.rgba[start : start + length] = blank
        self.rows, self.saved, self.disposal = range(0), array("B"), 0

    def image(self, keep: bool) -> Image:
        """The screen as an Image: RGB, or RGB_ALPHA when some pixel is transparent.

        Without ``keep`` the screen's own array becomes the image (no copy).
        """
        samples = self.rgba[:] if keep else self.rgba
        if not keep:
            self.rgba = array("B")
        if 0 in memoryview(samples)[3::4].tobytes():
            return Image(self.w, self.h, 4, 255, samples, "RGB_ALPHA")
        del samples[3::4]  # in place: RGBA becomes RGB without a second buffer
        return Image(self.w, self.h, 3, 255, samples)


def decode_frame(data: bytes, index: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Frame ``index`` composited, holding one decoded frame at a time (not every frame before it)."""
    reader = _Reader(data, max_pixels)
    return _pick(_screens(reader.width, reader.height, reader.frames()), index)


def read_frames(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list:
    """Every frame of a GIF, composited, as a list of :class:`Image`."""
    reader = _Reader(data, max_pixels)
    return [canvas.image(keep=True) for canvas in _screens(reader.width, reader.height, reader.frames())]


# -- writing ------------------------------------------------------------------


def _table_bits(colours: int) -> int:
    """Bits per index for a colour table of at least ``colours`` entries (1..8)."""
    bits = 1
    while (1 << bits) < colours:
        bits += 1
    return bits


def _packed_table(colours: Sequence[RGB], bits: int) -> bytes:
    table = bytearray()
    for colour in colours:
        table.extend(colour)
    table.extend(b"\0" * (3 * ((1 << bits) - len(colours))))
    return bytes(table)


def _blocks(stream: bytes) -> bytes:
    """Split a byte stream into sub-blocks of at most 255 bytes, then the terminator."""
    out = bytearray()
    for i in range(0, len(stream), 255):
        chunk = stream[i : i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def image_block(
    width: int,
    height: int,
    colours: Sequence[RGB],
    indices: bytes,
    *,
    left: int = 0,
    top: int = 0,
    delay: Optional[int] = None,
    transparent: Optional[int] = None,
    disposal: int = 0,
    local: bool = True,
) -> bytes:
    """One frame: a graphic control extension when needed, a descriptor, a local colour table and LZW data.

    With ``local`` False the frame uses the global table, which must be
    ``colours`` (only its size is used here, for the code size).
    """
    if not 1 <= len(colours) <= 256:
        raise ImageError(f"gif: a frame needs 1..256 colours, got {len(colours)}")
    bits = _table_bits(len(colours))
    out = bytearray()
    if delay is not None or transparent is not None or disposal:
        flags = (disposal & 7) << 2 | (1 if transparent is not None else 0)
        out += bytes([_EXTENSION, _GRAPHIC_CONTROL, 4, flags])
        out += (delay or 0).to_bytes(2, "little") + bytes([transparent or 0, 0])
    out.append(_IMAGE)
    for value in (left, top, width, height):
        out += value.to_bytes(2, "little")
    if local:
        out.append(0x80 | (bits - 1))  # a local colour table, not interlaced
        out += _packed_table(colours, bits)
    else:
        out.append(0)  # the global colour table, not interlaced
    min_code_size = max(2, bits)
    out.append(min_code_size)
    out += _blocks(lzw_encode(indices, min_code_size))
    return bytes(out)


def header(width: int, height: int, loop: Optional[int] = None, table: Optional[Sequence[RGB]] = None) -> bytes:
    """The signature, the logical screen (with ``table`` as its global colour table), and the loop extension."""
    for value, what in ((width, "width"), (height, "height")):
        if not 1 <= value <= 65535:
            raise ImageError(f"gif: {what} must be 1..65535, got {value}")
    out = bytearray(b"GIF89a")
    out += width.to_bytes(2, "little") + height.to_bytes(2, "little")
    if table is None:
        out += b"\x00\x00\x00"
    else:
        if not 1 <= len(table) <= 256:
            raise ImageError(f"gif: a colour table holds 1..256 colours, got {len(table)}")
        bits = _table_bits(len(table))
        out += bytes([0x80 | 0x70 | (bits - 1), 0, 0]) + _packed_table(table, bits)  # 8-bit colour resolution
    if loop is not None:
        out += bytes([_EXTENSION, _APPLICATION, 11]) + b"NETSCAPE2.0" + bytes([3, 1])
        out += loop.to_bytes(2, "little") + b"\x00"
    return bytes(out)


def encode_animation(
    width: int,
    height: int,
    frames: Sequence[tuple[Sequence[RGB], bytes]],
    delays: Sequence[int],
    loop: int = 0,
) -> bytes:
    """An animated GIF: each frame is (colours, indices) covering the whole screen.

    ``delays`` are in hundredths of a second, one per frame; ``loop`` 0
    repeats forever.
    """
    if len(delays) != len(frames):
        raise ImageError(f"gif: {len(frames)} frames but {len(delays)} delays")
    if not frames:
        raise ImageError("gif: an animation needs at least one frame")
    parts = [header(width, height, loop)]
    for (colours, indices), delay in zip(frames, delays):
        if len(indices) != width * height:
            raise ImageError(f"gif: a {width}x{height} frame needs {width * height} indices, got {len(indices)}")
        parts.append(image_block(width, height, colours, indices, delay=delay, disposal=1))
    parts.append(bytes([_TRAILER]))
    return b"".join(parts)


class Timing(NamedTuple):
    """How an animation plays: the loop count (None: no loop extension, played once) and,
    per frame, its delay (hundredths of a second) and disposal method."""

    loop: Optional[int]
    delays: list
    disposals: list


def timing(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Timing:
    """The loop count, delays and disposals of a GIF's frames (each frame is read, one at a time)."""
    reader = _Reader(bytes(data), max_pixels)
    delays, disposals = [], []
    for frame in reader.frames():
        delays.append(frame.delay)
        disposals.append(frame.disposal)
    return Timing(reader.loop, delays, disposals)


def encode_global_animation(
    width: int,
    height: int,
    palette: Sequence[RGB],
    frames: Sequence[bytes],
    timing: Timing,
    *,
    local: bool = False,
) -> bytes:
    """An animated GIF of full-screen frames, each ``width * height`` indices into ``palette``.

    The palette is the global colour table; with ``local`` each frame
    instead carries a local table of only the palette colours it uses (in
    palette order), so a frame of few colours takes fewer bits an index.
    The pixels shown are the same either way.
    """
    if not frames:
        raise ImageError("gif: an animation needs at least one frame")
    if not len(timing.delays) == len(timing.disposals) == len(frames):
        raise ImageError(f"gif: {len(frames)} frames but {len(timing.delays)} delays and {len(timing.disposals)} disposals")
    parts = [header(width, height, timing.loop, None if local else palette)]
    for indices, delay, disposal in zip(frames, timing.delays, timing.disposals):
        if len(indices) != width * height:
            raise ImageError(f"gif: a {width}x{height} frame needs {width * height} indices, got {len(indices)}")
        if indices and max(indices) >= len(palette):
            raise ImageError(f"gif: index {max(indices)} is past the {len(palette)}-colour palette")
        colours = palette
        if local:
            used = sorted(set(indices))
            colours = [palette[i] for i in used]
            table = bytearray(256)
            for new, old in enumerate(used):
                table[old] = new
            indices = bytes(indices).translate(table)
        parts.append(image_block(width, height, colours, bytes(indices), delay=delay, disposal=disposal, local=local))
    parts.append(bytes([_TRAILER]))
    return b"".join(parts)


def to_8bit(value: int, maxval: int) -> int:
    """A sample scaled from 0..maxval to 0..255, rounding halves up.

    >>> to_8bit(65535, 65535), to_8bit(1, 1), to_8bit(128, 65535)
    (255, 255, 0)
    """
    return (510 * value + maxval) // (2 * maxval)


def as_rgb(colour: Sequence[int], channels: int, maxval: int) -> RGB:
    """A colour as an 8-bit RGB triple (grey repeated), alpha not included."""
    if maxval != 255:
        colour = [to_8bit(v, maxval) for v in colour]
    if channels in (1, 2):
        return (colour[0],) * 3
    return (colour[0], colour[1], colour[2])


def _indexed(image: Image, palette, indices) -> tuple[list, bytes, Optional[int]]:
    """The colour table, one index per pixel, and the transparent index (or None)."""
    channels, maxval = image.channels, image.maxval
    if channels not in (1, 2, 3, 4):
        raise ImageError(f"gif: cannot write {channels}-channel images (1 to 4 channels)")
    alpha = channels in (2, 4)
    if (
        not alpha
        and palette is not None
        and indices is not None
        and 1 <= len(palette) <= 256
        and len(indices) == image.pixel_count
    ):
        return [as_rgb(c, channels, maxval) for c in palette], bytes(indices), None
    table: dict = {}
    transparent: Optional[int] = None
    out = bytearray(image.pixel_count)
    for n, pixel in enumerate(image.iter_pixels()):
        if alpha:
            a = pixel[-1]
            if a == 0:
                if transparent is None:
                    transparent = len(table)
                    table[None] = transparent
                out[n] = transparent
                continue
            if a != maxval:
                raise ImageError(
                    f"gif: pixel {n} has alpha {a}; GIF stores only fully opaque or fully transparent pixels"
                )
            pixel = pixel[:-1]
        index = table.get(pixel)
        if index is None:
            index = table[pixel] = len(table)
            if index == 256:
                # What was asked cannot be written (exit 2), the input is fine: say what to ask instead.
                raise UsageError(
                    "gif: the image has more than 256 colours; quantize it first (refkmeans quantize -k 256 ...)"
                )
        out[n] = index
    colours = [(0, 0, 0) if key is None else as_rgb(key, channels, maxval) for key in table]
    return colours, bytes(out), transparent


class GifCodec(Codec):
    """Reads GIF87a/GIF89a (any frame) and writes GIF89a; see the module docstring."""

    name = "gif"
    description = "GIF 87a/89a with pure-Python LZW; at most 256 colours, animations read frame by frame"
    extensions = (".gif",)

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` starts with GIF87a or GIF89a."""
        return bytes(head[:6]) in _SIGNATURES

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
        """Decode frame ``index`` (0 = first), composited as a viewer would show it."""
        if not isinstance(data, bytes):
            data = bytes(data)
        if index < 0:
            raise ImageError(f"gif: frame index must be 0 or more, got {index}")
        return decode_frame(data, index, max_pixels)

    def encode(
        self,
        image: Image,
        *,
        palette: Optional[Sequence[tuple[int, ...]]] = None,
        indices: Optional[array] = None,
        plain: bool = False,
    ) -> bytes:
        """Encode ``image`` as a one-frame GIF89a (``plain`` does not apply to GIF)."""
        if image.width < 1 or image.height < 1:
            raise ImageError(f"gif: cannot write a {image.width}x{image.height} image, GIF needs at least 1x1")
        colours, data, transparent = _indexed(image, palette, indices)
        return (
            header(image.width, image.height)
            + image_block(image.width, image.height, colours, data, transparent=transparent)
            + bytes([_TRAILER])
        )


@hookimpl
def refkmeans_register_codecs(register: Callable[[Codec], None]) -> None:
    """Register the GIF codec with the refkmeans plugin manager."""
    register(GifCodec())
