"""Reproducible random generators for choosing the initial k-means centroids.

A generator offers two operations:

``below(n)``
    a uniform integer in ``[0, n)``;
``permutation_prefix(n, k)``
    the first ``k`` entries of a random permutation of ``range(n)``, which is
    how the initial centroids are picked: ``k`` distinct pixel indices.

Two generators are registered (see :func:`make_generator`):

``portable``
    SplitMix64 plus two small, fully specified algorithms.  It is cheap
    (``permutation_prefix`` costs O(k) time and memory, whatever ``n``) and
    easy to reproduce bit for bit in any language; the specification follows.
``numpy-legacy``
    reproduces ``numpy.random.seed(seed); numpy.random.permutation(n)`` (the
    MT19937 based legacy ``RandomState``) exactly, without numpy, so that
    results can be compared with an existing numpy program.  It has to
    shuffle all ``n`` entries, so it costs O(n).

Specification of the ``portable`` generator
-------------------------------------------

All arithmetic is on unsigned 64-bit integers, modulo 2**64 (``uint64_t``
in C, where the wrap-around is automatic).

State
    one 64-bit word ``s``, initialised to the seed.  The seed must be an
    integer with ``0 <= seed < 2**64``; anything else is a usage error (the
    seed is never reduced or hashed).

``next_u64()`` -- SplitMix64 (Steele, Lea and Flood 2014; Vigna's
``splitmix64.c``)::

    s = s + 0x9E3779B97F4A7C15
    z = s
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)

``below(n)`` for ``1 <= n < 2**64`` -- unbiased, by rejection::

    limit = 2**64 - (2**64 mod n)     # the largest multiple of n <= 2**64
    x = next_u64()
    while x >= limit: x = next_u64()
    return x mod n

For ``n >= 2**64`` (a k-means++ total can be that large) the same rule runs
on wider words: with ``m = ceil(bitlength(n) / 64)``, a draw is ``m``
outputs joined high word first, and ``2**64`` becomes ``2**(64 m)``.

In C: ``r = (0 - n) % n`` is ``2**64 mod n``; draw again while
``x > UINT64_MAX - r``.  Every call draws at least once: ``below(1)``
consumes one ``next_u64()`` and returns 0.

``permutation_prefix(n, k)`` for ``0 <= k <= n < 2**64`` -- the first ``k``
steps of a forward Fisher-Yates shuffle of the virtual array
``a = [0, 1, ..., n-1]``::

    for i = 0, 1, ..., k-1:
        j = i + below(n - i)
        swap a[i] and a[j]
    return a[0], ..., a[k-1]

Exactly ``k`` calls of ``below`` are made, one per step, *including* a step
with ``n - i == 1`` (reached when ``k == n``): that step still calls
``below(1)`` and so consumes a draw although its result is always 0.  An
implementation must keep this rule to stay in step with the stream.  Only
the entries that were moved need storing (this module keeps them in a dict),
so ``n`` may be far larger than memory.

Test vectors (checked against an independent implementation in
``tests/test_rng.py``):

* seed 0, ``next_u64()`` x 5:
  0xe220a8397b1dcdaf (16294208416658607535),
  0x6e789e6aa1b965f4 (7960286522194355700),
  0x06c45d188009454f (487617019471545679),
  0xf88bb8a8724c81ec (17909611376780542444),
  0x1b39896a51a8749b (1961750202426094747)
* seed 42, ``next_u64()`` x 5:
  0xbdd732262feb6e95 (13679457532755275413),
  0x28efe333b266f103 (2949826092126892291),
  0x47526757130f9f52 (5139283748462763858),
  0x581ce1ff0e4ae394 (6349198060258255764),
  0x09bc585a244823f2 (701532786141963250)
* seed 0, ``below(10)`` x 5: 5, 0, 9, 4, 7
* seed 7, ``permutation_prefix(10, 4)``: 7, 0, 4, 6
* seed 1234567, ``next_u64()`` x 2: 6457827717110365317,
  3203168211198807973 (the published reference values of splitmix64.c)

>>> g = PortableGenerator(0)
>>> for _ in range(5):
...     print(hex(g.next_u64()))
0xe220a8397b1dcdaf
0x6e789e6aa1b965f4
0x6c45d188009454f
0xf88bb8a8724c81ec
0x1b39896a51a8749b
>>> g = PortableGenerator(42)
>>> for _ in range(5):
...     print(g.next_u64())
13679457532755275413
2949826092126892291
5139283748462763858
6349198060258255764
701532786141963250
>>> g = PortableGenerator(0)
>>> [g.below(10) for _ in range(5)]
[5, 0, 9, 4, 7]
>>> PortableGenerator(7).permutation_prefix(10, 4)
[7, 0, 4, 6]

The ``numpy-legacy`` generator
------------------------------

``numpy.random.seed(seed)`` with an integer ``0 <= seed < 2**32`` seeds
MT19937 with ``init_genrand(seed)`` (``mt[0] = seed``, ``mt[i] =
(1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i) mod 2**32``), and outputs are
the standard tempered 32-bit MT19937 words.  ``permutation(n)`` shuffles
``arange(n)`` with ``for i = n-1 down to 1: j = random_interval(i); swap
x[i], x[j]``, where ``random_interval(m)`` returns 0 *without a draw* when
``m == 0``, else draws words until ``word & mask <= m`` (``mask`` is ``m``
with every bit below its highest set bit set; for ``m >= 2**32`` each draw
is two words, the first one the high half).  ``permutation_prefix(n, k)``
runs that whole shuffle and returns its first ``k`` entries (``n <=
2**32``).  ``below(n)`` (``1 <= n <= 2**64``) is defined as
``random_interval(n - 1)``, so unlike the portable generator ``below(1)``
consumes nothing; the tests check that it equals
``RandomState(seed).randint(0, n, dtype=numpy.int64)`` draw for draw (for
``n <= 2**63``).  Successive calls continue one stream, as successive calls
on one ``RandomState`` do.  All of this was checked against numpy 2.4.

>>> NumpyLegacyGenerator(0).permutation(10)
[2, 8, 4, 9, 1, 6, 7, 3, 0, 5]

Speed: the MT19937 words come from the C twister behind the standard
library's :class:`random.Random`, loaded with the ``init_genrand`` state;
that shortcut is checked once against the pure-Python twister in this
module and abandoned for it if the two ever disagree.
"""

from __future__ import annotations

import operator
import random
import struct
from array import array
from itertools import chain
from typing import (
    Callable,
    Dict,
    List,
    MutableSequence,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .errors import UsageError

__all__ = [
    "GENERATORS",
    "Generator",
    "NumpyLegacyGenerator",
    "PortableGenerator",
    "make_generator",
]

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_TWO64 = 1 << 64

# SplitMix64 constants.
_GAMMA = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB

# MT19937 constants.
_MT_N = 624
_MT_M = 397
_MT_MATRIX = (0, 0x9908B0DF)  # indexed by the low bit of y
_MT_INIT_MULT = 1812433253

#: Largest n the numpy-legacy shuffle accepts: every index then fits one
#: 32-bit draw (a larger array would not fit in memory anyway).
MAX_SHUFFLE = 1 << 32

# A list is quickest for small arrays; a compact array of machine integers is
# quicker (fewer cache misses) and far smaller beyond this size.
_LIST_LIMIT = 1 << 20


def _as_int(value: object, what: str, low: int, high: int) -> int:
    """``value`` as an int within ``[low, high]``, else a :class:`UsageError`."""
    if isinstance(value, bool):
        raise UsageError(f"{what} must be an integer, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise UsageError(f"{what} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise UsageError(f"{what} must be in [{low}, {high}], got {number}")
    return number


class Generator:
    """What every generator provides; subclasses override both methods.

    Instances are stateful: each call continues the stream where the
    previous one stopped.
    """

    name = ""

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)``, ``n >= 1``."""
        raise NotImplementedError

    def permutation_prefix(self, n: int, k: int) -> List[int]:
        """The first ``k`` entries of a random permutation of ``range(n)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} seed={getattr(self, 'seed', None)}>"


class PortableGenerator(Generator):
    """SplitMix64 with the ``below`` and ``permutation_prefix`` of the module docs."""

    name = "portable"

    def __init__(self, seed: int) -> None:
        self.seed = _as_int(seed, "seed", 0, _M64)
        #: The SplitMix64 state word (public so that it can be compared).
        self.state = self.seed

    def next_u64(self) -> int:
        """The next 64-bit output of SplitMix64."""
        s = (self.state + _GAMMA) & _M64
        self.state = s
        z = ((s ^ (s >> 30)) * _MIX1) & _M64
        z = ((z ^ (z >> 27)) * _MIX2) & _M64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform in ``[0, n)`` by rejection; always draws at least once."""
        n = _as_int(n, "n", 1, n if isinstance(n, int) and n > _M64 else _M64)
        if n > _M64:
            return self._below_wide(n)
        return self._below(n)

    def _below(self, n: int) -> int:
        limit = _TWO64 - _TWO64 % n
        draw = self.next_u64
        x = draw()
        while x >= limit:
            x = draw()
        return x % n

    def _below_wide(self, n: int) -> int:
        words = -(-n.bit_length() // 64)
        span = 1 << (64 * words)
        limit = span - span % n
        while True:
            x = 0
            for _ in range(words):
                x = (x << 64) | self.next_u64()
            if x < limit:
                return x % n

    def permutation_prefix(self, n: int, k: int) -> List[int]:
        """Partial forward Fisher-Yates; O(k) time and memory for any ``n``."""
        n = _as_int(n, "n", 0, _M64)
        k = _as_int(k, "k", 0, n)
        below = self._below
        moved: Dict[int, int] = {}  # position -> value, for positions >= i only
        out: List[int] = []
        for i in range(k):
            j = i + below(n - i)  # n - i == 1 still draws: see the module docs
            value_i = moved.pop(i, i)  # position i is never read again
            if j == i:
                out.append(value_i)
            else:
                out.append(moved.get(j, j))
                moved[j] = value_i
        return out


# --- MT19937 -----------------------------------------------------------------


def _init_genrand(seed: int) -> List[int]:
    """The 624-word MT19937 state after ``init_genrand(seed)``."""
    state = [seed]
    previous = seed
    for i in range(1, _MT_N):
        previous = (_MT_INIT_MULT * (previous ^ (previous >> 30)) + i) & _M32
        state.append(previous)
    return state


def _temper(y: int) -> int:
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    return y ^ (y >> 18)


_temper_tables: Optional[Tuple[List[int], List[int]]] = None


def _get_temper_tables() -> Tuple[List[int], List[int]]:
    """Tempering is linear over GF(2): temper(y) = low[y & 0xffff] ^ high[y >> 16]."""
    global _temper_tables
    if _temper_tables is None:
        _temper_tables = (
            [_temper(y) for y in range(1 << 16)],
            [_temper(y << 16) for y in range(1 << 16)],
        )
    return _temper_tables


BatchSource = Callable[[], Sequence[int]]


def _python_batches(state: Sequence[int]) -> BatchSource:
    """A function returning the next 624 tempered MT19937 outputs per call.

    ``state`` is the raw 624-word state with the position at its end (as
    right after seeding), so the first call twists.  The twist
    ``mt[i] = mt[i+397] ^ (y >> 1) ^ matrix[y & 1]`` with
    ``y = upper bit of mt[i] | lower 31 bits of mt[i+1]`` (indices mod 624)
    reads new words from ``mt[i+397-624]`` once ``i >= 227``, so it runs as
    four list comprehensions over slices: i in [0, 227), [227, 454),
    [454, 623) and 623.
    """
    mt = list(state)
    low, high = _get_temper_tables()
    matrix = _MT_MATRIX

    def twist(far: Sequence[int], here: Sequence[int], nxt: Sequence[int]) -> List[int]:
        return [f ^ (((h & 0x80000000) | (x & 0x7FFFFFFF)) >> 1) ^ matrix[x & 1] for f, h, x in zip(far, here, nxt)]

    def batch() -> List[int]:
        old = mt
        part1 = twist(old[397:624], old[0:227], old[1:228])
        part2 = twist(part1, old[227:454], old[228:455])
        part3 = twist(part2[:169], old[454:623], old[455:624])
        new = part1 + part2 + part3
        new += twist(new[396:397], old[623:624], new[0:1])
        mt[:] = new
        return [low[y & 0xFFFF] ^ high[y >> 16] for y in new]

    return batch


_unpack_words = struct.Struct("<624I").unpack


def _stdlib_batches(state: Sequence[int]) -> BatchSource:
    """Like :func:`_python_batches`, using the C twister of :mod:`random`.

    ``random.Random`` is MT19937 too; its state can be set to any 624 words
    plus a position, and ``getrandbits(624 * 32)`` returns the next 624
    outputs, the first one in the lowest 32 bits.
    """
    twister = random.Random()
    twister.setstate((3, tuple(state) + (_MT_N,), None))
    getrandbits = twister.getrandbits
    unpack = _unpack_words

    def batch() -> Sequence[int]:
        return unpack(getrandbits(_MT_N * 32).to_bytes(_MT_N * 4, "little"))

    return batch


_stdlib_ok: Optional[bool] = None


def _stdlib_twister_ok() -> bool:
    """Whether :func:`_stdlib_batches` agrees with :func:`_python_batches` (cached)."""
    global _stdlib_ok
    if _stdlib_ok is None:
        try:
            state = _init_genrand(5489)
            fast, slow = _stdlib_batches(state), _python_batches(state)
            _stdlib_ok = all(list(fast()) == list(slow()) for _ in range(2))
        except Exception:  # any surprise from another Python: use the slow path
            _stdlib_ok = False
    return _stdlib_ok


def _shuffle(x: MutableSequence[int], draw: Callable[[], int], keep: int) -> None:
    """numpy's legacy ``shuffle`` of ``x`` in place, using 32-bit ``draw``.

    Only ``x[:keep]`` is guaranteed to hold the final result: once step
    ``i >= keep`` has picked ``j``, position ``i`` is never read again, so
    those steps copy instead of swapping.  Steps run in runs of equal
    ``mask`` (``i`` from ``2**b - 1`` down to ``2**(b-1)``).
    """
    top = len(x) - 1
    while top >= 1:
        mask = (1 << top.bit_length()) - 1
        bottom = (mask + 1) >> 1
        split = min(max(keep, bottom), top + 1)
        for i in range(top, split - 1, -1):
            j = draw() & mask
            while j > i:
                j = draw() & mask
            x[j] = x[i]
        for i in range(split - 1, bottom - 1, -1):
            j = draw() & mask
            while j > i:
                j = draw() & mask
            x[i], x[j] = x[j], x[i]
        top = bottom - 1


def _identity(n: int) -> Union[List[int], array[int]]:
    """``range(n)`` as a list, or as a compact array when large."""
    if n <= _LIST_LIMIT:
        return list(range(n))
    typecode = "i" if array("i").itemsize * 8 - 1 >= n.bit_length() else "q"
    return array(typecode, range(n))


class NumpyLegacyGenerator(Generator):
    """``numpy.random.seed(seed); numpy.random.permutation(n)`` in pure Python.

    ``pure=True`` forces the pure-Python twister instead of the (checked)
    standard-library one; both give the same numbers.
    """

    name = "numpy-legacy"

    def __init__(self, seed: int, *, pure: bool = False) -> None:
        self.seed = _as_int(seed, "seed", 0, _M32)
        state = _init_genrand(self.seed)
        if not pure and _stdlib_twister_ok():
            #: Which twister feeds the stream: "stdlib" or "python".
            self.backend = "stdlib"
            batches = _stdlib_batches(state)
        else:
            self.backend = "python"
            batches = _python_batches(state)
        words = chain.from_iterable(iter(batches, None))
        self._next_word: Callable[[], int] = words.__next__

    def next_u32(self) -> int:
        """The next tempered MT19937 output (``genrand_int32``)."""
        return self._next_word()

    def _interval(self, most: int) -> int:
        """numpy's ``random_interval(most)``: uniform in ``[0, most]``."""
        if most == 0:
            return 0
        mask = (1 << most.bit_length()) - 1
        draw = self._next_word
        if most <= _M32:
            value = draw() & mask
            while value > most:
                value = draw() & mask
            return value
        while True:
            value = ((draw() << 32) | draw()) & mask  # high word first
            if value <= most:
                return value

    def below(self, n: int) -> int:
        """``random_interval(n - 1)``; ``below(1)`` returns 0 without a draw."""
        return self._interval(_as_int(n, "n", 1, _TWO64) - 1)

    def permutation(self, n: int) -> List[int]:
        """``RandomState.permutation(n)`` as a list."""
        return self.permutation_prefix(n, n)

    def permutation_prefix(self, n: int, k: int) -> List[int]:
        """The first ``k`` of :meth:`permutation` (the whole shuffle still runs)."""
        n = _as_int(n, "n", 0, MAX_SHUFFLE)
        k = _as_int(k, "k", 0, n)
        x = _identity(n)
        _shuffle(x, self._next_word, k)
        if isinstance(x, list):
            del x[k:]
            return x
        return x[:k].tolist()


_REGISTRY: Dict[str, Callable[[int], Generator]] = {
    PortableGenerator.name: PortableGenerator,
    NumpyLegacyGenerator.name: NumpyLegacyGenerator,
}

#: Names accepted by :func:`make_generator`.
GENERATORS: Tuple[str, ...] = tuple(_REGISTRY)


def make_generator(name: str, seed: int) -> Generator:
    """The generator called ``name`` (one of :data:`GENERATORS`), seeded."""
    try:
        factory = _REGISTRY[name]
    except (KeyError, TypeError):
        raise UsageError(f"unknown generator {name!r}; valid names: {', '.join(GENERATORS)}") from None
    return factory(seed)
