"""PNG chunks: the signature, the chunk layout, CRCs, and the one error shape.

A PNG file is the 8-byte signature and then chunks, each ``length`` (4
bytes, big-endian, at most 2**31 - 1), ``type`` (4 ASCII letters), ``data``
and a CRC-32 of type and data.  A chunk whose type starts with an upper-case
letter is *critical*: a decoder that does not know it must give up.
"""

from __future__ import annotations

import struct
import zlib
from typing import Iterator, NamedTuple, Optional

from refkmeans.errors import ImageError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK_LENGTH = 2**31 - 1


class Chunk(NamedTuple):
    """One chunk as read: its type, its data and the offset of its length field."""

    type: str
    data: bytes
    offset: int


def fail(what: str, chunk: Optional[str] = None, offset: int = 0) -> ImageError:
    """The one error shape: ``png: <what> in chunk <TYPE> at byte <offset>``."""
    where = f" in chunk {chunk}" if chunk else ""
    return ImageError(f"png: {what}{where} at byte {offset}")


def is_critical(chunk_type: str) -> bool:
    """Critical chunks have an upper-case first letter (bit 5 of byte 0 clear)."""
    return chunk_type[:1].isupper()


def read_chunks(data: bytes) -> Iterator[Chunk]:
    """Every chunk after the signature, each length and CRC checked, through IEND.

    Bytes after IEND are ignored, as libpng does.
    """
    if data[:8] != SIGNATURE:
        if len(data) < 8 and SIGNATURE.startswith(data):
            raise fail("file ends inside the signature", None, len(data))
        raise fail("not a PNG file: bad signature", None, 0)
    pos = 8
    while True:
        if pos + 8 > len(data):
            raise fail("file ends before IEND (truncated)", None, pos)
        length, raw_type = struct.unpack_from(">I4s", data, pos)
        if not raw_type.isalpha() or not raw_type.isascii():
            raise fail(f"invalid chunk type {raw_type!r}", None, pos + 4)
        chunk_type = raw_type.decode("ascii")
        if length > MAX_CHUNK_LENGTH:
            raise fail(f"chunk length {length} exceeds 2^31-1", chunk_type, pos)
        end = pos + 12 + length
        if end > len(data):
            raise fail(
                f"truncated: the chunk needs {length} data bytes and a CRC, the file has {max(len(data) - pos - 8, 0)}",
                chunk_type,
                pos,
            )
        body = data[pos + 8 : pos + 8 + length]
        (stored,) = struct.unpack_from(">I", data, pos + 8 + length)
        computed = zlib.crc32(body, zlib.crc32(raw_type))
        if stored != computed:
            raise fail(f"bad CRC (stored {stored:08x}, computed {computed:08x})", chunk_type, pos)
        yield Chunk(chunk_type, body, pos)
        if chunk_type == "IEND":
            return
        pos = end


def make_chunk(chunk_type: bytes, body: bytes) -> bytes:
    """One chunk with its length and CRC."""
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(chunk_type)))
