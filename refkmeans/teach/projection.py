"""Projections of colour space onto a plane, for scatter plots of pixels and centroids.

The notebook plotted pixels in two features.  ``"R,G"`` (the default for
colour images) does the same with the red and green samples; any pair of
channels can be named by letter (R, G, B, A) or by number (0, 1, ...).
``"opponent"`` is a fixed linear projection that sees all three channels:
x = R - G (red against green), y = (R + G)/2 - B (yellow against blue).
A one-channel image is drawn on the diagonal (its only feature twice).

>>> p = projection("opponent", 3)
>>> p((255, 0, 0)), p.bounds(255)
((255.0, 127.5), (-255.0, 255.0, -255.0, 255.0))
"""

from __future__ import annotations

from typing import Sequence, Tuple

from ..errors import UsageError

_LETTERS = {"R": 0, "G": 1, "B": 2, "A": 3}
_NAMES = "RGBA"


class Projection:
    """Maps a colour (ints or Fractions) to a point (x, y), with axis labels and bounds."""

    def __init__(self, name: str, x_label: str, y_label: str, axes: Tuple[int, int] = (0, 0)) -> None:
        self.name = name
        self.x_label = x_label
        self.y_label = y_label
        self.axes = axes

    def __call__(self, colour: Sequence) -> Tuple[float, float]:
        i, j = self.axes
        return float(colour[i]), float(colour[j])

    def bounds(self, maxval: int) -> Tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) that every colour of 0..maxval falls in."""
        return 0.0, float(maxval), 0.0, float(maxval)

    def __repr__(self) -> str:
        return f"<projection {self.name}>"


class Opponent(Projection):
    """x = R - G, y = (R + G)/2 - B: two colour-opponent axes."""

    def __init__(self) -> None:
        super().__init__("opponent", "R-G", "(R+G)/2-B")

    def __call__(self, colour: Sequence) -> Tuple[float, float]:
        r, g, b = float(colour[0]), float(colour[1]), float(colour[2])
        return r - g, (r + g) / 2 - b

    def bounds(self, maxval: int) -> Tuple[float, float, float, float]:
        return -float(maxval), float(maxval), -float(maxval), float(maxval)


def projection(spec: str, channels: int) -> Projection:
    """The projection named by ``spec`` ("R,G", "0,2", "opponent") for ``channels``-channel colours."""
    text = spec.strip().upper()
    if channels == 1:
        return Projection("grey", "GREY", "GREY", (0, 0))
    if text == "OPPONENT":
        if channels < 3:
            raise UsageError(f"the opponent projection needs 3 colour channels, the image has {channels}")
        return Opponent()
    parts = [part.strip() for part in text.replace("-", ",").split(",")]
    if len(parts) != 2:
        raise UsageError(f"a projection is two channels such as R,G or 0,2, or 'opponent'; got {spec!r}")
    axes = []
    for part in parts:
        index = _LETTERS.get(part) if not part.isdigit() else int(part)
        if index is None or index >= channels:
            raise UsageError(f"channel {part!r} of projection {spec!r} is not one of the image's {channels} channels")
        axes.append(index)
    labels = [_NAMES[a] if channels >= 3 else str(a) for a in axes]
    return Projection(f"{labels[0]},{labels[1]}", labels[0], labels[1], (axes[0], axes[1]))


def default_projection(channels: int) -> str:
    """R,G for colour images, 0,1 for two channels, the diagonal for grey."""
    return "R,G" if channels >= 3 else ("0,1" if channels == 2 else "0,0")
