"""Watch k-means work: one GIF frame per iteration, like the notebook's animations.

Each frame shows, on the left, the image repainted with the centroids of
that iteration (each pixel in its cluster's colour) and a strip of those
colours; on the right, a scatter of the pixels in a 2-D projection of
colour space (:mod:`refkmeans.teach.projection`), each in its cluster's
colour, with every centroid as a square marker and a line to where the
update moves it.  A centroid whose cluster is empty has a red ring.

Frame ``i`` shows step ``i`` of the trace: the assignment to the centroids
the step started from, and the move the update makes.  A run stopped by
``max_iter`` gets one more frame, the final centroids with their labels;
a converged run's last step already is its final state.  So there are
``iterations`` frames when the run converged and ``iterations + 1`` when
it did not.

The scatter draws at most ``points`` pixels, spread evenly over the raster
order (:func:`refkmeans.teach.sample.spread`), so it is deterministic.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from ..builtin.gif import encode_animation
from ..errors import UsageError
from ..image import Image
from ..kmeans import kmeans
from ..rational import palette_colour
from ..result import Result
from .projection import Projection, default_projection, projection
from .raster import BLACK, GREY, LIGHT, RGB, Canvas, display_rgb, image_rows, text_width
from .sample import spread

RED: RGB = (220, 30, 30)
POINT_GREY: RGB = (150, 150, 150)
MARGIN = 8
CAPTION = 2  # caption font scale
PANEL = 200  # height of the image panel and side of the scatter
#: A GIF frame holds 256 colours; a frame uses 6 for itself, the rest for the clusters.
MAX_CLUSTERS = 250


class Frame:
    """What one picture shows: labels per pixel, the centroids, where they move, a caption."""

    def __init__(
        self,
        labels: Optional[Sequence[int]],
        centroids: Sequence[Sequence[Any]],
        moves_to: Optional[Sequence[Sequence[Any]]],
        empty: Sequence[int],
        caption: str,
        detail: str,
    ) -> None:
        self.labels = labels
        self.centroids = centroids
        self.moves_to = moves_to
        self.empty = empty
        self.caption = caption
        self.detail = detail


def frames_of(result: Result) -> List[Frame]:
    """The frames of a run made with ``trace=True, trace_labels=True`` (see the module docstring)."""
    steps = result.steps
    if steps is None or any(step.labels is None for step in steps):
        raise UsageError("an animation needs a run made with trace=True and trace_labels=True")
    total = result.iterations
    frames = []
    for n, step in enumerate(steps):
        after = steps[n + 1].centroids if n + 1 < len(steps) else result.centroids
        last = n + 1 == len(steps) and result.converged
        caption = f"ITERATION {step.iteration + 1}/{total}" + (" CONVERGED" if last else "")
        frames.append(Frame(step.labels, step.centroids, after, step.empty, caption, _detail(step.inertia, step.changed)))  # type: ignore[arg-type]
    if not result.converged:
        empty = [j for j, n in enumerate(result.counts) if n == 0]
        caption = f"FINAL, STOPPED AFTER {total} ITERATION{'S' if total != 1 else ''}"
        frames.append(Frame(result.labels, result.centroids, None, empty, caption, _detail(result.inertia_exact, None)))
    return frames


def _detail(inertia: Any, changed: Optional[int]) -> str:
    text = f"INERTIA {float(inertia):,.0f}"
    if changed is not None:
        text += f"  CHANGED {changed:,}"
    return text


class Layout:
    """Where everything goes on a frame, worked out once for an image."""

    def __init__(self, image: Image, projection: Projection, points: int) -> None:
        self.image = image
        self.projection = projection
        h, w = image.height, image.width
        if h >= PANEL:
            self.stride, self.scale = -(-h // PANEL), 1
        else:
            self.stride, self.scale = 1, max(1, PANEL // h)
        self.panel_w = -(-w // self.stride) * self.scale
        self.panel_h = -(-h // self.stride) * self.scale
        self.top = MARGIN + 2 * (5 * CAPTION + 4) + 4
        self.strip_y = self.top + self.panel_h + 4
        self.scatter_x = MARGIN + self.panel_w + 2 * MARGIN + max(24, text_width(projection.y_label) + 4)
        self.width = max(self.scatter_x + PANEL + MARGIN, MARGIN + text_width("X" * 34, CAPTION) + MARGIN)
        self.height = max(self.strip_y + 10, self.top + PANEL + 14) + MARGIN
        # The pixels shown in the scatter, and where each lands.
        self.chosen = spread(image.pixel_count, points)
        pixels = image.pixels()
        self.positions = [self.place(pixels[i]) for i in self.chosen]

    def place(self, colour: Sequence[Any]) -> Tuple[int, int]:
        """Canvas coordinates of a colour in the scatter."""
        x_min, x_max, y_min, y_max = self.projection.bounds(self.image.maxval)
        x, y = self.projection(colour)
        px = self.scatter_x + round((x - x_min) / (x_max - x_min) * (PANEL - 1))
        py = self.top + PANEL - 1 - round((y - y_min) / (y_max - y_min) * (PANEL - 1))
        return px, py


def render(layout: Layout, frame: Frame, max_colours: Optional[int] = 256, moves: bool = True) -> Canvas:
    """Draw one frame (``max_colours=None`` for a picture that is not a GIF frame).

    A frame without labels shows the original image and grey pixels: the
    moment before the first assignment.  ``moves=False`` leaves out the
    lines to where the update moves each centroid.
    """
    image = layout.image
    maxval = image.maxval
    canvas = Canvas(layout.width, layout.height, max_colours=max_colours)
    colours = [display_rgb(palette_colour(c, maxval), maxval) for c in frame.centroids]
    lut = [canvas.colour(rgb) for rgb in colours]
    canvas.text(MARGIN, MARGIN, frame.caption, BLACK, CAPTION)
    canvas.text(MARGIN, MARGIN + 5 * CAPTION + 4, frame.detail, GREY, CAPTION)
    w, stride, scale = image.width, layout.stride, layout.scale
    labels = frame.labels
    if labels is None:
        # Before any assignment: the image as it is, every pixel the same grey.
        canvas.paint(MARGIN, layout.top, image_rows(image, scale, stride))
        grey = canvas.colour(POINT_GREY)
        point_index: Sequence[int] = [grey] * image.pixel_count
    else:
        # The image, each pixel painted with its centroid's colour.
        point_index = [lut[label] for label in labels]
        rows = []
        for y in range(0, image.height, stride):
            row = point_index[y * w : (y + 1) * w : stride]
            if scale > 1:
                row = [v for v in row for _ in range(scale)]
            rows.extend([row] * scale)
        canvas.blit(MARGIN, layout.top, layout.panel_w, rows)
    # The palette strip under the image.
    k = len(colours)
    for j, rgb in enumerate(colours):
        x0 = MARGIN + j * layout.panel_w // k
        x1 = MARGIN + (j + 1) * layout.panel_w // k
        canvas.rect(x0, layout.strip_y, max(1, x1 - x0), 8, rgb)
    # The scatter: axes, pixels by cluster, centroids and their moves.
    sx, top = layout.scatter_x, layout.top
    canvas.rect(sx, top, PANEL, PANEL, (250, 250, 250))
    canvas.frame(sx - 1, top - 1, PANEL + 2, PANEL + 2, LIGHT)
    p = layout.projection
    x_min, x_max, y_min, y_max = (f"{v:g}" for v in p.bounds(maxval))
    below, middle = top + PANEL + 4, top + PANEL // 2 - 2
    canvas.text(sx, below, x_min, GREY)
    canvas.text(sx + PANEL - text_width(x_max), below, x_max, GREY)
    canvas.text(sx + (PANEL - text_width(p.x_label)) // 2, below, p.x_label, GREY)
    canvas.text(sx - 3 - text_width(y_max), top, y_max, GREY)
    canvas.text(sx - 3 - text_width(y_min), top + PANEL - 5, y_min, GREY)
    canvas.text(sx - 3 - text_width(p.y_label), middle, p.y_label, GREY)
    for (x, y), i in zip(layout.positions, layout.chosen):
        canvas.pixels[y * canvas.width + x] = point_index[i]
    places = [layout.place(c) for c in frame.centroids]
    if moves and frame.moves_to is not None:
        for (x0, y0), target in zip(places, frame.moves_to):
            x1, y1 = layout.place(target)
            canvas.line(x0, y0, x1, y1, BLACK)
    for j, (x, y) in enumerate(places):
        canvas.marker(x, y, colours[j])
        if j in frame.empty:
            canvas.frame(x - 4, y - 4, 9, 9, RED)
    return canvas


def animation(
    image: Image,
    result: Result,
    *,
    axes: Optional[str] = None,
    points: int = 4000,
    delay: int = 60,
    last_delay: int = 300,
) -> bytes:
    """The GIF of a run on ``image`` made with ``trace=True, trace_labels=True``."""
    check_k(result.k)
    chosen = projection(axes or default_projection(image.channels), image.channels)
    layout = Layout(image, chosen, points)
    canvases = [render(layout, frame) for frame in frames_of(result)]
    delays = [delay] * len(canvases)
    delays[-1] = last_delay
    return encode_animation(
        layout.width, layout.height, [(c.colours, bytes(c.pixels)) for c in canvases], delays
    )


def check_k(k: int) -> None:
    """A usage error for more clusters than a GIF frame can show."""
    if k > MAX_CLUSTERS:
        raise UsageError(f"an animation shows at most {MAX_CLUSTERS} clusters (a GIF frame holds 256 colours), not {k}")


def animate(image: Image, k: int = 16, *, axes: Optional[str] = None, points: int = 4000, **options: Any) -> Tuple[bytes, Result]:
    """Run k-means on ``image`` (``options`` as for :func:`refkmeans.kmeans`) and animate it."""
    result = kmeans(image.pixels(), k=k, trace=True, trace_labels=True, **options)
    return animation(image, result, axes=axes, points=points), result
