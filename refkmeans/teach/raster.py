"""A small indexed-colour canvas for frames and comparison images, with a 3x5 font.

Everything is drawn with integers into one ``bytearray`` of colour indices,
so a frame goes straight into a GIF (at most 256 colours) or expands into an
RGB :class:`~refkmeans.image.Image`.

>>> c = Canvas(8, 6)
>>> c.text(1, 1, "HI", (0, 0, 0))
>>> c.colours[0], c.colours[1], sum(c.pixels)
((255, 255, 255), (0, 0, 0), 20)
"""

from __future__ import annotations

from array import array
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import UsageError
from ..image import Image

RGB = Tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
GREY: RGB = (128, 128, 128)
LIGHT: RGB = (225, 225, 225)

# 3x5 glyphs, rows top to bottom, '#' lit.  Lower case prints as upper case.
_GLYPHS = {
    "0": "###/#.#/#.#/#.#/###", "1": ".#./##./.#./.#./###", "2": "###/..#/###/#../###",
    "3": "###/..#/.##/..#/###", "4": "#.#/#.#/###/..#/..#", "5": "###/#../###/..#/###",
    "6": "###/#../###/#.#/###", "7": "###/..#/..#/.#./.#.", "8": "###/#.#/###/#.#/###",
    "9": "###/#.#/###/..#/###", "A": ".#./#.#/###/#.#/#.#", "B": "##./#.#/##./#.#/##.",
    "C": ".##/#../#../#../.##", "D": "##./#.#/#.#/#.#/##.", "E": "###/#../##./#../###",
    "F": "###/#../##./#../#..", "G": ".##/#../#.#/#.#/.##", "H": "#.#/#.#/###/#.#/#.#",
    "I": "###/.#./.#./.#./###", "J": "..#/..#/..#/#.#/.#.", "K": "#.#/#.#/##./#.#/#.#",
    "L": "#../#../#../#../###", "M": "#.#/###/###/#.#/#.#", "N": "###/#.#/#.#/#.#/#.#",
    "O": ".#./#.#/#.#/#.#/.#.", "P": "##./#.#/##./#../#..", "Q": ".#./#.#/#.#/##./.##",
    "R": "##./#.#/##./#.#/#.#", "S": ".##/#../.#./..#/##.", "T": "###/.#./.#./.#./.#.",
    "U": "#.#/#.#/#.#/#.#/###", "V": "#.#/#.#/#.#/#.#/.#.", "W": "#.#/#.#/###/###/#.#",
    "X": "#.#/#.#/.#./#.#/#.#", "Y": "#.#/#.#/.#./.#./.#.", "Z": "###/..#/.#./#../###",
    " ": ".../.../.../.../...", ".": ".../.../.../.../.#.", ",": ".../.../.../.#./#..",
    ":": ".../.#./.../.#./...", "=": ".../###/.../###/...", "-": ".../.../###/.../...",
    "+": ".../.#./###/.#./...", "/": "..#/..#/.#./#../#..", "(": ".#./#../#../#../.#.",
    ")": ".#./..#/..#/..#/.#.", "%": "#.#/..#/.#./#../#.#", "#": "#.#/###/#.#/###/#.#",
    "?": "##./..#/.#./.../.#.", "!": ".#./.#./.#./.../.#.", "<": "..#/.#./#../.#./..#",
    ">": "#../.#./..#/.#./#..", "_": ".../.../.../.../###", "*": ".../#.#/.#./#.#/...",
    "|": ".#./.#./.#./.#./.#.", "'": ".#./.#./.../.../...",
}
#: Lit (dx, dy) cells of each glyph.
GLYPHS: Dict[str, List[Tuple[int, int]]] = {
    ch: [(x, y) for y, row in enumerate(rows.split("/")) for x, cell in enumerate(row) if cell == "#"]
    for ch, rows in _GLYPHS.items()
}


def text_width(text: str, scale: int = 1) -> int:
    """Width in pixels of ``text`` drawn at ``scale`` (4 x scale per character, less the last gap)."""
    return max(0, 4 * scale * len(text) - scale)


class Canvas:
    """W x H colour indices on a background, and the colour table they index.

    A GIF frame may hold at most 256 colours, the default ``max_colours``;
    ``max_colours=None`` lifts the limit (for an RGB picture of a photo).
    """

    def __init__(self, width: int, height: int, background: RGB = WHITE, max_colours: Optional[int] = 256) -> None:
        if width < 1 or height < 1:
            raise UsageError(f"a canvas needs at least 1x1 pixels, got {width}x{height}")
        self.width = width
        self.height = height
        self.max_colours = max_colours
        self.colours: List[RGB] = []
        self._index: Dict[RGB, int] = {}
        self._indexed = max_colours is not None and max_colours <= 256
        self.pixels: Any = self._row([self.colour(background)]) * (width * height)

    def _row(self, indices: Sequence[int]) -> Any:
        """Indices in the canvas's storage type (bytes for at most 256 colours)."""
        return bytearray(indices) if self._indexed else array("L", indices)

    def colour(self, rgb: Sequence[int]) -> int:
        """The index of ``rgb`` in the colour table, adding it when new."""
        key = (int(rgb[0]), int(rgb[1]), int(rgb[2]))
        index = self._index.get(key)
        if index is None:
            if len(self.colours) == self.max_colours:
                raise UsageError(f"a picture can hold at most {self.max_colours} colours; use fewer clusters")
            index = self._index[key] = len(self.colours)
            self.colours.append(key)
        return index

    def point(self, x: int, y: int, rgb: Sequence[int]) -> None:
        """Set one pixel (outside the canvas: nothing)."""
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[y * self.width + x] = self.colour(rgb)

    def rect(self, x: int, y: int, w: int, h: int, rgb: Sequence[int]) -> None:
        """Fill a rectangle, clipped to the canvas."""
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x0 >= x1 or y0 >= y1:
            return
        run = self._row([self.colour(rgb)]) * (x1 - x0)
        for row in range(y0, y1):
            start = row * self.width + x0
            self.pixels[start : start + len(run)] = run

    def frame(self, x: int, y: int, w: int, h: int, rgb: Sequence[int]) -> None:
        """A one-pixel rectangle outline."""
        self.rect(x, y, w, 1, rgb)
        self.rect(x, y + h - 1, w, 1, rgb)
        self.rect(x, y, 1, h, rgb)
        self.rect(x + w - 1, y, 1, h, rgb)

    def line(self, x0: int, y0: int, x1: int, y1: int, rgb: Sequence[int]) -> None:
        """A straight line (Bresenham), both ends included."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        error = dx + dy
        while True:
            self.point(x0, y0, rgb)
            if x0 == x1 and y0 == y1:
                return
            twice = 2 * error
            if twice >= dy:
                error += dy
                x0 += sx
            if twice <= dx:
                error += dx
                y0 += sy

    def marker(self, x: int, y: int, rgb: Sequence[int], radius: int = 3) -> None:
        """A centroid marker: a filled square of ``rgb`` in a black ring with a white halo."""
        r = radius
        self.rect(x - r - 1, y - r - 1, 2 * r + 3, 2 * r + 3, WHITE)
        self.rect(x - r, y - r, 2 * r + 1, 2 * r + 1, BLACK)
        self.rect(x - r + 1, y - r + 1, 2 * r - 1, 2 * r - 1, rgb)

    def text(self, x: int, y: int, text: str, rgb: Sequence[int], scale: int = 1) -> None:
        """Draw ``text`` with the 3x5 font, top left at (x, y); unknown characters print as '?'."""
        for n, ch in enumerate(text.upper()):
            cells = GLYPHS.get(ch, GLYPHS["?"])
            left = x + 4 * scale * n
            for dx, dy in cells:
                self.rect(left + dx * scale, y + dy * scale, scale, scale, rgb)

    def blit(self, x: int, y: int, w: int, rows: Sequence[Sequence[int]]) -> None:
        """Copy rows of colour indices (already in this canvas's table), top left at (x, y)."""
        w = min(w, self.width - x)
        if x < 0 or w <= 0:
            raise UsageError(f"cannot place a {w}-pixel row at x={x} on a {self.width}-pixel canvas")
        for dy, row in enumerate(rows):
            cy = y + dy
            if 0 <= cy < self.height:
                piece = self._row(row[:w])
                if len(piece) != w:
                    raise UsageError(f"a row of {len(row)} pixels cannot fill {w}")
                start = cy * self.width + x
                self.pixels[start : start + w] = piece

    def paint(self, x: int, y: int, rows: Sequence[Sequence[RGB]]) -> None:
        """Copy rows of RGB colours, top left at (x, y), adding their colours to the table."""
        if rows:
            self.blit(x, y, len(rows[0]), [[self.colour(rgb) for rgb in row] for row in rows])

    def to_image(self) -> Image:
        """The canvas as an 8-bit RGB image."""
        table = [bytes(c) for c in self.colours]
        samples = array("B", b"".join(table[i] for i in self.pixels))
        return Image(self.width, self.height, 3, 255, samples)


def display_rgb(colour: Sequence[int], maxval: int) -> RGB:
    """An integer colour of 0..maxval as 8-bit RGB for the screen: grey repeated, alpha dropped.

    >>> display_rgb((65535, 0, 32768), 65535), display_rgb((1,), 1)
    ((255, 0, 128), (255, 255, 255))
    """
    scaled = [(510 * v + maxval) // (2 * maxval) for v in colour]
    if len(scaled) < 3:
        return (scaled[0], scaled[0], scaled[0])
    return (scaled[0], scaled[1], scaled[2])


def image_rows(image: Image, scale: int = 1, stride: int = 1) -> List[List[RGB]]:
    """The image as rows of display colours, every ``stride``-th pixel, each repeated ``scale`` times."""
    pixels = image.pixels()
    w, maxval = image.width, image.maxval
    cache: Dict[tuple, RGB] = {}
    rows = []
    for y in range(0, image.height, stride):
        row = []
        for p in pixels[y * w : (y + 1) * w : stride]:
            rgb = cache.get(p)
            if rgb is None:
                rgb = cache[p] = display_rgb(p, maxval)
            row.extend([rgb] * scale)
        rows.extend([row] * scale)
    return rows
