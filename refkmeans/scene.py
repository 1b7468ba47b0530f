"""The built-in demo picture: a procedural winter scene, drawn with integers only.

It nods to the notebook's snowman photo: a sky gradient, a low sun with a
glow, two ranges of hills, a snowman, falling snow and grain.  Integer
arithmetic alone makes it bit-identical on every machine, so tests and
golden vectors may depend on it.

>>> im = scene(48, 32)
>>> im.width, im.height, im.channels, len(set(im.pixels())) > 200
(48, 32, 3, True)
"""

from __future__ import annotations

from array import array

from .image import Image


def _hash(x: int, y: int, salt: int) -> int:
    """A small integer hash (xorshift-multiply), 0..255."""
    h = (x * 374761393 + y * 668265263 + salt * 2246822519) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & 0xFF


def _triangle(t: int, period: int, height: int) -> int:
    """A triangle wave 0..height with the given period."""
    t %= period
    half = period // 2
    return (t if t < half else period - t) * height // half


def _mix(a: tuple, b: tuple, t: int, total: int) -> tuple:
    """Blend colour a into b by t/total, in integers."""
    return tuple((x * (total - t) + y * t) // total for x, y in zip(a, b))


def scene(width: int = 240, height: int = 160) -> Image:
    """Draw the demo scene at the given size (any size of at least 8x8)."""
    samples = array("B")
    horizon = height * 11 // 20
    sun_x, sun_y, sun_r = width * 7 // 10, height * 2 // 5, max(2, height // 9)
    man_x, man_base = width * 3 // 10, height * 9 // 10
    body_r, head_r = max(2, height // 9), max(2, height // 14)
    body_y = man_base - body_r
    head_y = body_y - body_r - head_r + 2
    far = horizon - height // 10
    for y in range(height):
        for x in range(width):
            colour = _mix((24, 40, 110), (250, 170, 90), y, max(1, horizon))
            d2 = (x - sun_x) ** 2 + (y - sun_y) ** 2
            if d2 < (sun_r * 3) ** 2:  # glow fades with distance
                colour = _mix((255, 230, 140), colour, min(d2, (sun_r * 3) ** 2), (sun_r * 3) ** 2)
            if d2 <= sun_r * sun_r:
                colour = (255, 244, 200)
            ridge_far = far + _triangle(x * 3, width, height // 6) - height // 12
            ridge_near = horizon + _triangle(x * 2 + width // 3, width, height // 5) - height // 10
            if y >= ridge_far:
                colour = _mix((70, 80, 130), (40, 50, 90), y - ridge_far, height)
            if y >= ridge_near:
                shade = _hash(x // 3, y // 3, 7) % 24
                colour = (220 - shade, 225 - shade, 240 - shade // 2)
            body = (x - man_x) ** 2 + (y - body_y) ** 2 <= body_r * body_r
            head = (x - man_x) ** 2 + (y - head_y) ** 2 <= head_r * head_r
            if body or head:
                lit = max(0, min(40, (x - man_x) * 40 // max(1, body_r)))
                colour = (215 + lit, 220 + lit // 2 + 2, 235)
                if head and abs(x - man_x - head_r // 2) <= 1 and abs(y - head_y) <= 1:
                    colour = (240, 120, 20)  # a carrot nose
                if body and abs(x - man_x) <= 1 and (y - body_y) % max(3, body_r // 2) == 0:
                    colour = (30, 30, 35)  # buttons
            if _hash(x, y, 3) > 251 and y < ridge_near:
                colour = (250, 250, 255)  # falling snow
            grain = _hash(x, y, 11) % 7 - 3
            samples.extend(min(255, max(0, v + grain)) for v in colour)
    return Image(width, height, 3, 255, samples)
