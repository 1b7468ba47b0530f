"""Quality at 16 colours: refkmeans' default against every peer, in the same run.

For each photo this runs, interleaved round by round (best time of
``--rounds``; quality is deterministic and taken from the last round):

* ``sklearn-default``: scikit-learn ``KMeans(16, random_state=0)`` (greedy
  k-means++, its default ``n_init``, to its default tolerance);
* ``opencv-pp-11``: OpenCV ``kmeans`` with k-means++ centres, 11 iterations,
  one attempt, ``setRNGSeed(0)``;
* ``pillow-*``: Pillow ``quantize(16)`` with MEDIANCUT / MAXCOVERAGE, with
  and without ``kmeans=1``, no dithering;
* ``notebook``: refkmeans with the notebook's settings (``--profile
  notebook``: random pixels drawn by ``numpy-legacy`` seed 0, 11 iterations);
* ``refkmeans-default``: ``refkmeans.quantize(image, 16)`` with no options.

PSNR is 10 log10(255^2 / MSE) over every pixel and channel of the repainted
image (palettes rounded as each tool rounds them).  Time is wall time of the
clustering and repainting, not of reading the file; ``ratio`` is time over
``sklearn-default``'s time on the same photo in the same run.

Usage: ``python benchmarks/quality.py [--rounds N] [--json FILE] [--markdown FILE] [--photos a,b]``.
``make quality`` writes docs/quality.md and bench-output/quality.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

# Benchmark process only: let numpy/scikit-learn use their tuned BLAS kernels.
for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import refkmeans  # noqa: E402
from refkmeans.image import Image as RImage  # noqa: E402
from refkmeans.quantize import quantize  # noqa: E402
from refkmeans.scene import scene  # noqa: E402

SNOWMAN = "/work/shared/images/snowman.ppm"
K = 16
BASELINE = "sklearn-default"


def load_photos(wanted: List[str]) -> Dict[str, np.ndarray]:
    """name -> uint8 RGB array: the notebook's photo (if present), the wheels' photos, the project's scene."""
    photos: Dict[str, np.ndarray] = {}
    path = os.environ.get("REFKMEANS_SNOWMAN", SNOWMAN)
    if os.path.exists(path):
        from PIL import Image

        photos["snowman"] = np.asarray(Image.open(path).convert("RGB"))
    import skimage.data
    from sklearn.datasets import load_sample_image

    photos["china"] = load_sample_image("china.jpg")
    photos["flower"] = load_sample_image("flower.jpg")
    photos["astronaut"] = skimage.data.astronaut()
    photos["coffee"] = skimage.data.coffee()
    photos["chelsea"] = skimage.data.chelsea()
    s = scene()
    photos["scene"] = np.frombuffer(bytes(s.samples), dtype=np.uint8).reshape(s.height, s.width, 3)
    if wanted:
        photos = {n: p for n, p in photos.items() if n in wanted}
    return photos


def psnr(original: np.ndarray, out: np.ndarray) -> float:
    """PSNR in dB over every sample."""
    err = np.mean((original.astype(np.float64) - out.astype(np.float64)) ** 2)
    return math.inf if err == 0 else 10 * math.log10(255.0**2 / err)


def half_up(centres: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(centres + 0.5), 0, 255).astype(np.uint8)


def run_sklearn(rgb: np.ndarray) -> np.ndarray:
    from sklearn.cluster import KMeans

    x = rgb.reshape(-1, 3).astype(np.float64)
    model = KMeans(K, random_state=0).fit(x)
    return half_up(model.cluster_centers_)[model.labels_].reshape(rgb.shape)


def run_opencv(rgb: np.ndarray) -> np.ndarray:
    import cv2

    cv2.setRNGSeed(0)
    x = rgb.reshape(-1, 3).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, 11, 0.0)
    _, labels, centres = cv2.kmeans(x, K, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    return half_up(centres)[labels.ravel()].reshape(rgb.shape)


def pillow(method: str, kmeans: int) -> Callable[[np.ndarray], np.ndarray]:
    def run(rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        chosen = getattr(Image.Quantize, method)
        out = Image.fromarray(rgb).quantize(K, method=chosen, kmeans=kmeans, dither=Image.Dither.NONE)
        return np.asarray(out.convert("RGB"))

    return run


def refkmeans_run(**options: Any) -> Callable[[np.ndarray], np.ndarray]:
    def run(rgb: np.ndarray) -> np.ndarray:
        h, w, _ = rgb.shape
        image = RImage(w, h, 3, 255, list(rgb.tobytes()))
        q = quantize(image, K, **options)
        return np.frombuffer(bytes(q.image.samples), dtype=np.uint8).reshape(rgb.shape)

    return run


def contenders() -> List[Tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """(name, function) for every tool that is installed."""
    found: List[Tuple[str, Callable[[np.ndarray], np.ndarray]]] = [(BASELINE, run_sklearn)]
    try:
        import cv2  # noqa: F401

        found.append(("opencv-pp-11", run_opencv))
    except ImportError:
        print("quality: no OpenCV, its row is skipped", file=sys.stderr)
    found += [
        ("pillow-mediancut", pillow("MEDIANCUT", 0)),
        ("pillow-mediancut-k1", pillow("MEDIANCUT", 1)),
        ("pillow-maxcoverage", pillow("MAXCOVERAGE", 0)),
        ("pillow-maxcoverage-k1", pillow("MAXCOVERAGE", 1)),
        ("notebook", refkmeans_run(**refkmeans.PROFILES["notebook"])),
        ("refkmeans-default", refkmeans_run()),
    ]
    return found


def measure(photos: Dict[str, np.ndarray], rounds: int) -> Dict[str, Dict[str, Dict[str, float]]]:
    """photo -> tool -> {psnr, seconds (best of rounds), ratio}."""
    tools = contenders()
    table: Dict[str, Dict[str, Dict[str, float]]] = {}
    for name, rgb in photos.items():
        best: Dict[str, float] = {}
        quality: Dict[str, float] = {}
        for _ in range(rounds):
            for tool, fn in tools:  # interleaved: every tool once per round
                start = time.perf_counter()
                out = fn(rgb)
                took = time.perf_counter() - start
                best[tool] = min(best.get(tool, math.inf), took)
                quality[tool] = psnr(rgb, out)
        base = best[BASELINE]
        table[name] = {t: {"psnr": quality[t], "seconds": best[t], "ratio": best[t] / base} for t, _ in tools}
        print(f"quality: {name} done", file=sys.stderr)
    return table


def peers_best(row: Dict[str, Dict[str, float]]) -> float:
    return max(v["psnr"] for t, v in row.items() if t != "refkmeans-default")


def markdown(table: Dict[str, Dict[str, Dict[str, float]]], rounds: int) -> str:
    """The quality table as Markdown (docs/quality.md)."""
    photos = list(table)
    tools = list(next(iter(table.values())))
    lines = [
        "# Quality at 16 colours",
        "",
        "Generated by `make quality` (`benchmarks/quality.py`); do not edit by hand.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"best time of {rounds} interleaved round(s), on a shared machine.",
        "",
        "PSNR in dB over every pixel and channel, no dithering (higher is better):",
        "",
        "| tool | " + " | ".join(photos) + " |",
        "|---|" + "---|" * len(photos),
    ]
    for tool in tools:
        lines.append(f"| {tool} | " + " | ".join(f"{table[p][tool]['psnr']:.2f}" for p in photos) + " |")
    lines.append("| best peer | " + " | ".join(f"{peers_best(table[p]):.2f}" for p in photos) + " |")
    lines.append(
        "| refkmeans-default beats best peer | "
        + " | ".join("yes" if table[p]["refkmeans-default"]["psnr"] > peers_best(table[p]) else "**no**" for p in photos)
        + " |"
    )
    lines += [
        "",
        f"Time in seconds, and in parentheses the ratio to `{BASELINE}` on the same photo in the same run:",
        "",
        "| tool | " + " | ".join(photos) + " |",
        "|---|" + "---|" * len(photos),
    ]
    for tool in tools:
        cells = [f"{table[p][tool]['seconds']:.2f} ({table[p][tool]['ratio']:.1f}x)" for p in photos]
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Tools: `sklearn-default` is scikit-learn `KMeans(16, random_state=0)`; `opencv-pp-11` is OpenCV",
        "`kmeans` with k-means++ centres and 11 iterations; `pillow-*` are Pillow `quantize(16)` with",
        "that method, `-k1` with `kmeans=1`; `notebook` is refkmeans `--profile notebook` (random pixels,",
        "numpy-legacy seed 0, 11 iterations); `refkmeans-default` is `refkmeans.quantize(image, 16)`",
        "with no options (init `restarts`, to convergence: see README, \"What the default does and why\").",
        "",
    ]
    return "\n".join(lines)


def main(argv: List[str] = sys.argv[1:]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--photos", default="", help="comma-separated subset of photo names")
    parser.add_argument("--json", help="write the table as JSON")
    parser.add_argument("--markdown", help="write the table as Markdown (docs/quality.md)")
    args = parser.parse_args(argv)
    photos = load_photos([p for p in args.photos.split(",") if p])
    table = measure(photos, args.rounds)
    text = markdown(table, args.rounds)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"k": K, "rounds": args.rounds, "table": table}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
