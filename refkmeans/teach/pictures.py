"""Regenerate the pictures in ``docs/pictures/`` that the tutorial shows.

    python -m refkmeans.teach.pictures            # write them
    python -m refkmeans.teach.pictures --check    # exit 1 if any is missing or stale

Every picture is drawn from the built-in scene with fixed seeds, so the
same code always draws the same pictures and the test suite can check that
the committed ones are current.  PNG files are compared by their pixels
(zlib versions may compress the same pixels differently), the others byte
for byte.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..files import write_atomic
from ..image import Image
from ..kmeans import kmeans
from ..quantize import quantize
from ..result import Result
from ..scene import scene
from . import notebook
from .animate import Frame, Layout, animation, frames_of, render
from .compare import compare_quantized
from .elbow import inertia_by_k
from .png import SIGNATURE, encode_png
from .projection import projection
from .raster import BLACK, Canvas, display_rgb, text_width
from .sample import thin
from .svg import elbow_svg, inertia_svg, palette_svg

#: The tutorial's picture: the scene at this size, the notebook's k and iterations, numpy's seed 0.
WIDTH, HEIGHT, K, ITERATIONS, SEED = 144, 96, 16, 11, 0
#: A seed whose random start picks one colour twice, so a cluster goes empty (bug 3).
EMPTY_SEED = 1
DEFAULT_DIRECTORY = os.path.join("docs", "pictures")
RUN: Dict[str, Any] = {"init": "random", "rng": "numpy-legacy", "seed": SEED}


class Pictures:
    """Draws every picture; each method returns the file's bytes."""

    def __init__(self) -> None:
        self.image = scene(WIDTH, HEIGHT)
        self.pixels = self.image.pixels()
        self.run: Result = kmeans(self.pixels, k=K, max_iter=ITERATIONS, trace=True, trace_labels=True, **RUN)
        self.layout = Layout(self.image, projection("R,G", 3), 4000)
        self._q: Any = None

    def scene_png(self) -> bytes:
        return encode_png(self.image)

    def _still(self, frame: Frame, moves: bool) -> bytes:
        return encode_png(render(self.layout, frame, max_colours=None, moves=moves).to_image())

    def initialise_png(self) -> bytes:
        start = self.run.steps[0].centroids  # type: ignore[index]
        return self._still(Frame(None, start, None, (), f"INITIALISE: {K} RANDOM PIXELS", "THE SQUARES ARE THE CENTROIDS"), False)

    def assign_png(self) -> bytes:
        first = frames_of(self.run)[0]
        first.caption = "ASSIGN: EACH PIXEL TO ITS NEAREST"
        return self._still(first, False)

    def update_png(self) -> bytes:
        first = frames_of(self.run)[0]
        first.caption = "UPDATE: EACH CENTROID TO ITS MEAN"
        return self._still(first, True)

    def animation_gif(self) -> bytes:
        return animation(self.image, self.run, points=3000, delay=80)

    def inertia_svg(self) -> bytes:
        full = kmeans(self.pixels, k=K, trace=True, **RUN)
        steps = full.steps or []
        title = f"Inertia against iteration (scene {WIDTH}x{HEIGHT}, k = {K}, run to convergence)"
        svg = inertia_svg([float(s.inertia) for s in steps], empty=[s.empty for s in steps], title=title)
        return svg.encode("utf-8")

    def _quantized(self):  # type: ignore[no-untyped-def]
        if self._q is None:
            self._q = quantize(self.image, K, max_iter=ITERATIONS, **RUN)
        return self._q

    def palette_svg(self) -> bytes:
        q = self._quantized()
        return palette_svg(q.palette, q.result.counts, title=f"Palette after {ITERATIONS} iterations").encode("utf-8")

    def compare_png(self) -> bytes:
        return encode_png(compare_quantized(self._quantized(), min_height=HEIGHT))

    def elbow_svg(self) -> bytes:
        small, _ = thin(self.image, 1024)
        runs = inertia_by_k(small.pixels(), range(2, 17))
        title = f"Inertia against k (scene thinned to {small.width}x{small.height}, kmeans++)"
        return elbow_svg([k for k, _ in runs], [r.inertia for _, r in runs], title=title).encode("utf-8")

    def bug_uint8_png(self) -> bytes:
        """The notebook's first assignment (uint8) beside the exact one, and where they differ."""
        start = notebook.initial(self.pixels, K, SEED)
        wrapped = notebook.assign(self.pixels, start)
        exact = list(self.run.steps[0].labels)  # type: ignore[arg-type,index]
        colours = [display_rgb([int(v) for v in c], 255) for c in start]
        differ = [a != b for a, b in zip(wrapped, exact)]
        greyed = [_grey(p) for p in self.pixels]
        panels = [
            ("NOTEBOOK (UINT8)", [colours[j] for j in wrapped]),
            ("EXACT", [colours[j] for j in exact]),
            (f"DIFFERENT: {sum(differ):,}", [(220, 30, 30) if d else g for d, g in zip(differ, greyed)]),
        ]
        return encode_png(_panels(self.image, panels))

    def bug_nan_png(self) -> bytes:
        """The notebook's passes with an empty cluster: NaN, then every pixel in one cluster."""
        history = notebook.run(self.pixels, K, 4, EMPTY_SEED)
        panels = []
        for n, (centroids, labels) in enumerate(history[:4]):
            nan = sum(map(nan_centroid, centroids))
            colours = [(255, 0, 255) if nan_centroid(c) else display_rgb([round(v) for v in c], 255) for c in centroids]
            panels.append((f"PASS {n + 1}: {nan} NAN", [colours[j] for j in labels]))
        exact = quantize(self.image, K, init="random", max_iter=ITERATIONS, rng="numpy-legacy", seed=EMPTY_SEED)
        panels.append(("REFKMEANS", [display_rgb(p, 255) for p in exact.image.pixels()]))
        return encode_png(_panels(self.image, panels))


def nan_centroid(centroid: Sequence[float]) -> bool:
    """True for the notebook's centroid of an empty cluster."""
    return any(math.isnan(v) for v in centroid)


def _grey(p: Sequence[int]) -> tuple:
    luma = (299 * p[0] + 587 * p[1] + 114 * p[2]) // 1000
    v = 150 + luma * 105 // 255  # light, so that red stands out
    return (v, v, v)


def _panels(image: Image, panels: Sequence[tuple]) -> Image:
    """Images side by side under captions; each panel is (caption, one RGB per pixel)."""
    margin, w, h = 8, image.width, image.height
    column = max(w, *(text_width(caption) for caption, _ in panels))
    canvas = Canvas(margin + len(panels) * (column + margin), h + 2 * margin + 8, max_colours=None)
    for n, (caption, pixels) in enumerate(panels):
        x = margin + n * (column + margin)
        canvas.text(x, margin, caption, BLACK)
        canvas.paint(x, margin + 8, [pixels[y * w : (y + 1) * w] for y in range(h)])
    return canvas.to_image()


#: File name -> the method that draws it.
PICTURES: Dict[str, Callable[[Pictures], bytes]] = {
    "scene.png": Pictures.scene_png,
    "initialise.png": Pictures.initialise_png,
    "assign.png": Pictures.assign_png,
    "update.png": Pictures.update_png,
    "animation.gif": Pictures.animation_gif,
    "inertia.svg": Pictures.inertia_svg,
    "palette.svg": Pictures.palette_svg,
    "compare.png": Pictures.compare_png,
    "elbow.svg": Pictures.elbow_svg,
    "bug-uint8.png": Pictures.bug_uint8_png,
    "bug-nan.png": Pictures.bug_nan_png,
}


def draw_all() -> Dict[str, bytes]:
    """Every picture, by file name."""
    pictures = Pictures()
    return {name: draw(pictures) for name, draw in PICTURES.items()}


def write_all(directory: str = DEFAULT_DIRECTORY) -> List[str]:
    """Write every picture into ``directory`` (created if needed); returns the paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, data in draw_all().items():
        path = os.path.join(directory, name)
        write_atomic(path, data)
        paths.append(path)
    return paths


def png_content(data: bytes) -> Optional[tuple]:
    """A PNG's header and decompressed image data: what it shows, whatever the compressor."""
    if not data.startswith(SIGNATURE):
        return None
    pos, header, idat = 8, b"", []
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    try:
        return header, zlib.decompress(b"".join(idat))
    except zlib.error:
        return None


def same_picture(name: str, old: bytes, new: bytes) -> bool:
    """True when two versions of a picture show the same thing."""
    if name.endswith(".png"):
        return png_content(old) is not None and png_content(old) == png_content(new)
    return old == new


def stale(directory: str = DEFAULT_DIRECTORY) -> List[str]:
    """Names of the pictures in ``directory`` that are missing or differ from a fresh drawing."""
    out = []
    for name, data in draw_all().items():
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                old = f.read()
        except OSError:
            out.append(name)
            continue
        if not same_picture(name, old, data):
            out.append(name)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """Command line: write the pictures, or check them with ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m refkmeans.teach.pictures", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_DIRECTORY, help=f"folder (default {DEFAULT_DIRECTORY})")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if a picture is missing or stale")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.out)
        for name in names:
            print(f"stale or missing: {os.path.join(args.out, name)}", file=sys.stderr)
        if names:
            print("run: python -m refkmeans.teach.pictures", file=sys.stderr)
        return 1 if names else 0
    for path in write_all(args.out):
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


