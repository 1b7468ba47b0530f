"""The netpbm family: PBM, PGM and PPM (plain and raw) and PAM.

Reading
    All seven formats: P1/P4 (PBM), P2/P5 (PGM), P3/P6 (PPM) and P7 (PAM),
    with maxval 1..65535 (two big-endian bytes per sample above 255).
    Comments (``#`` to the end of the line) may stand between any two header
    tokens of P1-P6, and a comment may also replace the single whitespace
    byte that ends the header; that byte may be any whitespace, not only a
    newline.  PAM header lines are WIDTH, HEIGHT, DEPTH, MAXVAL, TUPLTYPE
    (repeatable; the values join with a space, as the specification says,
    and a carriage return inside a value reads as a blank) and ENDHDR;
    blank lines and ``#`` lines are skipped.  The standard tuple types must
    agree with DEPTH (and BLACKANDWHITE with MAXVAL 1); any other tuple
    type is kept as it is.  A file may hold several images one after
    the other (whitespace between them is skipped); ``index`` picks one.
    Plain rasters are whitespace-separated decimal numbers; plain PBM digits
    may also be run together (``0110``).  Comments inside a plain raster are
    not accepted.

PBM convention
    In PBM a 1 bit is black.  Decoding turns that around so that a PBM
    image is an ordinary grey image: one channel, maxval 1, sample 0 black
    and 1 white, tuple type ``BLACKANDWHITE`` (the PAM meaning of the same
    samples).  Padding bits at the end of raw PBM rows are ignored.

Writing
    One channel becomes P5 (P2 when ``plain``), three channels P6 (P3), and
    any other channel count P7 with the image's tuple type.  A one-channel
    maxval-1 image whose tuple type is ``BLACKANDWHITE`` (every decoded PBM)
    is written back as P4 (P1 when ``plain``), inverting the samples again.
    PAM has no plain variant, so ``plain`` is ignored for it and a raw P7
    is written: asking for plain output is a preference, not a reason to
    fail.  Plain output lines are at most 70 characters.

Limits and errors
    Header numbers are at most 20 digits, a PAM header at most 64 KiB, and
    width x height is checked against ``max_pixels`` and the raster against
    the bytes actually present before anything large is allocated.  Every
    problem raises :class:`~refkmeans.errors.ImageError` with one line
    ``netpbm: <what is wrong> at byte <offset>``.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Sequence
from itertools import islice
from typing import NamedTuple

from ..codec import DEFAULT_MAX_PIXELS, Codec
from ..errors import ImageError
from ..hookspecs import hookimpl
from ..image import MAX_CHANNELS, TUPLTYPES, Image, typecode_for

#: Longest accepted header number or plain sample, in characters.
MAX_TOKEN = 20
#: Longest accepted PAM header (magic through ENDHDR line), in bytes.
MAX_PAM_HEADER = 64 * 1024
#: Longest line in plain output, as the netpbm specification recommends.
LINE_WIDTH = 70

# Netpbm whitespace is C's isspace(): blank, TAB, LF, VT, FF, CR.
_WHITESPACE = b" \t\n\r\x0b\x0c"
_SPACES = re.compile(rb"[ \t\n\r\x0b\x0c]*")
# One byte more than allowed, so that an overlong token is seen without
# scanning (or copying) all of it.  '#' ends a token: it starts a comment.
_HEADER_TOKEN = re.compile(rb"[^ \t\n\r\x0b\x0c#]{1,%d}" % (MAX_TOKEN + 1))
_LINE_END = re.compile(rb"[\n\r]")
_WORD = re.compile(rb"[^ \t\n\r\x0b\x0c]+")
_NON_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")
try:
    # Whitespace and comments between header tokens (see _skip_gap).
    _GAP: re.Pattern[bytes] | None = re.compile(rb"(?:[ \t\n\r\x0b\x0c]+|#[^\n\r]*)*+")
except re.error:  # Python < 3.11: no possessive repeats
    _GAP = None

_PBM, _PGM, _PPM = "BLACKANDWHITE", "GRAYSCALE", "RGB"
#: Standard PAM tuple types and the depth each one requires.
_TUPLTYPE_DEPTHS = {
    "BLACKANDWHITE": 1,
    "GRAYSCALE": 1,
    "RGB": 3,
    "BLACKANDWHITE_ALPHA": 2,
    "GRAYSCALE_ALPHA": 2,
    "RGB_ALPHA": 4,
}
_PAM_NUMBERS = (b"WIDTH", b"HEIGHT", b"DEPTH", b"MAXVAL")
#: Upper bounds of PAM header numbers (KM-LIM-8 for DEPTH), checked before the raster is read.
_HIGHEST = {"MAXVAL": 65535, "DEPTH": MAX_CHANNELS}

# Raw PBM byte -> its 8 samples, a set bit (black) becoming sample 0.
_PBM_BYTE_SAMPLES = [bytes(1 - ((byte >> (7 - bit)) & 1) for bit in range(8)) for byte in range(256)]
# Plain PBM digit -> sample ('1' is black, so sample 0), and back.
_PBM_DIGIT_TO_SAMPLE = bytes.maketrans(b"01", b"\x01\x00")
_PBM_SAMPLE_TO_DIGIT = bytes.maketrans(b"\x00\x01", b"10")
# Marks every byte that is not a plain PBM digit with 1.
_NOT_PBM_DIGIT = bytes(0 if byte in b"01" else 1 for byte in range(256))


class _Header(NamedTuple):
    """One image's header, as read; offsets index the whole file."""

    kind: int  # 1..7, the digit of the magic number
    width: int
    height: int
    depth: int
    maxval: int
    tupltype: str | None
    start: int  # offset of the magic number
    raster: int  # offset of the first raster byte


def _fail(what: str, offset: int) -> ImageError:
    """The one error shape: ``netpbm: <what> at byte <offset>``."""
    return ImageError(f"netpbm: {what} at byte {offset}")


def _show(token: bytes) -> str:
    """A token for an error message: quoted, escaped, one line, short."""
    text = token[: MAX_TOKEN + 1].decode("latin-1")
    if len(token) > MAX_TOKEN:
        text = text[:MAX_TOKEN] + "..."
    return repr(text)


def _skip_spaces(data: bytes, pos: int) -> int:
    """The offset of the first non-whitespace byte at or after ``pos``."""
    match = _SPACES.match(data, pos)
    return match.end() if match else pos


def _skip_gap(data: bytes, pos: int) -> int:
    """Skip the whitespace and comments between two P1-P6 header tokens.

    A comment runs from ``#`` to the next CR or LF.  Where ``re`` has
    possessive repeats (Python 3.11+) one match skips the whole gap in C,
    keeping no state per comment; a plain repeated group would keep state
    for every comment, hundreds of megabytes for a file of many comments.
    Older Pythons loop, one comment at a time.
    """
    if _GAP is not None:
        return _GAP.match(data, pos).end()  # type: ignore[union-attr]  # matches the empty string
    while True:
        pos = _skip_spaces(data, pos)
        if data[pos : pos + 1] != b"#":
            return pos
        line_end = _LINE_END.search(data, pos)
        if line_end is None:
            return len(data)
        pos = line_end.start()  # the CR or LF is skipped as whitespace


def _number(token: bytes, offset: int, what: str) -> int:
    """A header number: unsigned decimal digits, at most MAX_TOKEN of them."""
    if len(token) > MAX_TOKEN:
        raise _fail(f"token too long reading the {what} ({_show(token)})", offset)
    # isdigit() rather than int()'s own checks: int() also takes '+', '-',
    # '_' and surrounding blanks, none of which netpbm allows.
    if not token.isdigit():
        raise _fail(f"expected a decimal number for the {what}, got {_show(token)}", offset)
    return int(token)


def _check_range(value: int, what: str, offset: int, high: int | None = None) -> None:
    """Every netpbm number is at least 1; maxvals are also at most ``high``."""
    if high is not None and not 1 <= value <= high:
        raise _fail(f"{what} must be 1..{high}, got {value}", offset)
    if value < 1:
        raise _fail(f"{what} must be at least 1, got {value}", offset)


# -- headers ----------------------------------------------------------------


def _read_header(data: bytes, pos: int, number: int) -> _Header:
    """Read the header of image ``number``, whose magic number is at ``pos``."""
    magic = data[pos : pos + 2]
    if len(magic) < 2:
        raise _fail("premature end of file reading the magic number", len(data))
    if magic[:1] != b"P" or magic[1:] not in (b"1", b"2", b"3", b"4", b"5", b"6", b"7"):
        if number == 0:
            raise _fail(f"not a netpbm file: bad magic number {_show(magic)}", pos)
        raise _fail(f"bad magic number {_show(magic)} where image {number} should start", pos)
    kind = magic[1] - ord("0")
    if kind == 7:
        return _read_pam_header(data, pos)
    after = data[pos + 2 : pos + 3]
    if after and after not in _WHITESPACE and after != b"#":
        raise _fail(f"magic number {_show(magic)} is not followed by whitespace", pos + 2)

    def read_number(at: int, what: str) -> tuple[int, int]:
        # Returns (value, end); the value is checked for 'at least 1' here
        # because every header number of P1-P6 must be.
        at = _skip_gap(data, at)
        token = _HEADER_TOKEN.match(data, at)
        if token is None:  # only at the end: the gap ate whitespace and '#'
            raise _fail("premature end of file reading the header", len(data))
        value = _number(token.group(), at, what)
        _check_range(value, what, at, 65535 if what == "maxval" else None)
        return value, token.end()

    width, end = read_number(pos + 2, "width")
    height, end = read_number(end, "height")
    maxval = 1
    if kind not in (1, 4):
        maxval, end = read_number(end, "maxval")

    # Exactly one whitespace byte (or a comment through its line end) ends
    # the header; the raster starts right after it, even if it is a blank.
    if end >= len(data):
        raise _fail("premature end of file reading the header", len(data))
    if data[end : end + 1] == b"#":
        line_end = _LINE_END.search(data, end)
        if line_end is None:
            raise _fail("premature end of file reading the header", len(data))
        raster = line_end.end()
    else:
        raster = end + 1
    depth = 3 if kind in (3, 6) else 1
    tupltype = {1: _PBM, 4: _PBM, 2: _PGM, 5: _PGM}.get(kind, _PPM)
    return _Header(kind, width, height, depth, maxval, tupltype, pos, raster)


def _read_pam_header(data: bytes, pos: int) -> _Header:
    """Read a PAM header, one line at a time, through its ENDHDR line."""
    limit = pos + MAX_PAM_HEADER
    numbers: dict[bytes, tuple[int, int]] = {}  # keyword -> (value, offset)
    tupltype_parts: list[bytes] = []
    tupltype_offset = pos
    line_start = pos + 2  # the rest of the magic number's line
    first_line = True
    while True:
        newline = data.find(b"\n", line_start, limit)
        if newline < 0:
            if len(data) > limit:
                raise _fail(f"PAM header longer than {MAX_PAM_HEADER} bytes", pos)
            raise _fail("premature end of file reading the PAM header (no ENDHDR)", len(data))
        words = [(m.start(), m.group()) for m in _WORD.finditer(data, line_start, newline)]
        line_start = newline + 1
        if first_line:
            first_line = False
            if words:
                raise _fail("unexpected text after the P7 magic number", words[0][0])
            continue
        if not words or words[0][1][:1] == b"#":
            continue
        offset, keyword = words[0]
        if keyword == b"ENDHDR":
            if len(words) > 1:
                raise _fail("unexpected text after ENDHDR", words[1][0])
            endhdr = offset
            break
        if keyword == b"TUPLTYPE":
            # The value is the rest of the line, inner blanks included.
            if len(words) > 1:
                last_offset, last = words[-1]
                # A CR inside the line reads as a blank: every tuple type read must be writable.
                tupltype_parts.append(data[words[1][0] : last_offset + len(last)].replace(b"\r", b" "))
                tupltype_offset = words[1][0]
            continue
        if keyword not in _PAM_NUMBERS:
            raise _fail(f"unknown PAM header keyword {_show(keyword)}", offset)
        name = keyword.decode()
        if keyword in numbers:
            raise _fail(f"PAM header gives {name} twice", offset)
        if len(words) != 2:
            raise _fail(f"PAM {name} needs exactly one number", offset)
        value_offset, token = words[1]
        value = _number(token, value_offset, name)
        _check_range(value, name, value_offset, _HIGHEST.get(name))
        numbers[keyword] = (value, value_offset)

    for keyword in _PAM_NUMBERS:
        if keyword not in numbers:
            raise _fail(f"PAM header lacks {keyword.decode()}", endhdr)
    width, height, depth, maxval = (numbers[k][0] for k in _PAM_NUMBERS)
    tupltype = b" ".join(tupltype_parts).decode("latin-1") or None
    if tupltype in _TUPLTYPE_DEPTHS:
        needed = _TUPLTYPE_DEPTHS[tupltype]
        if depth != needed:
            raise _fail(
                f"TUPLTYPE {tupltype} needs DEPTH {needed}, got {depth}",
                tupltype_offset,
            )
        if tupltype.startswith("BLACKANDWHITE") and maxval != 1:
            raise _fail(f"TUPLTYPE {tupltype} needs MAXVAL 1, got {maxval}", tupltype_offset)
    return _Header(7, width, height, depth, maxval, tupltype, pos, line_start)


def _check_size(header: _Header, data: bytes, max_pixels: int) -> None:
    """Refuse an image beyond ``max_pixels`` or whose raster is not all there.

    Runs before the raster is touched, so that a tiny file declaring a huge
    image costs nothing.  For plain rasters the byte count is a lower bound
    (one byte per PBM digit, a digit and a separator per other sample).
    """
    w, h, depth, kind = header.width, header.height, header.depth, header.kind
    pixels = w * h
    if pixels > max_pixels:
        raise _fail(
            f"{w}x{h} image has {pixels} pixels, above the limit of {max_pixels}",
            header.start,
        )
    samples = pixels * depth
    if kind == 4:
        needed = (w + 7) // 8 * h
    elif kind in (5, 6, 7):
        needed = samples * (1 if header.maxval < 256 else 2)
    elif kind == 1:
        needed = samples
    else:
        needed = 2 * samples - 1
    present = len(data) - header.raster
    if needed > present:
        raise _fail(
            f"premature end of file in the raster: a {w}x{h}x{depth} P{kind} image "
            f"needs {'at least ' if kind < 4 else ''}{needed} bytes from byte "
            f"{header.raster}, the file has {max(present, 0)}",
            len(data),
        )


def _raw_length(header: _Header) -> int:
    """Bytes in a raw raster."""
    if header.kind == 4:
        return (header.width + 7) // 8 * header.height
    samples = header.width * header.height * header.depth
    return samples * (1 if header.maxval < 256 else 2)


# -- rasters ----------------------------------------------------------------


def _read_raster(data: bytes, header: _Header) -> tuple[array[int], int]:
    """Decode the raster: (samples, offset just past the raster)."""
    kind, start = header.kind, header.raster
    count = header.width * header.height * header.depth
    if kind == 1:
        return _read_plain_pbm(data, start, count)
    if kind in (2, 3):
        return _read_plain_numbers(data, start, count, header.maxval)
    end = start + _raw_length(header)
    if kind == 4:
        return _read_raw_pbm(data[start:end], header.width, header.height), end
    return _read_raw_samples(data, start, count, header.maxval), end


def _read_raw_samples(data: bytes, start: int, count: int, maxval: int) -> array[int]:
    """Raw PGM/PPM/PAM samples, one byte each or two big-endian bytes."""
    if maxval < 256:
        raw = data[start : start + count]
        if maxval < 255:
            # translate() marks each too-big byte, find() locates the first:
            # both run in C, and the mark table is only 256 bytes.
            marks = bytes(0 if value <= maxval else 1 for value in range(256))
            bad = raw.translate(marks).find(1)
            if bad >= 0:
                raise _fail(f"sample {raw[bad]} exceeds maxval {maxval}", start + bad)
        return array("B", raw)
    samples = array("H", data[start : start + 2 * count])
    if sys.byteorder == "little":
        samples.byteswap()
    if maxval < 65535 and max(samples) > maxval:
        bad = next(i for i, value in enumerate(samples) if value > maxval)
        raise _fail(f"sample {samples[bad]} exceeds maxval {maxval}", start + 2 * bad)
    return samples


def _read_raw_pbm(raw: bytes, width: int, height: int) -> array[int]:
    """Unpack raw PBM rows (padded to whole bytes) into inverted samples."""
    bits = b"".join(map(_PBM_BYTE_SAMPLES.__getitem__, raw))
    row = (width + 7) // 8 * 8
    if row != width:  # drop each row's padding
        bits = b"".join([bits[y : y + width] for y in range(0, row * height, row)])
    return array("B", bits)


def _read_plain_pbm(data: bytes, start: int, count: int) -> tuple[array[int], int]:
    """Plain PBM digits, separated by whitespace or not."""
    digits = bytearray()
    pos = start
    while len(digits) < count:
        pos = _skip_spaces(data, pos)
        if pos >= len(data):
            raise _fail(
                f"premature end of file in the plain raster: {len(digits)} of {count} samples",
                len(data),
            )
        # At most the bytes still wanted: even if none is whitespace this
        # cannot read past the raster into a following image.
        chunk = data[pos : pos + count - len(digits)]
        digits += chunk.translate(None, _WHITESPACE)
        pos += len(chunk)
    bad = digits.translate(_NOT_PBM_DIGIT).find(1)
    if bad >= 0:
        found = next(islice(_NON_SPACE.finditer(data, start), bad, None))
        raise _fail(
            f"plain PBM sample must be 0 or 1, got {_show(found.group())}",
            found.start(),
        )
    return array("B", digits.translate(_PBM_DIGIT_TO_SAMPLE)), pos


def _read_plain_numbers(data: bytes, start: int, count: int, maxval: int) -> tuple[array[int], int]:
    """Plain PGM/PPM samples: whitespace-separated decimal numbers."""
    # split() with maxsplit does the tokenising in C and leaves whatever
    # follows the raster (another image) as one last element.  It splits a
    # window, not the rest of the file: copying the rest for every image
    # skipped would make a file of many images quadratic.  The window grows
    # by doubling until it holds every sample and the byte after the last.
    window = count * (MAX_TOKEN + 1) + 1
    while True:
        stop = start + window
        tokens = data[start:stop].split(None, count)
        if len(tokens) > count or stop >= len(data):
            break
        window *= 2
    end = min(stop, len(data))
    if len(tokens) > count:
        end -= len(tokens.pop())
    if len(tokens) < count:
        raise _fail(
            f"premature end of file in the plain raster: {len(tokens)} of {count} samples",
            len(data),
        )
    if max(map(len, tokens)) > MAX_TOKEN or not b"".join(tokens).isdigit():
        for i, token in enumerate(tokens):
            if len(token) > MAX_TOKEN or not token.isdigit():
                _number(token, _token_offset(data, start, i), "sample")
    values = list(map(int, tokens))
    if max(values) > maxval:
        bad = next(i for i, value in enumerate(values) if value > maxval)
        offset = _token_offset(data, start, bad)
        raise _fail(f"sample {values[bad]} exceeds maxval {maxval}", offset)
    return array(typecode_for(maxval), values), end


def _token_offset(data: bytes, start: int, index: int) -> int:
    """Offset of plain token number ``index`` (only needed for errors)."""
    return next(islice(_WORD.finditer(data, start), index, None)).start()


# -- writing ----------------------------------------------------------------


def _raw_bytes(image: Image) -> bytes:
    """The samples as one byte each, or two big-endian bytes above 255."""
    if image.maxval < 256:
        return array("B", image.samples).tobytes()
    samples = array("H", image.samples)
    if sys.byteorder == "little":
        samples.byteswap()
    return samples.tobytes()


def _plain_lines(image: Image) -> list[str]:
    """Plain PGM/PPM raster lines: each row starts a line, none over LINE_WIDTH."""
    lines: list[str] = []
    row = image.width * image.channels
    samples = image.samples
    for y in range(0, row * image.height, row):
        line: list[str] = []
        length = -1  # the first token on a line has no separator
        for token in map(str, samples[y : y + row]):
            if line and length + 1 + len(token) > LINE_WIDTH:
                lines.append(" ".join(line))
                line, length = [], -1
            line.append(token)
            length += 1 + len(token)
        lines.append(" ".join(line))
    return lines


def _encode_pbm(image: Image, plain: bool) -> bytes:
    """Write a maxval-1 grey image as PBM (sample 0, black, becomes bit 1)."""
    w, h = image.width, image.height
    digits = array("B", image.samples).tobytes().translate(_PBM_SAMPLE_TO_DIGIT)
    rows = [digits[y : y + w] for y in range(0, w * h, w)]
    if plain:
        lines = [row[x : x + LINE_WIDTH] for row in rows for x in range(0, w, LINE_WIDTH)]
        return b"P1\n%d %d\n" % (w, h) + b"\n".join(lines) + b"\n"
    row_bytes = (w + 7) // 8
    padding = b"0" * (row_bytes * 8 - w)
    # int(..., 2) parses a digit string in linear time (binary base), and
    # to_bytes() packs it: a C-speed bit packer for each row.
    packed = [int(row + padding, 2).to_bytes(row_bytes, "big") for row in rows]
    return b"P4\n%d %d\n" % (w, h) + b"".join(packed)


def _pam_tupltype(image: Image) -> str | None:
    """The TUPLTYPE to write: the image's own, unless it cannot be right.

    A standard tuple type that disagrees with the channel count or maxval
    would make an invalid file, so the standard one for the channel count
    replaces it.
    """
    tupltype = (image.tupltype or "").strip()
    needed = _TUPLTYPE_DEPTHS.get(tupltype)
    if needed is not None and (
        needed != image.channels or (tupltype.startswith("BLACKANDWHITE") and image.maxval != 1)
    ):
        tupltype = TUPLTYPES.get(image.channels, "")
    return tupltype or None


class NetpbmCodec(Codec):
    """Reads P1-P7 and writes PBM, PGM, PPM or PAM; see the module docstring."""

    name = "netpbm"
    description = "Netpbm PBM/PGM/PPM (plain and raw) and PAM, 1-16 bit samples"
    extensions = (".ppm", ".pgm", ".pbm", ".pam", ".pnm")

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` starts with P1..P7 followed by whitespace."""
        return len(head) >= 3 and head[0] == ord("P") and ord("1") <= head[1] <= ord("7") and head[2] in _WHITESPACE

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
        """Decode image ``index`` (0 = first) of a netpbm file.

        Raises :class:`ImageError` for anything malformed, truncated or
        larger than ``max_pixels``.  Each image up to the wanted one is
        checked against the limits; raw rasters are skipped without being
        read, plain ones have to be parsed to find where they end.
        """
        if not isinstance(data, bytes):
            data = bytes(data)
        if index < 0:
            raise ImageError(f"netpbm: image index must be 0 or more, got {index}")
        pos = 0
        number = 0
        while True:
            header = _read_header(data, pos, number)
            _check_size(header, data, max_pixels)
            if number == index:
                samples, _ = _read_raster(data, header)
                return Image(
                    header.width,
                    header.height,
                    header.depth,
                    header.maxval,
                    samples,
                    header.tupltype,
                )
            if header.kind >= 4:  # raw: the length is known, skip unread
                pos = header.raster + _raw_length(header)
            else:
                pos = _read_raster(data, header)[1]
            number += 1
            pos = _skip_spaces(data, pos)
            if pos >= len(data):
                raise _fail(
                    f"image {index} requested (counting from 0) but the file holds "
                    f"{number} image{'s' if number > 1 else ''}",
                    pos,
                )

    def encode(
        self,
        image: Image,
        *,
        palette: Sequence[tuple[int, ...]] | None = None,
        indices: array | None = None,
        plain: bool = False,
    ) -> bytes:
        """Encode ``image``; ``palette`` and ``indices`` are not used.

        PBM for a BLACKANDWHITE maxval-1 grey image, PGM for other grey,
        PPM for RGB, PAM (always raw) for other channel counts.
        """
        w, h, channels, maxval = image.width, image.height, image.channels, image.maxval
        if w < 1 or h < 1:
            raise ImageError(f"netpbm: cannot write a {w}x{h} image, netpbm needs at least 1x1")
        if channels == 1 and maxval == 1 and image.tupltype == _PBM:
            return _encode_pbm(image, plain)
        if channels in (1, 3):
            magic = (2 if channels == 1 else 3) + (0 if plain else 3)
            head = b"P%d\n%d %d\n%d\n" % (magic, w, h, maxval)
            if plain:
                return head + "\n".join(_plain_lines(image)).encode("ascii") + b"\n"
            return head + _raw_bytes(image)
        lines = [f"P7\nWIDTH {w}\nHEIGHT {h}\nDEPTH {channels}\nMAXVAL {maxval}\n"]
        tupltype = _pam_tupltype(image)
        if tupltype is not None:
            if "\n" in tupltype or "\r" in tupltype:
                raise ImageError(f"netpbm: a PAM tuple type cannot hold a line break: {tupltype!r}")
            lines.append(f"TUPLTYPE {tupltype}\n")
        lines.append("ENDHDR\n")
        try:
            head = "".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            raise ImageError(f"netpbm: a PAM tuple type must be Latin-1 text, got {tupltype!r}") from None
        return head + _raw_bytes(image)


@hookimpl
def refkmeans_register_codecs(register: Callable[[Codec], None]) -> None:
    """Register the netpbm codec with the refkmeans plugin manager."""
    register(NetpbmCodec())
