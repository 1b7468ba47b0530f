"""``explain``: a narrated walk through the first iterations of k-means on an image.

For a few chosen pixels it prints every distance to every centroid, the
nearest one, and how the choice was made: by floating point when the gap is
larger than the metric's proven error bound, by exact comparison when it is
not, and by the lowest index on an exact tie (KM-ASN-2).  For one cluster it
prints the pixels, their sum, their count and the exact mean that becomes
the new centroid.

Everything printed is recomputed here from the pixels and the centroids of
each step, independently of the engine, so the narration also checks it.

A large image is thinned first (:func:`refkmeans.teach.sample.thin`); the
narration says so, and pixel coordinates are given in the original image.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, List, Optional, Sequence, Tuple

from ..dataset import Dataset
from ..errors import UsageError
from ..image import Image
from ..kmeans import kmeans
from ..metric import Metric, declared_geometry
from ..plugins import Registry, get_registry
from ..rational import Centroid
from ..result import Result
from ..rng import make_generator
from .sample import thin

#: How many of a cluster's pixels the update shows before "...".
SHOWN_MEMBERS = 6


def number(value: Fraction, places: int = 2) -> str:
    """An exact value for reading: an integer as it is, else a rounded decimal.

    >>> number(Fraction(7)), number(Fraction(1, 3)), number(Fraction(-5, 2), 1)
    ('7', '0.33', '-2.5')
    """
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.{places}f}"


def exact_text(value: Fraction) -> str:
    """An exact rational with its decimal: ``1234`` or ``10340/57 (= 181.4035...)``.

    >>> exact_text(Fraction(10340, 57)), exact_text(Fraction(4))
    ('10340/57 (= 181.4035...)', '4')
    """
    if value.denominator == 1:
        return str(value.numerator)
    text = str(value)
    if len(text) > 32:
        digits = len(str(abs(value.numerator))), len(str(value.denominator))
        return f"{float(value):.4f}... (exactly a ratio of {digits[0]}- and {digits[1]}-digit integers)"
    return f"{text} (= {float(value):.4f}...)"


def colour_text(colour: Sequence[Any], places: int = 2) -> str:
    """A colour or centroid as ``(12, 40.5, 200)``."""
    return "(" + ", ".join(number(Fraction(v), places) for v in colour) + ")"


class Explainer:
    """Works out and words the narration for one run."""

    def __init__(
        self,
        image: Image,
        result: Result,
        metric: Metric,
        stride: int,
        original_width: int,
    ) -> None:
        self.image = image
        self.points = image.pixels()
        self.result = result
        self.metric = metric
        self.stride = stride
        self.original_width = original_width
        self.steps = result.steps or []
        self.reasons: dict = {}

    def where(self, i: int) -> str:
        """'pixel (x, y)' in the original image's coordinates."""
        y, x = divmod(i, self.image.width)
        return f"pixel ({x * self.stride}, {y * self.stride})"

    # -- choosing what to show ----------------------------------------------

    def nearest_two(self, point: Sequence[int], centroids: Sequence[Centroid]) -> Tuple[List[float], int, int]:
        floats = [tuple(map(float, c)) for c in centroids]
        distances = [self.metric.distance(point, c) for c in floats]
        order = sorted(range(len(distances)), key=lambda j: (distances[j], j))
        return distances, order[0], order[1] if len(order) > 1 else order[0]

    def interesting_pixels(self, show: int) -> List[int]:
        """Pixel 0, a tie (or the closest call), the worst-served pixel, then evenly spread ones.

        ``self.reasons`` says why each was chosen.
        """
        self.reasons[0] = "the first pixel"
        if not self.steps:
            return list(range(min(show, len(self.points))))
        centroids = self.steps[0].centroids
        chosen = [0]
        closest: Optional[Tuple[float, int]] = None
        tie: Optional[int] = None
        farthest: Tuple[float, int] = (-1.0, 0)
        seen = set()
        for i, point in enumerate(self.points):
            if point in seen:
                continue  # equal pixels are decided equally: look at the first
            seen.add(point)
            distances, first, second = self.nearest_two(point, centroids)
            if distances[first] > farthest[0]:
                farthest = (distances[first], i)
            if first == second:
                continue
            gap = distances[second] - distances[first]
            if tie is None and gap <= self.bound(distances[second]) * 2:
                if self.metric.key(point, centroids[first]) == self.metric.key(point, centroids[second]):
                    tie = i
            if closest is None or gap < closest[0]:
                closest = (gap, i)
        if tie is not None:
            self.reasons.setdefault(tie, "an exact tie")
        elif closest is not None:
            self.reasons.setdefault(closest[1], "the closest call: its two nearest centroids are nearly as near")
        self.reasons.setdefault(farthest[1], "the pixel farthest from its nearest centroid")
        special = tie if tie is not None else (closest[1] if closest else None)
        for candidate in (special, farthest[1]):
            if candidate is not None and candidate not in chosen:
                chosen.append(candidate)
        step = max(1, len(self.points) // max(1, show))
        extra = 1
        while len(chosen) < min(show, len(self.points)):
            i = (extra * step) % len(self.points)
            if i not in chosen:
                chosen.append(i)
            extra += 1
        return chosen[:show]

    def bound(self, d: float) -> float:
        bound = self.metric.error_bound(d, len(self.points[0]))
        return float("inf") if bound is None else bound

    def default_cluster(self) -> int:
        """The smallest non-empty cluster of the first assignment (its sum is easiest to follow)."""
        counts = self.steps[0].counts if self.steps else self.result.counts
        sizes = [(n, j) for j, n in enumerate(counts) if n > 0]
        return min(sizes)[1] if sizes else 0

    # -- the narration --------------------------------------------------------

    def distance_line(self, point: Sequence[int], j: int, centroid: Centroid, d: float) -> str:
        key = self.metric.key(point, centroid)
        if declared_geometry(self.metric) == "euclidean":
            terms = " + ".join(f"({x} - {number(Fraction(c))})^2" for x, c in zip(point, centroid))
            exact = number(Fraction(key), 4)
            return f"    to c{j} {colour_text(centroid)}: sqrt({terms}) = sqrt({exact}) = {d:.4f}"
        return f"    to c{j} {colour_text(centroid)}: {self.metric.name} distance {d:.4f} (exactly {number(Fraction(key), 4)})"

    def decision(self, point: Sequence[int], centroids: Sequence[Centroid], distances: List[float]) -> Tuple[int, str]:
        """The nearest centroid, and how it was decided, in words."""
        order = sorted(range(len(distances)), key=lambda j: (distances[j], j))
        first = order[0]
        if len(order) == 1:
            return first, f"nearest: c{first}, the only centroid."
        second = order[1]
        d1, d2 = distances[first], distances[second]
        e1, e2 = self.bound(d1), self.bound(d2)
        if d2 - e2 > d1 + e1:
            return first, (
                f"nearest: c{first} at {d1:.4f}; the runner-up c{second} is {d2 - d1:.4f} farther, more than the "
                f"rounding error floats can make here ({max(e1, e2):.1e}), so the float comparison is certain."
            )
        keys = [self.metric.key(point, c) for c in centroids]
        best = min(keys)
        winners = [j for j, key in enumerate(keys) if key == best]
        if len(winners) > 1:
            names = " and ".join(f"c{j}" for j in winners) if len(winners) == 2 else ", ".join(f"c{j}" for j in winners)
            both = "both" if len(winners) == 2 else "all"
            return winners[0], (
                f"exact tie: {names} are {both} at exactly the same distance (squared {exact_text(Fraction(best))}); "
                f"the lowest index, c{winners[0]}, wins (KM-ASN-2)."
            )
        winner = winners[0]
        return winner, (
            f"near tie: c{first} at {d1:.4f} and c{second} at {d2:.4f} are closer than float rounding can "
            f"separate, so the exact values decide: c{winner} is nearer (KM-ASN-1)."
        )

    def assign_section(self, n: int, chosen: Sequence[int]) -> List[str]:
        step = self.steps[n]
        centroids = step.centroids
        lines = [f"== Iteration {n}: assign ==", "Each pixel goes to its nearest centroid."]
        for i in chosen:
            point = self.points[i]
            distances = [self.metric.distance(point, tuple(map(float, c))) for c in centroids]
            reason = f" ({self.reasons[i]})" if n == 0 and i in self.reasons else ""
            lines.append(f"  {self.where(i)}, colour {colour_text(point)}{reason}:")
            for j, (c, d) in enumerate(zip(centroids, distances)):
                lines.append(self.distance_line(point, j, c, d))
            winner, how = self.decision(point, centroids, distances)
            lines.append(f"    {how}")
            if step.labels is not None and step.labels[i] != winner:  # pragma: no cover - an engine bug
                lines.append(f"    !! the engine labelled this pixel c{step.labels[i]}: please report this")
        counts = ", ".join(f"c{j}: {c}" for j, c in enumerate(step.counts))
        lines.append(f"  Pixels per cluster: {counts}.")
        if step.changed is not None:
            lines.append(f"  {step.changed} pixel(s) changed cluster since the previous assignment.")
        lines.append(f"  Inertia (sum of squared distances to the own centroid): {exact_text(step.inertia)}")
        return lines

    def update_section(self, n: int, cluster: int, policy: str) -> List[str]:
        step = self.steps[n]
        after = self.steps[n + 1].centroids if n + 1 < len(self.steps) else self.result.centroids
        lines = [f"== Iteration {n}: update ==", "Each centroid moves to the exact mean of its pixels."]
        labels = step.labels or ()
        members = [self.points[i] for i, label in enumerate(labels) if label == cluster]
        if members:
            count = len(members)
            total = tuple(sum(channel) for channel in zip(*members))
            shown = " + ".join(colour_text(p) for p in members[:SHOWN_MEMBERS])
            more = f" + ... ({count - SHOWN_MEMBERS} more)" if count > SHOWN_MEMBERS else ""
            mean = tuple(Fraction(s, count) for s in total)
            lines += [
                f"  Cluster {cluster} in detail:",
                f"    its pixels: {shown}{more}",
                f"    sum   = {colour_text(total)}",
                f"    count = {count}",
                "    mean  = sum / count = (" + ", ".join(exact_text(v) for v in mean) + ")",
            ]
            if mean != tuple(after[cluster]):  # pragma: no cover - an engine bug
                lines.append("    !! the engine's centroid differs from this mean: please report this")
        else:
            lines.append(f"  Cluster {cluster} has no pixels in this iteration.")
        for j in step.empty:
            if j in step.relocated:
                lines.append(
                    f"  c{j} had no pixels: policy {policy!r} moved it to {colour_text(step.relocated[j])}, "
                    "the farthest colour from its own centroid (KM-EMP-2)."
                )
            else:
                lines.append(f"  c{j} had no pixels: policy {policy!r} leaves it where it was (KM-EMP-1).")
        lines.append("  Every centroid, before -> after (distance moved):")
        for j, (old, new) in enumerate(zip(step.centroids, after)):
            moved = self.metric.distance(tuple(map(float, old)), tuple(map(float, new))) if old != new else 0.0
            lines.append(f"    c{j}: {colour_text(old)} -> {colour_text(new)} ({moved:.2f})")
        if after == step.centroids:
            lines.append("  Nothing moved: the run has converged (KM-STOP-1).")
        return lines


def explain(
    image: Image,
    k: int = 4,
    *,
    iterations: int = 2,
    pixels: Optional[Sequence[Tuple[int, int]]] = None,
    show: int = 3,
    cluster: Optional[int] = None,
    sample: int = 4096,
    source: str = "the image",
    init: str = "random",
    seed: int = 0,
    rng: str = "portable",
    metric: str = "euclidean",
    empty: str = "keep",
    max_iter: int = 300,
    engine: str = "auto",
    registry: Optional[Registry] = None,
) -> str:
    """The narration, as text.

    ``pixels`` are (x, y) positions in ``image`` to follow (default: a few
    chosen to be instructive); ``cluster`` is the cluster whose mean is
    worked out (default: the smallest of the first assignment).
    """
    registry = registry or get_registry()
    if iterations < 0:
        raise UsageError(f"iterations must be 0 or more, got {iterations}")
    small, stride = thin(image, sample)
    points = small.pixels()
    dataset = Dataset(points)
    chosen_metric = registry.metric(metric)
    result = kmeans(
        dataset, k=k, init=init, seed=seed, rng=rng, metric=metric, empty=empty, max_iter=max_iter,
        engine=engine, trace=True, trace_labels=True, registry=registry,
    )
    teller = Explainer(small, result, chosen_metric, stride, image.width)
    lines = [f"refkmeans explain: {source}, {image.width}x{image.height}"]
    if stride > 1:
        lines.append(
            f"  thinned to every {stride}th row and column: {small.width}x{small.height} = {small.pixel_count} pixels"
        )
    lines.append(f"  {len(dataset.colours)} distinct colours among {small.pixel_count} pixels")
    lines.append(f"  k = {k}, init {init}, seed {seed} ({rng} generator), metric {metric}, empty-cluster policy {empty}")
    if pixels:
        indices = []
        for x, y in pixels:
            if not (0 <= x < image.width and 0 <= y < image.height):
                raise UsageError(f"pixel ({x}, {y}) is outside the {image.width}x{image.height} image")
            indices.append((y // stride) * small.width + x // stride)
            if x % stride or y % stride:
                # The thinned image has no pixel (x, y): say which one stands for it.
                lines.append(
                    f"  pixel ({x}, {y}) is not in the thinned image; its place is taken by "
                    f"{teller.where(indices[-1])} (--sample 0 keeps every pixel)"
                )
    lines.append("")
    lines += _initialise(teller, dataset, init, k, seed, rng)
    if not pixels:
        indices = teller.interesting_pixels(show)
    if cluster is None:
        cluster = teller.default_cluster()
    elif not 0 <= cluster < k:
        raise UsageError(f"cluster {cluster} does not exist; clusters are 0..{k - 1}")
    for n in range(min(iterations, len(teller.steps))):
        lines.append("")
        lines += teller.assign_section(n, indices)
        lines.append("")
        lines += teller.update_section(n, cluster, empty)
    lines.append("")
    lines += _summary(result, small.maxval)
    return "\n".join(lines) + "\n"


def _initialise(teller: Explainer, dataset: Dataset, init: str, k: int, seed: int, rng: str) -> List[str]:
    start = teller.steps[0].centroids if teller.steps else teller.result.centroids
    lines = ["== Initialise =="]
    if init == "random":
        n = dataset.pixel_count
        positions = make_generator(rng, seed).permutation_prefix(n, k)
        lines.append(
            f"The random initializer shuffles the pixel positions 0..{n - 1} with seed {seed} and takes "
            f"the first {k} (KM-INIT-1):"
        )
        for j, p in enumerate(positions):
            lines.append(f"  c{j} = {teller.where(p)} = {colour_text(dataset.pixels[p])}")
    else:
        lines.append(f"The {init} initializer chose:")
        for j, c in enumerate(start):
            lines.append(f"  c{j} = {colour_text(c)}")
    for j, c in enumerate(start):
        earlier = [i for i in range(j) if start[i] == c]
        if earlier:
            lines.append(
                f"  c{j} is the same colour as c{earlier[0]}: every pixel is as near to both, so c{earlier[0]} "
                f"(the lower index) wins them all and c{j} starts empty."
            )
    return lines


def _summary(result: Result, maxval: int) -> List[str]:
    state = "converged" if result.converged else "stopped at max_iter"
    inertias = [f"{float(s.inertia):,.0f}" for s in result.steps or []]
    if len(inertias) > 12:
        inertias = inertias[:6] + ["..."] + inertias[-5:]
    palette = " ".join("#" + "".join(f"{v:02x}" for v in c) for c in result.palette(maxval)) if maxval < 256 else ""
    lines = [
        "== And so on ==",
        f"After {result.iterations} iteration(s) the run {state}; inertia {exact_text(result.inertia_exact)}.",
        f"Inertia per iteration: {', '.join(inertias) or '(none)'}",
        f"Pixels per cluster: {', '.join(map(str, result.counts))}",
    ]
    if palette:
        lines.append(f"Palette (centroids rounded half up): {palette}")
    return lines
