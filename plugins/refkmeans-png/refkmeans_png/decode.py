"""Reading PNG: every colour type and bit depth, Adam7, all filters, tRNS.

What a decoded image holds
    Greyscale (type 0) keeps its samples as they are stored: bit depth d
    gives maxval 2**d - 1 (so a 1-bit image is 0/1, tuple type
    BLACKANDWHITE).  Truecolour (2), greyscale with alpha (4) and truecolour
    with alpha (6) give 3, 2 and 4 channels at maxval 255 or 65535.  Indexed
    images (3) are expanded through PLTE to RGB at maxval 255.  A tRNS chunk
    becomes an alpha channel: for types 0 and 2 a pixel equal to the key is
    transparent (alpha 0) and every other is opaque (alpha maxval); for type
    3 each palette entry gets its alpha (255 past the end of tRNS).  Gamma,
    colour profiles, sBIT and the like are not applied: samples are what the
    file stores.

What is refused, each with one line naming the chunk and byte offset
    A bad signature or CRC; a truncated chunk; IHDR not first, of the wrong
    size or with an impossible combination; an image over ``max_pixels``
    (checked on IHDR, before anything is inflated); PLTE or tRNS where the
    colour type forbids them, twice, after IDAT, or of a bad length; IDAT
    chunks that are not consecutive, missing, corrupt, short of or beyond
    the data the header asks for (inflation is capped at that size, so a
    zlib bomb costs nothing); a filter type above 4; a palette index past
    the end of PLTE; a missing IEND; an unknown critical chunk.  Unknown
    ancillary chunks are skipped (after their CRC is checked).
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from typing import Dict, List, NamedTuple, Optional

from refkmeans.codec import DEFAULT_MAX_PIXELS
from refkmeans.image import Image

from .chunks import Chunk, fail, is_critical, read_chunks
from .filters import unfilter_row
from .layout import COLOUR_TYPES, passes, row_bytes, scatter, unpack_row


class Header(NamedTuple):
    """The IHDR fields that matter."""

    width: int
    height: int
    depth: int
    colour_type: int
    interlaced: bool


def read_header(chunk: Chunk, max_pixels: int) -> Header:
    """Parse and check IHDR, including the pixel limit."""
    if chunk.type != "IHDR":
        raise fail(f"the first chunk must be IHDR, found {chunk.type}", chunk.type, chunk.offset)
    if len(chunk.data) != 13:
        raise fail(f"IHDR must hold 13 bytes, it holds {len(chunk.data)}", "IHDR", chunk.offset)
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunk.data)
    where = ("IHDR", chunk.offset)
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= 2**31 - 1:
            raise fail(f"{name} must be 1..2^31-1, got {value}", *where)
    if colour_type not in COLOUR_TYPES:
        raise fail(f"unknown colour type {colour_type}", *where)
    name, _, depths = COLOUR_TYPES[colour_type]
    if depth not in depths:
        raise fail(f"bit depth {depth} is not allowed for colour type {colour_type} ({name})", *where)
    if compression != 0:
        raise fail(f"unknown compression method {compression}", *where)
    if filtering != 0:
        raise fail(f"unknown filter method {filtering}", *where)
    if interlace not in (0, 1):
        raise fail(f"unknown interlace method {interlace}", *where)
    if width * height > max_pixels:
        raise fail(
            f"{width}x{height} image has {width * height} pixels, above the limit of {max_pixels}", *where
        )
    return Header(width, height, depth, colour_type, interlace == 1)


def decode_png(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Decode a whole PNG file into an :class:`~refkmeans.image.Image`."""
    chunks = read_chunks(data)
    header = read_header(next(chunks), max_pixels)
    palette: Optional[bytes] = None
    transparency: Optional[Chunk] = None
    idats: List[Chunk] = []
    last_type = "IHDR"
    seen: Dict[str, int] = {"IHDR": 8}
    for chunk in chunks:
        kind, where = chunk.type, (chunk.type, chunk.offset)
        if kind == "IDAT" and idats and last_type != "IDAT":
            raise fail(f"IDAT chunks must be consecutive, but {last_type} came between them", *where)
        if kind in ("IHDR", "PLTE", "tRNS") and kind in seen:
            raise fail(f"a second {kind} chunk (the first is at byte {seen[kind]})", *where)
        if kind in ("PLTE", "tRNS") and idats:
            raise fail(f"{kind} must come before IDAT", *where)
        seen.setdefault(kind, chunk.offset)
        last_type = kind
        if kind == "IDAT":
            idats.append(chunk)
        elif kind == "PLTE":
            palette = _check_palette(chunk, header)
        elif kind == "tRNS":
            _check_transparency(chunk, header, palette)
            transparency = chunk
        elif kind == "IEND":
            if chunk.data:
                raise fail("IEND must be empty", *where)
            break
        elif is_critical(kind):
            raise fail(f"unknown critical chunk {kind}", *where)
    if not idats:
        raise fail("no IDAT chunk", "IEND", chunk.offset)
    if header.colour_type == 3 and palette is None:
        raise fail("an indexed image needs a PLTE chunk before IDAT", "IDAT", idats[0].offset)
    channels = COLOUR_TYPES[header.colour_type][1]
    samples = _read_samples(header, idats, channels)
    return _to_image(header, samples, channels, palette, transparency, idats[0].offset)


def _check_palette(chunk: Chunk, header: Header) -> bytes:
    where = ("PLTE", chunk.offset)
    if header.colour_type in (0, 4):
        raise fail("a greyscale image cannot have a PLTE chunk", *where)
    entries, extra = divmod(len(chunk.data), 3)
    if extra or not 1 <= entries <= 256:
        raise fail(f"PLTE must hold 1..256 entries of 3 bytes, it holds {len(chunk.data)} bytes", *where)
    if header.colour_type == 3 and entries > 2**header.depth:
        raise fail(f"{entries} PLTE entries do not fit bit depth {header.depth}", *where)
    return chunk.data


def _check_transparency(chunk: Chunk, header: Header, palette: Optional[bytes]) -> None:
    where = ("tRNS", chunk.offset)
    size = len(chunk.data)
    if header.colour_type in (4, 6):
        raise fail("an image with an alpha channel cannot have a tRNS chunk", *where)
    if header.colour_type == 3:
        if palette is None:
            raise fail("tRNS must come after PLTE", *where)
        if size > len(palette) // 3:
            raise fail(f"tRNS holds {size} alpha values for {len(palette) // 3} palette entries", *where)
    elif size != (2 if header.colour_type == 0 else 6):
        raise fail(f"tRNS for colour type {header.colour_type} must hold {2 if header.colour_type == 0 else 6} bytes, it holds {size}", *where)


def _inflate(idats: List[Chunk], expected: int) -> bytes:
    """Inflate the IDAT stream, never producing more than ``expected`` bytes."""
    inflater = zlib.decompressobj()
    out = bytearray()
    for chunk in idats:
        if inflater.eof:
            if chunk.data:
                raise fail("data after the end of the zlib stream", "IDAT", chunk.offset)
            continue
        try:
            # One byte more than allowed, so that too much data is seen at once.
            out += inflater.decompress(chunk.data, expected - len(out) + 1)
        except zlib.error as exc:
            raise fail(f"corrupt zlib data ({exc})", "IDAT", chunk.offset) from None
        if len(out) > expected:
            raise fail(f"more image data than the {expected} bytes the header needs", "IDAT", chunk.offset)
        if inflater.unused_data:
            raise fail("data after the end of the zlib stream", "IDAT", chunk.offset)
    last = idats[-1].offset
    if len(out) < expected:
        raise fail(f"image data ends after {len(out)} of {expected} bytes", "IDAT", last)
    if not inflater.eof:
        raise fail("the zlib stream is not finished (no end marker and checksum)", "IDAT", last)
    return bytes(out)


def _read_samples(header: Header, idats: List[Chunk], channels: int) -> array:
    """Unfilter every row of every pass; the samples in raster order."""
    depth, width = header.depth, header.width
    layout = passes(width, header.height, header.interlaced)
    sizes = [(p, row_bytes(p.width, channels, depth)) for p in layout]
    expected = sum(p.height * (size + 1) for p, size in sizes if p.width)
    raw = _inflate(idats, expected)
    bpp = max(1, channels * depth // 8)
    typecode = "H" if depth == 16 else "B"
    full = array(typecode)
    pos = 0
    for number, (p, size) in enumerate(sizes):
        if not p.width or not p.height:
            continue
        sub = array(typecode)
        prior = bytes(size)
        for r in range(p.height):
            kind = raw[pos]
            if kind > 4:
                where = f"row {r}" + (f" of pass {number + 1}" if header.interlaced else "")
                raise fail(f"invalid filter type {kind} in {where} (inflated byte {pos})", "IDAT", idats[0].offset)
            prior = unfilter_row(kind, raw[pos + 1 : pos + 1 + size], prior, bpp)
            pos += size + 1
            sub.extend(unpack_row(prior, depth, p.width * channels))  # type: ignore[arg-type]
        if not header.interlaced:
            return sub
        if not full:
            full = array(typecode, [0]) * (width * header.height * channels)
        scatter(full, sub, width, channels, p)
    return full


def _to_image(
    header: Header, samples: array, channels: int, palette: Optional[bytes], transparency: Optional[Chunk], offset: int
) -> Image:
    """Turn stored samples into an Image: expand the palette, add tRNS alpha."""
    w, h, ctype = header.width, header.height, header.colour_type
    maxval = (1 << header.depth) - 1
    if ctype == 3:
        assert palette is not None
        return _expand_palette(header, samples.tobytes(), palette, transparency, offset)
    tupltype = "BLACKANDWHITE" if ctype == 0 and header.depth == 1 else None
    if transparency is None:
        return Image(w, h, channels, maxval, samples, tupltype)
    key = struct.unpack(f">{channels}H", transparency.data)
    alpha = _key_alpha(samples, channels, key, maxval)
    out = array(samples.typecode, [0]) * (len(samples) + len(alpha))
    for c in range(channels):
        out[c :: channels + 1] = samples[c::channels]
    out[channels :: channels + 1] = alpha
    return Image(w, h, channels + 1, maxval, out, "GRAYSCALE_ALPHA" if channels == 1 else "RGB_ALPHA")


def _key_alpha(samples: array, channels: int, key: tuple, maxval: int) -> array:
    """Alpha for a tRNS colour key: 0 where a pixel equals ``key``, maxval elsewhere.

    Built from byte strings with ``bytes.translate`` and one big-integer AND
    per sample byte, never a Python object per pixel: a list of a hundred
    million alphas would cost gigabytes.
    """
    raw = samples.tobytes()
    size = samples.itemsize
    count = len(samples) // channels
    equal = (1 << (8 * count)) - 1  # a 1 byte for each pixel still equal to the key
    for c, value in enumerate(key):
        if value >= 1 << (8 * size):
            equal = 0  # a key above maxval matches nothing
            break
        for j, byte in enumerate(value.to_bytes(size, sys.byteorder)):
            column = raw[c * size + j :: channels * size]
            equal &= int.from_bytes(column.translate(bytes(1 if v == byte else 0 for v in range(256))), "big")
    del raw
    opaque = equal.to_bytes(count, "big").translate(bytes([maxval & 255]) + bytes(255))
    alpha = array(samples.typecode)
    if size == 1:
        alpha.frombytes(opaque)
    else:  # 16 bits: maxval is 65535, both bytes of an alpha are 0 or 255
        wide = bytearray(2 * count)
        wide[0::2] = wide[1::2] = opaque
        alpha.frombytes(wide)
    return alpha


def _expand_palette(header: Header, indices: bytes, palette: bytes, transparency: Optional[Chunk], offset: int) -> Image:
    entries = len(palette) // 3
    if entries < 256:
        marks = bytes(0 if v < entries else 1 for v in range(256))
        bad = indices.translate(marks).find(1)
        if bad >= 0:
            raise fail(
                f"palette index {indices[bad]} at pixel {bad} is past the {entries}-entry PLTE", "IDAT", offset
            )
    tables = [bytes(palette[c::3]).ljust(256, b"\0") for c in range(3)]
    if transparency is not None:
        tables.append(transparency.data.ljust(entries, b"\xff").ljust(256, b"\0"))
    channels = len(tables)
    out = bytearray(len(indices) * channels)
    for c, table in enumerate(tables):
        out[c::channels] = indices.translate(table)
    return Image(header.width, header.height, channels, 255, array("B", out))
