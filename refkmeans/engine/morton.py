"""Colours as Morton (Z-order) codes, packed and unpacked at C speed.

A colour of C channels becomes one integer whose bits interleave the
channels: bit ``b`` of channel ``c`` lands at position ``b * C + c``.  Two
things make this the right key for colour quantization:

* It is injective, so a ``collections.Counter`` over the codes is the colour
  histogram (counting runs in C).
* Sorting the codes puts every octree cell in one contiguous run, so a
  kd-tree over the colours is a sorted list plus ``bisect`` (see
  :mod:`refkmeans.engine.kdtree`).

Packing never loops over pixels in Python.  Each (channel, byte) plane of
the samples is sliced out (``bytes[i::stride]``), spread into the output
bytes it feeds with ``bytes.translate``, and the spread planes are combined
with one bitwise OR on big integers (the planes' bits never overlap).

>>> coder = MortonCoder(channels=3, sample_bytes=1)
>>> codes = coder.encode(bytes([1, 2, 3, 255, 255, 255]))
>>> [bin(c) for c in codes]
['0b110101', '0b111111111111111111111111']
>>> coder.decode_one(codes[0]), coder.decode(codes)
((1, 2, 3), [array('B', [1, 255]), array('B', [2, 255]), array('B', [3, 255])])
"""

from __future__ import annotations

import sys
from array import array
from typing import Dict, List, Sequence, Tuple, Union

Codes = Union[array, List[int]]

_BIG = sys.byteorder == "big"


def _word_typecode(width: int) -> str:
    """An unsigned ``array`` typecode whose items are exactly ``width`` bytes, or ''."""
    for code in ("B", "H", "I", "L", "Q"):
        if array(code).itemsize == width:
            return code
    return ""


class MortonCoder:
    """Packs colours of ``channels`` samples of ``sample_bytes`` bytes (1 or 2) into codes.

    Codes are returned as an unsigned ``array`` when they fit in 1, 2, 4 or 8
    bytes, otherwise as a list of Python ints (more than 8 bytes per colour).
    """

    def __init__(self, channels: int, sample_bytes: int) -> None:
        if channels < 1 or sample_bytes not in (1, 2):
            raise ValueError(f"unsupported layout: {channels} channels of {sample_bytes} bytes")
        self.channels = channels
        self.sample_bytes = sample_bytes
        self.bits = 8 * sample_bytes * channels
        self.code_bytes = sample_bytes * channels
        width = next((w for w in (1, 2, 4, 8) if w >= self.code_bytes), self.code_bytes)
        self.word = width
        self.typecode = _word_typecode(width)
        # encode[(c, j)] -> [(output byte o, translate table)]: where the 8 bits
        # of byte j of channel c go, byte by byte of the code.
        self._encode: Dict[Tuple[int, int], List[Tuple[int, bytes]]] = {}
        # decode[o] -> [(channel c, sample byte j, translate table)]: the reverse.
        self._decode: Dict[int, List[Tuple[int, int, bytes]]] = {}
        # decode_one[o][value] -> per-channel contributions of code byte o.
        self._decode_one: List[List[Tuple[int, ...]]] = []
        spread: Dict[Tuple[int, int, int], List[int]] = {}
        gather: Dict[Tuple[int, int, int], List[int]] = {}
        for c in range(channels):
            for j in range(sample_bytes):
                for i in range(8):
                    position = (8 * j + i) * channels + c
                    o, bit = divmod(position, 8)
                    table = spread.setdefault((c, j, o), [0] * 256)
                    back = gather.setdefault((o, c, j), [0] * 256)
                    for value in range(256):
                        if value >> i & 1:
                            table[value] |= 1 << bit
                        if value >> bit & 1:
                            back[value] |= 1 << i
        for (c, j, o), table in sorted(spread.items()):
            self._encode.setdefault((c, j), []).append((o, bytes(table)))
        for (o, c, j), bits in sorted(gather.items()):
            self._decode.setdefault(o, []).append((c, j, bytes(bits)))
        for o in range(self.code_bytes):
            rows = []
            for value in range(256):
                contribution = [0] * channels
                for c, j, gathered in self._decode.get(o, []):
                    contribution[c] |= gathered[value] << (8 * j)
                rows.append(tuple(contribution))
            self._decode_one.append(rows)

    def encode(self, samples: bytes) -> Codes:
        """Codes of the colours in ``samples``: raw little-endian samples, pixel after pixel."""
        stride = self.code_bytes
        n = len(samples) // stride
        planes = [0] * stride
        for (c, j), targets in self._encode.items():
            plane = samples[c * self.sample_bytes + j :: stride]
            for o, table in targets:
                planes[o] |= int.from_bytes(plane.translate(table), "little")
        out = bytearray(self.word * n)
        for o, bits in enumerate(planes):
            out[o :: self.word] = bits.to_bytes(n, "little")
        return self._words(out, n)

    def encode_colours(self, colours: Sequence[Sequence[int]]) -> Codes:
        """Codes of a sequence of colour tuples."""
        flat = array("B" if self.sample_bytes == 1 else "H")
        for colour in colours:
            flat.extend(colour)
        return self.encode(little_endian(flat))

    def decode(self, codes: Codes) -> List[array]:
        """One ``array`` of samples per channel, in the order of ``codes``."""
        n = len(codes)
        raw = self._raw(codes)
        planes: Dict[Tuple[int, int], int] = {}
        for o, sources in self._decode.items():
            plane = raw[o :: self.word]
            for c, j, back in sources:
                planes[(c, j)] = planes.get((c, j), 0) | int.from_bytes(plane.translate(back), "little")
        channels = []
        for c in range(self.channels):
            if self.sample_bytes == 1:
                channels.append(array("B", planes.get((c, 0), 0).to_bytes(n, "little")))
            else:
                both = bytearray(2 * n)
                both[0::2] = planes.get((c, 0), 0).to_bytes(n, "little")
                both[1::2] = planes.get((c, 1), 0).to_bytes(n, "little")
                values = array("H")
                values.frombytes(both)
                if _BIG:
                    values.byteswap()
                channels.append(values)
        return channels

    def decode_one(self, code: int) -> Tuple[int, ...]:
        """The colour of one code (a Python-level table walk, for tree nodes)."""
        values = [0] * self.channels
        for rows in self._decode_one:
            for c, part in enumerate(rows[code & 255]):
                values[c] |= part
            code >>= 8
        return tuple(values)

    def free_bit_masks(self) -> List[Tuple[int, ...]]:
        """For p = 0..bits: per channel, the mask of its bits among the p lowest code bits.

        A run of codes sharing all bits above p spans, in channel c, the values
        ``prefix_c .. prefix_c | mask[p][c]``: an octree cell.
        """
        masks = []
        for p in range(self.bits + 1):
            masks.append(tuple((1 << max(0, (p - c + self.channels - 1) // self.channels)) - 1 for c in range(self.channels)))
        return masks

    def _words(self, out: bytearray, n: int) -> Codes:
        if self.typecode:
            codes = array(self.typecode)
            codes.frombytes(out)
            if _BIG:
                codes.byteswap()
            return codes
        w = self.word
        return [int.from_bytes(out[i : i + w], "little") for i in range(0, w * n, w)]

    def _raw(self, codes: Codes) -> bytes:
        if isinstance(codes, array) and codes.itemsize == self.word:
            return little_endian(codes)
        if self.typecode:
            return little_endian(array(self.typecode, codes))
        return b"".join(code.to_bytes(self.word, "little") for code in codes)


def little_endian(values: array) -> bytes:
    """The bytes of an ``array``, little-endian whatever the machine."""
    if _BIG and values.itemsize > 1:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def coder_for(channels: int, maxval: int) -> MortonCoder:
    """The coder for samples in 0..maxval (one byte each up to 255, else two)."""
    return MortonCoder(channels, 1 if maxval < 256 else 2)
