"""Reading a fixed palette for ``quantize --palette FILE`` (pngquant's ``--map``, ImageMagick's ``-remap``).

A palette file is one of:

* an image in any format a codec reads (Netpbm, PNG with refkmeans-png, ...):
  its distinct pixel colours, in order of first appearance;
* JSON: a list of colours, each a list of integers or a ``"#rrggbb"`` /
  ``"#rgb"`` / ``"#rrggbbaa"`` string, or an object ``{"colours": [...],
  "maxval": M}``;
* a GIMP palette (``GIMP Palette`` first line, then ``R G B name`` lines);
* text: one colour per line, as integers separated by blanks or commas, or a
  ``#rrggbb`` hex string; blank lines and ``#`` comments (a ``#`` not
  followed by a hex colour) are skipped.

Hex colours and GIMP palettes are 8-bit.  Integer colours are in the image's
maxval unless the file says otherwise (an image's own maxval, JSON
``maxval``).  A colour at another maxval m is rescaled to the image's M as
the nearest integer to v M / m, halves up (KM-MAP-2).  Repeated colours are
dropped (the first keeps its place): an index that could never win a tie
would only waste a palette slot.
"""

from __future__ import annotations

import re
from codecs import getincrementaldecoder
from fractions import Fraction
from typing import Any, List, Optional, Sequence, Tuple

from . import safejson
from .codec import DEFAULT_MAX_PIXELS
from .errors import ImageError, UsageError
from .files import SNIFF_BYTES, decode, max_input_bytes, read_bytes
from .plugins import Registry, get_registry
from .rational import round_half_up

Colour = Tuple[int, ...]

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_SEPARATORS = re.compile(r"[\s,]+")


def rescale(colour: Sequence[int], source: int, target: int) -> Colour:
    """Each value v in 0..source to the nearest of 0..target, halves up (KM-MAP-2).

    >>> rescale((0, 128, 255), 255, 65535)
    (0, 32896, 65535)
    """
    if source == target:
        return tuple(colour)
    return tuple(round_half_up(Fraction(v * target, source)) for v in colour)


def parse_hex(text: str) -> Colour:
    """'#rgb', '#rrggbb' or '#rrggbbaa' as 8-bit values.

    >>> parse_hex("#f80"), parse_hex("#00ff7f80")
    ((255, 136, 0), (0, 255, 127, 128))
    """
    digits = text[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return tuple(int(digits[i : i + 2], 16) for i in range(0, len(digits), 2))


def read_palette(
    path: str,
    *,
    channels: int,
    maxval: int,
    max_pixels: Optional[int] = None,
    registry: Optional[Registry] = None,
) -> List[Colour]:
    """The palette in ``path``, as colours of ``channels`` integers in 0..``maxval``."""
    registry = registry or get_registry()
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    data = read_bytes(path, max_input_bytes(limit), lambda head: _check_head(head, path, registry))
    codec = registry.codec_for_data(data[:SNIFF_BYTES])
    if codec is not None:
        image = decode(codec, data, path, index=0, max_pixels=limit)
        source = image.maxval
        raw = list(dict.fromkeys(image.iter_pixels()))
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImageError(f"{path}: not an image any codec recognises, nor a text palette") from None
        raw, source = _parse_text(text, path, maxval)
    colours: List[Colour] = []
    for number, colour in enumerate(raw):
        if len(colour) != channels:
            raise UsageError(f"{path}: palette colour {number} {tuple(colour)} has {len(colour)} channels, the image has {channels}")
        if any(not 0 <= v <= source for v in colour):
            raise UsageError(f"{path}: palette colour {number} {tuple(colour)} is outside 0..{source}")
        colours.append(rescale(colour, source, maxval))
    colours = list(dict.fromkeys(colours))
    if not colours:
        raise UsageError(f"{path}: the palette holds no colours")
    return colours


def _check_head(head: bytes, path: str, registry: Registry) -> None:
    """Refuse, from its first bytes, a file that is neither an image a codec knows nor text.

    Text palettes never hold a NUL byte or invalid UTF-8, so ``/dev/zero``
    or a binary file is turned away before the rest is read.
    """
    if registry.codec_for_data(head) is not None:
        return
    try:
        getincrementaldecoder("utf-8-sig")().decode(head)  # not final: a character may be cut at the end
    except UnicodeDecodeError:
        head = b"\0"
    if b"\0" in head:
        raise ImageError(f"{path}: not an image any codec recognises, nor a text palette")


def _parse_text(text: str, path: str, maxval: int) -> Tuple[List[Colour], int]:
    """Colours and the maxval they are written at, from JSON, a GIMP palette or plain text."""
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return _parse_json(stripped, path, maxval)
    lines = text.splitlines()
    gimp = bool(lines) and lines[0].strip() == "GIMP Palette"
    colours: List[Colour] = []
    hex_seen = False
    for number, line in enumerate(lines[1:] if gimp else lines, start=2 if gimp else 1):
        line = line.strip()
        if not line or (line.startswith("#") and not _HEX.fullmatch(line.split()[0])):
            continue
        if gimp and re.match(r"(Name|Columns)\s*:", line):
            continue
        words = _SEPARATORS.split(line)
        if _HEX.fullmatch(words[0]):
            colours.append(parse_hex(words[0]))
            hex_seen = True
            continue
        values = []
        for word in words:
            if not (word.isascii() and word.isdigit()):
                break  # a GIMP-style colour name follows the numbers
            if len(word.lstrip("0")) > 5:  # no sample is above 65535; int() refuses 4300+ digits
                raise UsageError(f"{path}: line {number}: {word[:12]}... ({len(word)} digits) is above 65535")
            values.append(int(word))
        if not values or (not gimp and len(values) != len(words)):
            raise UsageError(f"{path}: line {number}: expected a colour (integers or #rrggbb), got {line!r}")
        colours.append(tuple(values))
    return colours, 255 if gimp or hex_seen else maxval


def _parse_json(text: str, path: str, maxval: int) -> Tuple[List[Colour], int]:
    try:
        document: Any = safejson.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc}") from None
    source = maxval
    if isinstance(document, dict):
        source = document.get("maxval", maxval)
        if isinstance(source, bool) or not isinstance(source, int) or not 1 <= source <= 65535:
            raise UsageError(f"{path}: \"maxval\" must be an integer in 1..65535, got {source!r}")
        document = document.get("colours", document.get("colors"))
    if not isinstance(document, list):
        raise UsageError(f"{path}: expected a list of colours (or an object with \"colours\")")
    colours: List[Colour] = []
    hex_seen = False
    for number, item in enumerate(document):
        if isinstance(item, str) and _HEX.fullmatch(item):
            colours.append(parse_hex(item))
            hex_seen = True
        elif isinstance(item, list) and item and all(isinstance(v, int) and not isinstance(v, bool) for v in item):
            colours.append(tuple(item))
        else:
            raise UsageError(f"{path}: colour {number} must be a list of integers or \"#rrggbb\", got {item!r}")
    if hex_seen:
        if len(colours) != sum(isinstance(item, str) for item in document):
            raise UsageError(f"{path}: do not mix \"#rrggbb\" strings and integer lists")
        source = 255
    return colours, source
