"""Deterministic thinning, so that teaching tools stay quick on a whole photo.

Nothing here is random: the same image always gives the same sample, so a
picture in the docs or a narration in a class can be reproduced exactly.

>>> from refkmeans.image import Image
>>> small, stride = thin(Image(4, 2, 1, 255, range(8)), 2)
>>> stride, small.width, small.height, list(small.samples)
(2, 2, 1, [0, 2])
"""

from __future__ import annotations

from array import array
from typing import List, Optional, Tuple

from ..errors import UsageError
from ..image import Image


def stride_for(width: int, height: int, max_pixels: Optional[int]) -> int:
    """The smallest s with ceil(width/s) x ceil(height/s) <= max_pixels (1 when there is no limit).

    >>> stride_for(240, 160, 4096), stride_for(240, 160, 0)
    (4, 1)
    """
    if not max_pixels:
        return 1
    if max_pixels < 0:
        raise UsageError(f"the sample size must be 0 (everything) or more, got {max_pixels}")
    s = 1
    while -(-width // s) * -(-height // s) > max_pixels:
        s += 1
    return s


def thin(image: Image, max_pixels: Optional[int]) -> Tuple[Image, int]:
    """Every s-th row and column of ``image`` (s from :func:`stride_for`), and s.

    Pixel (x, y) of the result is pixel (s x, s y) of ``image``; with no
    limit, or an image already small enough, the image itself comes back.
    """
    s = stride_for(image.width, image.height, max_pixels)
    if s == 1:
        return image, 1
    w, c = image.width, image.channels
    samples = image.samples
    out = array(samples.typecode)
    row_length = w * c
    for y in range(0, image.height, s):
        row = samples[y * row_length : (y + 1) * row_length]
        if c == 1:
            out.extend(row[::s])
        else:
            for pixel in zip(*(row[ch :: s * c] for ch in range(c))):
                out.extend(pixel)
    width, height = -(-w // s), -(-image.height // s)
    return Image(width, height, c, image.maxval, out, image.tupltype), s


def spread(n: int, m: int) -> List[int]:
    """``min(n, m)`` indices spread evenly over ``range(n)``, in increasing order.

    >>> spread(10, 4), spread(3, 5)
    ([0, 2, 5, 7], [0, 1, 2])
    """
    if m >= n:
        return list(range(n))
    return [i * n // m for i in range(m)]
