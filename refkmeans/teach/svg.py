"""Plots as SVG, written as text: palette swatches, inertia per iteration, the elbow.

Each plot is a complete, well-formed SVG document (UTF-8, no external
resources), readable in a browser, in Jupyter and on GitHub.  Marks carry
``class`` and ``data-*`` attributes (``class="swatch" data-cluster="3"
data-count="120"``) so that a test, or a curious reader, can find what was
drawn.  Numbers are written with fixed precision, so the same data gives
the same bytes on every machine.

>>> svg = palette_svg([(255, 0, 0), (0, 0, 255)], [3, 1])
>>> svg.count('class="swatch"')
2
"""

from __future__ import annotations

import math
from typing import Any, Iterable, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape, quoteattr

from .raster import display_rgb

FONT = "font-family:sans-serif;font-size:12px"


class Svg:
    """An SVG document built element by element."""

    def __init__(self, width: int, height: int, title: str) -> None:
        self.width = width
        self.height = height
        self.parts: List[str] = [f"<title>{escape(title)}</title>"]

    def add(self, tag: str, text: Optional[str] = None, **attributes: Any) -> None:
        """Append ``<tag attributes>text</tag>``; ``class_`` is ``class``, ``_`` in a name is ``-``."""
        attrs = "".join(
            f" {name.rstrip('_').replace('_', '-')}={quoteattr(_text(value))}"
            for name, value in attributes.items()
            if value is not None
        )
        if text is None:
            self.parts.append(f"<{tag}{attrs}/>")
        else:
            self.parts.append(f"<{tag}{attrs}>{escape(text)}</{tag}>")

    def raw(self, markup: str) -> None:
        """Append markup as it is (for nested elements built by the caller)."""
        self.parts.append(markup)

    def to_string(self) -> str:
        """The whole document."""
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" style="{FONT}">\n'
        )
        return head + "\n".join(self.parts) + "\n</svg>\n"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def hex_colour(rgb: Sequence[int]) -> str:
    """``#rrggbb``."""
    return "#" + "".join(f"{v:02x}" for v in rgb[:3])


def _ink(rgb: Sequence[int]) -> str:
    """Black or white, whichever reads better on ``rgb`` (by luma)."""
    return "#000" if 299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] > 128_000 else "#fff"


# -- palette ------------------------------------------------------------------


def palette_svg(
    palette: Sequence[Sequence[int]],
    counts: Sequence[int],
    maxval: int = 255,
    title: str = "Palette",
    columns: int = 8,
) -> str:
    """One swatch per cluster, in cluster order, with its colour, pixel count and share.

    An empty cluster (count 0) is drawn with a dashed outline.
    """
    k = len(palette)
    total = sum(counts) or 1
    columns = max(1, min(columns, k))
    cell_w, cell_h, swatch_h = 100, 86, 48
    rows = -(-k // columns)
    svg = Svg(columns * cell_w + 16, rows * cell_h + 36, title)
    svg.add("text", f"{title}: {k} colours, {sum(counts):,} pixels", x=8, y=18, font_weight="bold")
    for j, (colour, count) in enumerate(zip(palette, counts)):
        rgb = display_rgb(colour, maxval)
        x = 8 + (j % columns) * cell_w
        y = 28 + (j // columns) * cell_h
        hexcode = "#" + "".join(f"{v:0{2 if maxval < 256 else 4}x}" for v in colour)
        dashed = ' stroke-dasharray="4 3"' if count == 0 else ""
        svg.raw(
            f'<rect class="swatch" data-cluster="{j}" data-count="{count}" data-colour="{hexcode}" '
            f'x="{x}" y="{y}" width="{cell_w - 8}" height="{swatch_h}" fill="{hex_colour(rgb)}" '
            f'stroke="#888"{dashed}>'
            f"<title>cluster {j}: {hexcode}, {count} pixels</title></rect>"
        )
        svg.add("text", str(j), x=x + 4, y=y + 14, fill=_ink(rgb))
        svg.add("text", hexcode, x=x, y=y + swatch_h + 14)
        share = f"{100 * count / total:.1f}%" if count else "empty"
        svg.add("text", f"{count:,} ({share})", x=x, y=y + swatch_h + 28, fill="#555")
    return svg.to_string()


# -- line plots ---------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> List[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering low..high.

    >>> nice_ticks(0, 1000), nice_ticks(2, 32)
    ([0.0, 200.0, 400.0, 600.0, 800.0, 1000.0], [0.0, 10.0, 20.0, 30.0, 40.0])
    """
    if high <= low:
        high = low + 1
    rough = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high - step * 1e-9:
        ticks.append(round(value, 12))
    return [float(t) for t in ticks]


def compact(value: float) -> str:
    """A short label: 1500000 -> '1.5M', 2000 -> '2k', 0.5 -> '0.5'.

    >>> compact(1_500_000), compact(2000), compact(35), compact(0.25)
    ('1.5M', '2k', '35', '0.25')
    """
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


class Series:
    """Points to draw as a line with markers; ``notes`` become tooltips, ``flags`` highlight points."""

    def __init__(
        self,
        xs: Sequence[float],
        ys: Sequence[float],
        notes: Optional[Sequence[str]] = None,
        flags: Iterable[int] = (),
        name: str = "point",
    ) -> None:
        if len(xs) != len(ys):
            raise ValueError("xs and ys differ in length")
        self.xs = list(xs)
        self.ys = list(ys)
        self.notes = list(notes) if notes is not None else [""] * len(xs)
        self.flags = set(flags)
        self.name = name


def line_plot(
    series: Series,
    *,
    title: str,
    x_label: str,
    y_label: str,
    annotation: Optional[Tuple[int, str]] = None,
    legend: Optional[str] = None,
    integer_x: bool = True,
    width: int = 560,
    height: int = 340,
) -> str:
    """A line plot with axes, ticks and labels; the y axis starts at 0.

    ``annotation`` (index, text) labels one point (the elbow, say).
    """
    left, right, top, bottom = 64, 20, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    xs, ys = series.xs, series.ys
    x_ticks = nice_ticks(min(xs), max(xs), min(10, max(1, len(xs) - 1))) if xs else [0.0, 1.0]
    if integer_x:
        x_ticks = [t for t in x_ticks if t == int(t)]
    x_low, x_high = min(x_ticks[0], *xs) if xs else 0.0, max(x_ticks[-1], *xs) if xs else 1.0
    y_ticks = nice_ticks(0.0, max(ys) if ys and max(ys) > 0 else 1.0)
    y_high = y_ticks[-1]

    def px(x: float) -> float:
        return left + (x - x_low) / ((x_high - x_low) or 1) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / (y_high or 1) * plot_h

    svg = Svg(width, height, title)
    svg.add("text", title, x=left, y=20, font_weight="bold")
    for t in y_ticks:
        svg.add("line", x1=left, y1=py(t), x2=left + plot_w, y2=py(t), stroke="#e4e4e4")
        svg.add("text", compact(t), x=left - 6, y=py(t) + 4, text_anchor="end", fill="#555")
    for t in x_ticks:
        svg.add("line", x1=px(t), y1=top + plot_h, x2=px(t), y2=top + plot_h + 4, stroke="#555")
        svg.add("text", compact(t), x=px(t), y=top + plot_h + 17, text_anchor="middle", fill="#555")
    svg.add("line", x1=left, y1=top + plot_h, x2=left + plot_w, y2=top + plot_h, stroke="#555")
    svg.add("line", x1=left, y1=top, x2=left, y2=top + plot_h, stroke="#555")
    svg.add("text", x_label, x=left + plot_w / 2, y=height - 8, text_anchor="middle")
    svg.add(
        "text", y_label, x=14, y=top + plot_h / 2, text_anchor="middle", transform=f"rotate(-90 14 {top + plot_h / 2:.2f})"
    )
    if xs:
        points = " ".join(f"{_text(px(x))},{_text(py(y))}" for x, y in zip(xs, ys))
        svg.add("polyline", points=points, fill="none", stroke="#1f5fa8", stroke_width=2)
    for i, (x, y, note) in enumerate(zip(xs, ys, series.notes)):
        flagged = i in series.flags
        svg.raw(
            f'<circle class="{series.name}{" flagged" if flagged else ""}" data-x="{_text(float(x))}" '
            f'data-y="{y!r}" cx="{_text(px(x))}" cy="{_text(py(y))}" r="{4 if flagged else 3}" '
            f'fill="{"#d62020" if flagged else "#1f5fa8"}"><title>{escape(note)}</title></circle>'
        )
    if legend is not None and series.flags:
        svg.add("circle", cx=width - right - 8 - 6.5 * len(legend), cy=16, r=4, fill="#d62020")
        svg.add("text", legend, x=width - right, y=20, text_anchor="end", fill="#333")
    if annotation is not None:
        i, text = annotation
        x, y = px(xs[i]), py(ys[i])
        svg.add("line", x1=x, y1=y - 6, x2=x + 30, y2=y - 40, stroke="#333")
        svg.add("text", text, class_="annotation", x=x + 33, y=y - 42, fill="#333")
    return svg.to_string()


def inertia_svg(
    inertias: Sequence[float],
    *,
    empty: Optional[Sequence[Sequence[int]]] = None,
    title: str = "Inertia against iteration",
) -> str:
    """Inertia (sum of squared distances) at each iteration; iterations with an empty cluster in red."""
    notes = []
    flags = []
    for i, value in enumerate(inertias):
        note = f"iteration {i}: inertia {value:,.6g}"
        if empty is not None and empty[i]:
            flags.append(i)
            note += f"; empty: {', '.join(map(str, empty[i]))}"
        notes.append(note)
    return line_plot(
        Series(range(len(inertias)), inertias, notes, flags, name="iteration"),  # type: ignore[arg-type]
        title=title,
        x_label="iteration",
        y_label="inertia (sum of squared distances)",
        legend="a cluster was empty",
    )


def elbow_index(ks: Sequence[int], inertias: Sequence[float]) -> Optional[int]:
    """The elbow: the point farthest below the straight line from the first point to the last.

    Both axes are scaled to 0..1 first.  A heuristic, not a law: it names a
    candidate k for a human to judge.  None for fewer than three points.

    >>> elbow_index([1, 2, 3, 4, 5], [100, 30, 20, 15, 12])
    1
    """
    if len(ks) < 3:
        return None
    x0, x1 = ks[0], ks[-1]
    y0, y1 = inertias[0], inertias[-1]
    span_x, span_y = (x1 - x0) or 1, (y0 - y1) or 1
    best, best_gap = None, 0.0
    for i, (k, y) in enumerate(zip(ks, inertias)):
        t = (k - x0) / span_x
        chord = 1 - t  # the straight line, scaled: from 1 at the first k to 0 at the last
        gap = chord - (y - y1) / span_y
        if gap > best_gap:
            best, best_gap = i, gap
    return best


def elbow_svg(ks: Sequence[int], inertias: Sequence[float], *, title: str = "Inertia against k (the elbow)") -> str:
    """Inertia of the converged run for each k, with the elbow marked."""
    notes = [f"k = {k}: inertia {value:,.6g}" for k, value in zip(ks, inertias)]
    elbow = elbow_index(ks, inertias)
    annotation = None if elbow is None else (elbow, f"elbow? k = {ks[elbow]}")
    return line_plot(
        Series(ks, inertias, notes, [] if elbow is None else [elbow], name="k"),  # type: ignore[arg-type]
        title=title,
        x_label="k (number of colours)",
        y_label="inertia (sum of squared distances)",
        annotation=annotation,
    )
