"""Valid Netpbm files written independently of the codec, and Netpbm-aware mutators.

:func:`valid_file` writes all seven formats with small random sizes, every
interesting maxval, comments and odd whitespace in headers, PAM tuple types,
and sometimes a second image after the first: the shapes a decoder must
accept, for mutators to damage.
"""

from __future__ import annotations

import random
from typing import List

from .mutators import Mutator

MAXVALS = (1, 2, 7, 15, 100, 255, 256, 1000, 4095, 65534, 65535)
TUPLTYPES = {1: ("GRAYSCALE", "BLACKANDWHITE"), 2: ("GRAYSCALE_ALPHA",), 3: ("RGB",), 4: ("RGB_ALPHA", "CMYK")}


def _gap(rnd: random.Random) -> bytes:
    """Whitespace between header tokens, sometimes with a comment."""
    choice = rnd.random()
    if choice < 0.6:
        return b" "
    if choice < 0.8:
        return rnd.choice([b"\n", b"\t", b"  \n", b"\r\n", b"\x0b", b"\x0c"])
    return b"\n# a comment" + bytes(rnd.choice(b"abc 123#") for _ in range(rnd.randint(0, 6))) + b"\n"


def _samples(rnd: random.Random, count: int, maxval: int) -> List[int]:
    edge = (0, maxval, maxval // 2)
    return [rnd.choice(edge) if rnd.random() < 0.3 else rnd.randint(0, maxval) for _ in range(count)]


def _raw(samples: List[int], maxval: int) -> bytes:
    if maxval < 256:
        return bytes(samples)
    return b"".join(v.to_bytes(2, "big") for v in samples)


def _plain(samples: List[int], rnd: random.Random) -> bytes:
    out = bytearray()
    for v in samples:
        out += str(v).encode() + rnd.choice([b" ", b"\n", b"  ", b"\t"])
    return bytes(out)


def one_image(rnd: random.Random) -> bytes:
    """One valid image of a random kind."""
    kind = rnd.randint(1, 7)
    width, height = rnd.randint(1, 9), rnd.randint(1, 5)
    if kind == 7:
        depth = rnd.randint(1, 4)
        tupltype = rnd.choice(TUPLTYPES[depth] + ("",))
        maxval = 1 if tupltype.startswith("BLACKANDWHITE") else rnd.choice(MAXVALS)
        lines = [b"P7", b"WIDTH %d" % width, b"HEIGHT %d" % height, b"DEPTH %d" % depth, b"MAXVAL %d" % maxval]
        if rnd.random() < 0.3:
            lines.insert(rnd.randint(1, len(lines)), b"# a comment")
        order = lines[1:]
        rnd.shuffle(order)
        lines = lines[:1] + order
        if tupltype:
            lines.append(b"TUPLTYPE " + tupltype.encode())
        header = b"\n".join(lines) + b"\nENDHDR\n"
        return header + _raw(_samples(rnd, width * height * depth, maxval), maxval)
    magic = b"P%d" % kind
    if kind in (1, 4):
        header = magic + _gap(rnd) + b"%d" % width + _gap(rnd) + b"%d" % height
        bits = _samples(rnd, width * height, 1)
        if kind == 1:
            return header + b"\n" + _plain(bits, rnd)
        row_bytes = (width + 7) // 8
        raster = bytearray()
        for y in range(height):
            row = bits[y * width : (y + 1) * width] + [0] * (row_bytes * 8 - width)
            raster += int("".join(map(str, row)), 2).to_bytes(row_bytes, "big")
        return header + b"\n" + bytes(raster)
    depth = 3 if kind in (3, 6) else 1
    maxval = rnd.choice(MAXVALS)
    header = magic + _gap(rnd) + b"%d" % width + _gap(rnd) + b"%d" % height + _gap(rnd) + b"%d" % maxval
    samples = _samples(rnd, width * height * depth, maxval)
    if kind in (2, 3):
        return header + b"\n" + _plain(samples, rnd)
    return header + rnd.choice([b"\n", b" ", b"\t"]) + _raw(samples, maxval)


def valid_file(rnd: random.Random) -> bytes:
    """A valid Netpbm file: usually one image, sometimes two or three."""
    images = [one_image(rnd) for _ in range(1 if rnd.random() < 0.8 else rnd.randint(2, 3))]
    return b"\n".join(images)


# -- Netpbm-aware mutators -------------------------------------------------------


def change_magic(data: bytes, rnd: random.Random) -> bytes:
    """Swap the format digit, so the header is read by the wrong rules."""
    at = data.find(b"P")
    if at < 0 or at + 1 >= len(data):
        return data
    return data[: at + 1] + bytes([rnd.choice(b"0123456789")]) + data[at + 2 :]


def huge_size(data: bytes, rnd: random.Random) -> bytes:
    """Make the width, the height or the PAM depth huge, with the raster as it was."""
    if data.startswith(b"P7"):
        keyword = rnd.choice([b"WIDTH ", b"HEIGHT ", b"DEPTH "])
        at = data.find(keyword)
        if at < 0:
            return data
        end = data.find(b"\n", at)
        return data[: at + len(keyword)] + rnd.choice([b"100000", b"4294967297", b"99999999999"]) + data[end:]
    parts = data.split(None, 3)
    if len(parts) < 3:
        return data
    which = rnd.randint(1, 2)
    parts[which] = rnd.choice([b"100000", b"65536", b"4294967297", b"99999999999999999999"])
    return b" ".join(parts[:3]) + b"\n" + (parts[3] if len(parts) > 3 else b"")


def pam_line(data: bytes, rnd: random.Random) -> bytes:
    """Damage a PAM header line: drop, duplicate, or misspell one, or lose ENDHDR."""
    if not data.startswith(b"P7"):
        return data
    end = data.find(b"ENDHDR\n")
    if end < 0:
        return data
    lines = data[:end].split(b"\n")
    body = data[end:]
    action = rnd.randrange(4)
    at = rnd.randrange(1, len(lines)) if len(lines) > 1 else 0
    if action == 0:
        del lines[at]
    elif action == 1:
        lines.insert(at, lines[at])
    elif action == 2:
        lines[at] = lines[at].lower()
    else:
        body = body[len(b"ENDHDR\n") :]
    return b"\n".join(lines) + body


def lower_maxval(data: bytes, rnd: random.Random) -> bytes:
    """Lower the maxval so that samples exceed it."""
    low = rnd.choice([b"1", b"2", b"254", b"255", b"256"])
    if data.startswith(b"P7"):
        at = data.find(b"MAXVAL ")
        end = data.find(b"\n", at)
        return data if at < 0 or end < 0 else data[: at + len(b"MAXVAL ")] + low + data[end:]
    parts = data.split(None, 4)
    if len(parts) < 5 or parts[0] not in (b"P2", b"P3", b"P5", b"P6"):
        return data
    return b" ".join(parts[:3] + [low]) + b"\n" + parts[4]


MUTATORS: List[Mutator] = [change_magic, huge_size, pam_line, lower_maxval]
