"""The recipes of the golden-vector suite: which problems it holds and why.

Each recipe names a case, says what it tests, and builds its pixels with
integers only (the built-in scene, small hand-made sets, a seeded portable
generator), so the suite regenerates byte for byte on any machine.  The
answers come from the reference engine (:func:`vectors.build_case`).

The suite covers exact ties, near-ties at float64 and float32 scale, empty
clusters under each policy, 1, 3 and 4 channels, 16-bit samples, k = 1, k
above the number of colours, every built-in initializer with its seed, the
stop rule (``max_iter`` 0, 1, 2 and convergence), every built-in metric, and
the notebook's own setting.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Sequence, Tuple

from ..rng import PortableGenerator
from ..scene import scene
from .vectors import Case, build_case

Pixel = Tuple[int, ...]

#: The vectors files, in order, with what each holds.
GROUPS: Dict[str, str] = {
    "basic": "Small problems with a single right answer (no ties, no near-ties): a first smoke test.",
    "ties": "Exact ties and near-ties, where conformant implementations may legitimately branch.",
    "empty": "Clusters that go empty, under each policy: keep, farthest and error.",
    "image": "Channel counts 1, 3 and 4, and 16-bit samples.",
    "k": "k = 1, and k above the number of distinct colours.",
    "init": "Every built-in initializer with its seed and generator; the vectors hold the exact start.",
    "stop": "The stop rule: max_iter 0, 1 and 2, and convergence long before max_iter.",
    "metric": "The built-in metrics besides euclidean.",
    "notebook": "The notebook's own setting (16 colours, 11 iterations, numpy's permutation) and its first-pass trap.",
}


class Recipe(NamedTuple):
    """One case of the suite, before the reference has run on it."""

    id: str
    description: str
    image: Callable[[], Tuple[int, int, int, List[Pixel]]]
    options: Dict[str, Any]
    rules: Tuple[str, ...]


# --- pixel sources (each returns width, height, maxval, pixels) ---------------


def row(values: Sequence[Sequence[int]], maxval: int = 255) -> Callable[[], Tuple[int, int, int, List[Pixel]]]:
    """A one-row image of the given pixels."""
    return lambda: (len(values), 1, maxval, [tuple(v) for v in values])


def grid(width: int, height: int, values: Sequence[Sequence[int]], maxval: int = 255) -> Callable[[], Any]:
    """A width x height image of the given pixels in raster order."""
    assert len(values) == width * height
    return lambda: (width, height, maxval, [tuple(v) for v in values])


def scene_rgb(width: int, height: int) -> Callable[[], Tuple[int, int, int, List[Pixel]]]:
    """The built-in winter scene (photo-like: gradients, grain, a few flat areas)."""
    return lambda: (width, height, 255, scene(width, height).pixels())


def scene_gray(width: int, height: int) -> Callable[[], Tuple[int, int, int, List[Pixel]]]:
    """The scene as 8-bit luminance (integer Rec. 601 weights)."""

    def build() -> Tuple[int, int, int, List[Pixel]]:
        pixels: List[Pixel] = [((r * 299 + g * 587 + b * 114) // 1000,) for r, g, b in scene(width, height).pixels()]
        return width, height, 255, pixels

    return build


def scene_rgba(width: int, height: int) -> Callable[[], Tuple[int, int, int, List[Pixel]]]:
    """The scene with an alpha channel: opaque, with a half-transparent band and a clear corner."""

    def build() -> Tuple[int, int, int, List[Pixel]]:
        pixels: List[Pixel] = []
        for i, (r, g, b) in enumerate(scene(width, height).pixels()):
            x, y = i % width, i // width
            alpha = 0 if x < 3 and y < 3 else 128 if y % 4 == 1 else 255
            pixels.append((r, g, b, alpha))
        return width, height, 255, pixels

    return build


def scene_16bit(width: int, height: int, channels: int = 3) -> Callable[[], Tuple[int, int, int, List[Pixel]]]:
    """The scene widened to 16 bits (v * 257) with seeded low-bit noise, so samples use all 16 bits."""

    def build() -> Tuple[int, int, int, List[Pixel]]:
        rng = PortableGenerator(16)
        pixels = []
        for p in scene(width, height).pixels():
            wide = tuple(min(65535, v * 257 + rng.below(257)) for v in p)
            pixels.append(wide if channels == 3 else ((wide[0] * 299 + wide[1] * 587 + wide[2] * 114) // 1000,))
        return width, height, 65535, pixels

    return build


# --- the recipes -------------------------------------------------------------

FEW_COLOURS = [(0, 0, 0), (0, 0, 0), (255, 255, 255), (0, 0, 0), (200, 30, 30), (255, 255, 255), (0, 0, 0), (200, 30, 30), (0, 0, 0)]


def recipes() -> List[Recipe]:
    """Every case of the suite, in order."""
    r: List[Recipe] = []

    def add(id: str, description: str, image: Callable[[], Any], rules: Sequence[str], **options: Any) -> None:
        r.append(Recipe(id, description, image, options, tuple(rules)))

    # basic: one right answer
    add(
        "basic/gray-two-groups",
        "Two well-separated groups of gray levels; converges in two iterations.",
        row([(1,), (2,), (4,), (20,), (21,), (23,)]),
        ["KM-ASN-1", "KM-UPD-1", "KM-STOP-1"],
        init=[(1,), (23,)],
    )
    add(
        "basic/rgb-three-blobs",
        "Three colour blobs of four pixels each, started from one pixel of each.",
        grid(4, 3, [(10, 10, 200), (12, 9, 190), (8, 14, 205), (11, 11, 198),
                    (200, 20, 20), (190, 25, 18), (205, 15, 22), (199, 21, 19),
                    (30, 220, 40), (25, 210, 45), (35, 215, 38), (28, 222, 43)]),
        ["KM-ASN-1", "KM-UPD-1", "KM-STOP-1"],
        init=[(10, 10, 200), (200, 20, 20), (30, 220, 40)],
    )
    add(
        "basic/gray-moving-centroids",
        "Both centroids start at the left; labels change over several iterations before converging.",
        row([(0,), (3,), (7,), (12,), (18,), (25,), (40,), (46,), (51,), (59,)]),
        ["KM-ASN-1", "KM-UPD-1", "KM-STOP-1", "KM-STOP-2"],
        init=[(0,), (3,)],
    )

    # ties and near-ties
    add(
        "ties/gray-midpoint",
        "Pixel 5 lies exactly between centroids 0 and 10: the lowest index wins (KM-ASN-2).",
        row([(0,), (5,), (10,)]),
        ["KM-ASN-2"],
        init=[(0,), (10,)],
    )
    add(
        "ties/equal-centroids",
        "Two identical starting centroids: every pixel ties between them, so the later one starts empty.",
        row([(5, 5, 5), (9, 9, 9), (7, 7, 7), (200, 200, 200), (190, 180, 170)]),
        ["KM-ASN-2", "KM-INIT-1", "KM-EMP-1"],
        init=[(7, 7, 7), (7, 7, 7), (200, 200, 200)],
    )
    add(
        "ties/rgb-first-step",
        "Starting centroids are pixels, so first-step distances are integers and exact ties are common.",
        scene_rgb(16, 12),
        ["KM-ASN-1", "KM-ASN-2", "KM-INIT-1"],
        k=8,
        init="random",
        seed=4,
    )
    add(
        "ties/rgb-16-colours-first-step",
        "16 starting pixels and first-step exact ties that mean-centred arithmetic (scikit-learn's) decides "
        "the other way, after which the trajectories differ.",
        scene_rgb(24, 16),
        ["KM-ASN-2", "KM-INIT-1"],
        k=16,
        init="random",
        seed=4,
    )
    add(
        "ties/float64-one-ulp",
        "Centroid 1 is one ulp above 3.0, so pixel 2 is nearer centroid 0 by a gap of about 9e-16.",
        row([(0,), (1,), (2,), (3,), (4,)]),
        ["KM-ASN-1", "KM-CEN-2", "KM-TOL-2"],
        init=[(1.0,), (3.0000000000000004,)],
    )
    add(
        "ties/float32-scale-gap",
        "Pixel 1 is nearer centroid 0 by a gap of about 0.002 in squared distance: beyond float64 noise, within float32's.",
        row([(0,), (1,), (2,), (3,)]),
        ["KM-ASN-1", "KM-CEN-2", "KM-TOL-2"],
        init=[(0.0,), (2.0009765625,)],
    )

    # empty clusters under each policy
    for policy in ("keep", "farthest", "error"):
        add(
            f"empty/{policy}-duplicate-start",
            f"Random starts repeat a colour, so a centroid starts empty; policy {policy!r}.",
            grid(3, 3, FEW_COLOURS),
            ["KM-INIT-1", "KM-EMP-1"] + (["KM-EMP-2"] if policy == "farthest" else []),
            k=3,
            init="random",
            seed=0,
            empty=policy,
        )
        add(
            f"empty/{policy}-mid-run",
            f"A centroid loses all its pixels after the first update; policy {policy!r}.",
            row([(4,), (11,), (13,), (27,), (32,)]),
            ["KM-EMP-1"] + (["KM-EMP-2"] if policy == "farthest" else []),
            init=[(1,), (23,), (37,)],
            empty=policy,
        )

    # image shapes
    add("image/gray", "One channel: the scene as 8-bit luminance.", scene_gray(16, 12), ["KM-IMG-1"], k=4, seed=0)
    add("image/rgba", "Four channels: the scene with an alpha channel.", scene_rgba(12, 10), ["KM-IMG-1"], k=6, seed=1)
    add(
        "image/rgb-16bit",
        "16-bit RGB samples: uint16 arithmetic and float32 rounding both matter here.",
        scene_16bit(12, 10),
        ["KM-IMG-1"],
        k=6,
        seed=2,
    )
    add("image/gray-16bit", "16-bit gray samples.", scene_16bit(12, 8, channels=1), ["KM-IMG-1"], k=4, seed=3)

    # k at its edges
    add("k/one", "k = 1: one centroid, the mean of everything, after one update.", scene_rgb(8, 8), ["KM-UPD-1"], k=1)
    add(
        "k/above-colours-first",
        "k = 5 with 3 distinct colours, started from the first 5 pixels (duplicates kept).",
        grid(3, 3, FEW_COLOURS),
        ["KM-INIT-2", "KM-EMP-1"],
        k=5,
        init="first",
    )
    add(
        "k/above-colours-given",
        "k = 5 with 3 distinct colours and 5 distinct given centroids: two never receive a pixel.",
        grid(3, 3, FEW_COLOURS),
        ["KM-INIT-4", "KM-EMP-1"],
        init=[(0, 0, 0), (60, 60, 60), (120, 120, 120), (180, 20, 20), (255, 255, 255)],
    )

    # every initializer with its seed
    for name, rng, seed in (("random", "portable", 7), ("random", "numpy-legacy", 0), ("kmeans++", "portable", 3),
                            ("kmeans++", "numpy-legacy", 1), ("first", "portable", 0)):
        suffix = "" if name == "first" else f"-{rng}-seed{seed}"
        add(
            f"init/{name}{suffix}",
            f"The {name!r} initializer" + ("" if name == "first" else f" with generator {rng!r}, seed {seed}") + ".",
            scene_rgb(16, 12),
            {"random": ["KM-INIT-1", "KM-RNG-3" if rng == "portable" else "KM-RNG-4"],
             "kmeans++": ["KM-INIT-3", "KM-RNG-2" if rng == "portable" else "KM-RNG-4"],
             "first": ["KM-INIT-2"]}[name],
            k=8,
            init=name,
            rng=rng,
            seed=seed,
        )

    # the stop rule
    for cap in (0, 1, 2):
        add(
            f"stop/max-iter-{cap}",
            f"max_iter = {cap}: {cap} iteration(s), then labels for the centroids returned (KM-STOP-3).",
            scene_rgb(12, 8),
            ["KM-STOP-1", "KM-STOP-2", "KM-STOP-3"],
            k=4,
            seed=5,
            max_iter=cap,
        )
    add(
        "stop/converges-early",
        "Converges long before max_iter = 50: the run must stop there, not run on.",
        scene_rgb(12, 8),
        ["KM-STOP-1", "KM-STOP-2"],
        k=4,
        seed=5,
        max_iter=50,
    )

    # metrics
    for metric in ("sqeuclidean", "manhattan", "chebyshev"):
        add(
            f"metric/{metric}",
            f"The {metric!r} metric (the update is still the mean, KM-UPD-1).",
            scene_rgb(12, 8),
            ["KM-ASN-3", "KM-UPD-1"],
            k=4,
            seed=1,
            metric=metric,
        )

    # the notebook
    add(
        "notebook/scene-16-colours",
        "The notebook's setting on the built-in scene: K = 16, numpy's permutation with seed 0, 11 iterations.",
        scene_rgb(32, 24),
        ["KM-INIT-1", "KM-RNG-4", "KM-STOP-1", "KM-STOP-3"],
        k=16,
        init="random",
        rng="numpy-legacy",
        seed=0,
        max_iter=11,
    )
    add(
        "notebook/uint8-trap",
        "Pixel 10 is nearest 60, but uint8 arithmetic makes 10 - 250 wrap to 16, so it looks nearest 250.",
        row([(10,), (60,), (250,), (240,)]),
        ["KM-ASN-1", "KM-IMG-1"],
        init=[(60,), (250,)],
    )
    return r


def build(recipe: Recipe) -> Case:
    """Run the reference on one recipe."""
    width, height, maxval, pixels = recipe.image()
    return build_case(recipe.id, recipe.description, pixels, width, height, maxval, rules=recipe.rules, **recipe.options)


def build_all() -> List[Case]:
    """The whole suite, built in memory."""
    return [build(recipe) for recipe in recipes()]
