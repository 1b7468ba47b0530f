"""Quality at 16 (and 256) colours: refkmeans' default against every peer, in the same run.

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
* ``pngquant-nofs``: ``pngquant --nofs K`` (libimagequant), when the
  ``pngquant`` program is installed (Debian: ``apt-get install pngquant``);
* ``refkmeans-default``: ``refkmeans.quantize(image, 16)`` with no options.

``--k 16,256`` gives one table per colour count; ``--scaling PHOTO`` adds a
table of time against k (2, 4, ..., 256) for refkmeans' default and
scikit-learn's, with the growth exponent of each fitted by least squares on
log(time) against log(k).

PSNR is 10 log10(255^2 / MSE) over every pixel and channel of the repainted
image (palettes rounded as each tool rounds them).  Time is wall time of the
clustering and repainting, not of reading the file; ``ratio`` is time over
``sklearn-default``'s time on the same photo in the same run.

Usage: ``python benchmarks/quality.py [--rounds N] [--k 16,256] [--photos a,b] [--scaling PHOTO] [--json FILE] [--markdown FILE]``.
``make quality`` writes docs/quality.md and bench-output/quality.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
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
#: The colour count the contenders run at (set per table by measure()).
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


def run_pngquant(rgb: np.ndarray) -> np.ndarray:
    """pngquant --nofs K through a temporary PNG (no dithering, its default speed)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        source, out = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.png")
        Image.fromarray(rgb).save(source)
        subprocess.run(["pngquant", "--nofs", "--force", "--output", out, str(K), source], check=True)
        return np.asarray(Image.open(out).convert("RGB"))


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
    ]
    if shutil.which("pngquant"):
        found.append(("pngquant-nofs", run_pngquant))
    else:
        print("quality: no pngquant, its row is skipped", file=sys.stderr)
    found += [
        ("notebook", refkmeans_run(**refkmeans.PROFILES["notebook"])),
        ("refkmeans-default", refkmeans_run()),
    ]
    return found


def measure(photos: Dict[str, np.ndarray], rounds: int, k: int) -> Dict[str, Dict[str, Dict[str, float]]]:
    """photo -> tool -> {psnr, seconds (best of rounds), ratio}, at k colours."""
    global K
    K = k
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
        print(f"quality: {name} at k={k} done", file=sys.stderr)
    return table


def peers_best(row: Dict[str, Dict[str, float]]) -> float:
    return max(v["psnr"] for t, v in row.items() if t != "refkmeans-default")


def scaling(rgb: np.ndarray, ks: List[int]) -> Dict[int, Dict[str, float]]:
    """k -> {refkmeans seconds, sklearn seconds}: one run each (the default of each tool)."""
    global K
    rows: Dict[int, Dict[str, float]] = {}
    for k in ks:
        K = k
        row = {}
        for tool, fn in ((BASELINE, run_sklearn), ("refkmeans-default", refkmeans_run())):
            start = time.perf_counter()
            fn(rgb)
            row[tool] = time.perf_counter() - start
        rows[k] = row
        print(f"quality: scaling k={k} done", file=sys.stderr)
    return rows


def exponent(rows: Dict[int, Dict[str, float]], tool: str) -> float:
    """The least-squares slope of log(time) against log(k)."""
    xs = [math.log(k) for k in rows]
    ys = [math.log(rows[k][tool]) for k in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def scaling_markdown(photo: str, rows: Dict[int, Dict[str, float]]) -> List[str]:
    lines = [
        f"## Time against k on `{photo}`",
        "",
        "One run of each default per k, seconds (ratio refkmeans / scikit-learn):",
        "",
        "| k | sklearn-default | refkmeans-default | ratio |",
        "|---|---|---|---|",
    ]
    for k, row in rows.items():
        lines.append(f"| {k} | {row[BASELINE]:.2f} | {row['refkmeans-default']:.2f} | {row['refkmeans-default'] / row[BASELINE]:.1f}x |")
    if len(rows) > 1:
        lines += [
            "",
            f"Fitted growth exponent in k (time ~ k^e): sklearn-default e = {exponent(rows, BASELINE):.2f}, "
            f"refkmeans-default e = {exponent(rows, 'refkmeans-default'):.2f}.",
        ]
    return lines + [""]


def markdown(tables: Dict[int, Dict[str, Dict[str, Dict[str, float]]]], rounds: int, note: str = "") -> str:
    """The quality tables as Markdown (docs/quality.md)."""
    lines = [
        "# Quality at " + " and ".join(str(k) for k in tables) + " colours",
        "",
        "Generated by `make quality` (`benchmarks/quality.py`); do not edit by hand.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"best time of {rounds} interleaved round(s), on a shared machine.",
    ]
    if note:
        lines += ["", note]
    for k, table in tables.items():
        lines += [""] + k_markdown(table, k)
    return "\n".join(lines)


def k_markdown(table: Dict[str, Dict[str, Dict[str, float]]], k: int) -> List[str]:
    photos = list(table)
    tools = list(next(iter(table.values())))
    lines = [
        f"## {k} colours",
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
        f"Tools: `sklearn-default` is scikit-learn `KMeans({k}, random_state=0)`; `opencv-pp-11` is OpenCV",
        f"`kmeans` with k-means++ centres and 11 iterations; `pillow-*` are Pillow `quantize({k})` with",
        "that method, `-k1` with `kmeans=1`; `pngquant-nofs` is `pngquant --nofs` (when installed);",
        "`notebook` is refkmeans `--profile notebook` (random pixels, numpy-legacy seed 0, 11 iterations);",
        f"`refkmeans-default` is `refkmeans.quantize(image, {k})` with no options (init `restarts`,",
        "stopped by KM-STOP-4 at a relative inertia fall below 1/100000: see README, \"What the default does and why\").",
        "",
    ]
    return lines


def main(argv: List[str] = sys.argv[1:]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--photos", default="", help="comma-separated subset of photo names")
    parser.add_argument("--k", default="16", help="comma-separated colour counts, one table each (default 16)")
    parser.add_argument("--k-photos", default="", help="k=PHOTO,PHOTO;... photos per k other than the first k (e.g. 256=astronaut)")
    parser.add_argument("--scaling", default="", help="a photo for the time-against-k table (k = 2, 4, ..., 256)")
    parser.add_argument("--note", default="", help="a line for the page (say which subset was run)")
    parser.add_argument("--json", help="write the table as JSON")
    parser.add_argument("--markdown", help="write the table as Markdown (docs/quality.md)")
    args = parser.parse_args(argv)
    photos = load_photos([p for p in args.photos.split(",") if p])
    ks = [int(k) for k in args.k.split(",")]
    subsets = dict(item.split("=") for item in args.k_photos.split(";") if item)
    tables = {}
    for k in ks:
        wanted = subsets.get(str(k), "").split(",")
        tables[k] = measure({n: p for n, p in photos.items() if str(k) not in subsets or n in wanted}, args.rounds, k)
    text = markdown(tables, args.rounds, args.note)
    rows: Dict[int, Dict[str, float]] = {}
    if args.scaling:
        rgb = load_photos([args.scaling])[args.scaling]
        rows = scaling(rgb, [2**e for e in range(1, 9)])
        text += "\n" + "\n".join(scaling_markdown(args.scaling, rows))
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "tables": tables, "scaling": rows}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
