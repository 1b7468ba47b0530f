"""Time and peak memory against k and against palette size, refkmeans beside its peers.

Two sweeps on scikit-learn's ``china.jpg`` (427x640, 96,615 colours; every
other pixel in each direction with ``--quick``):

* **k** = 2, 4, ..., 256, 1024, 4096, a fixed number of iterations from the
  same random start: refkmeans ``fast`` and ``histogram`` against
  scikit-learn ``KMeans(k, init=the same centres, n_init=1, max_iter=N,
  tol=0)`` (Lloyd, no early stop), so each tool does the same N iterations;
* **palette size** = 256 ... 65,536 (distinct colours of the photo, spread
  evenly), mapping every pixel to its nearest palette colour (k-means with
  zero iterations, ``quantize --palette``): refkmeans ``fast`` and
  ``histogram`` against a chunked NumPy nearest-colour search.

Each measurement runs in a fresh subprocess on a PPM and a JSON list of
centres written beforehand, so its peak memory (``VmHWM``: resident, whole process,
interpreter and libraries included; refkmeans' process never imports NumPy)
is its own; ``ratio`` is
time over the peer's time in the same run.  A growth exponent is the
least-squares slope of log time against log k (or palette size), fitted over
the sizes from 16 up.  The ``histogram`` engine is skipped where it would
compute more than ``--histogram-budget`` distances.

Usage: ``python benchmarks/scale.py [--quick] [--iterations N] [--json FILE] [--markdown FILE]``.
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
from typing import Any, Dict, List, Optional

# Benchmark process only: let numpy/scikit-learn use their tuned BLAS kernels.
for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KS = [2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096]
PALETTES = [256, 1024, 4096, 16384, 32768, 65536]

# The child runs one tool once on the inputs the parent wrote (photo.ppm, centres.json)
# and prints JSON {seconds, peak_mb, check}.  refkmeans' child never imports NumPy.
CHILD = r"""
import json, sys, time
tool, folder, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(folder + "/photo.ppm", "rb") as f:
    data = f.read()
w, h = map(int, data.split(b"\n")[1].split())
pixels = data[len(data) - 3 * w * h:]
with open(folder + "/centres.json") as f:
    centres = json.load(f)
if tool in ("fast", "histogram"):
    sys.path.insert(0, ROOT)
    from refkmeans import Image, quantize
    image = Image(w, h, 3, 255, list(pixels))
    init = [tuple(c) for c in centres]
    start = time.perf_counter()
    q = quantize(image, len(init), init=init, max_iter=iterations, engine=tool)
    check = int(q.squared_error())
else:
    import numpy as np
    x = np.frombuffer(pixels, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
    c = np.array(centres, dtype=np.int64)
    if tool == "sklearn":
        from sklearn.cluster import KMeans
        xf = x.astype(np.float64)
        start = time.perf_counter()
        model = KMeans(len(c), init=c.astype(np.float64), n_init=1, max_iter=iterations, tol=0.0, algorithm="lloyd").fit(xf)
        check = float(model.inertia_)
    else:  # numpy nearest colour, in chunks of pixels so memory stays bounded
        start = time.perf_counter()
        norms = (c * c).sum(1)
        step = max(1, 2**22 // len(c))
        labels = np.concatenate([np.argmin(norms[None, :] - 2 * x[i:i + step] @ c.T, axis=1) for i in range(0, len(x), step)])
        check = int(((x - c[labels]) ** 2).sum())
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
with open("/proc/self/status") as f:
    peak = int(f.read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "check": check}))
""".replace("ROOT", repr(ROOT))


def prepare(folder: str, rgb: Any, sweep_name: str, size: int) -> None:
    """Write the photo and the starting centres (or palette) for one size."""
    import numpy as np

    flat = rgb.reshape(-1, 3)
    _, first = np.unique(flat, axis=0, return_index=True)
    colours = flat[np.sort(first)]
    if sweep_name == "palette":
        centres = colours[np.linspace(0, len(colours) - 1, min(size, len(colours))).astype(int)]
    else:
        centres = colours[np.random.default_rng(0).choice(len(colours), size, replace=False)]
    height, width, _ = rgb.shape
    with open(os.path.join(folder, "photo.ppm"), "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height) + np.ascontiguousarray(rgb).tobytes())
    with open(os.path.join(folder, "centres.json"), "w") as f:
        json.dump(centres.tolist(), f)


def measure(tool: str, folder: str, iterations: int) -> Optional[Dict[str, Any]]:
    """One run of one tool in a fresh process; None when it failed."""
    done = subprocess.run([sys.executable, "-c", CHILD, tool, folder, str(iterations)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  {tool} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(sizes: List[int], times: List[float]) -> Optional[float]:
    """Least-squares slope of log(time) over log(size), for sizes >= 16."""
    points = [(math.log(s), math.log(t)) for s, t in zip(sizes, times) if s >= 16 and t > 0]
    if len(points) < 2:
        return None
    mx = sum(p[0] for p in points) / len(points)
    my = sum(p[1] for p in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def sweep(
    name: str, sizes: List[int], tools: List[str], peer: str, args: argparse.Namespace, rgb: Any, colours: int
) -> Dict[str, Any]:
    rows = []
    iterations = 0 if name == "palette" else args.iterations
    for size in sizes:
        row: Dict[str, Any] = {name: size}
        folder = tempfile.mkdtemp(prefix="refkmeans-scale-")
        prepare(folder, rgb, name, size)
        for tool in tools:
            work = size * colours * (1 if name == "palette" else args.iterations + 1)
            if tool == "histogram" and work > args.histogram_budget:
                row[tool] = None
                continue
            row[tool] = measure(tool, folder, iterations)
        shutil.rmtree(folder)
        for tool in tools:
            if row[tool] and row.get(peer):
                row[tool]["ratio"] = row[tool]["seconds"] / row[peer]["seconds"]
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    fits = {}
    for tool in tools:
        measured = [(r[name], r[tool]["seconds"]) for r in rows if r.get(tool)]
        fits[tool] = exponent([s for s, _ in measured], [t for _, t in measured])
    return {"rows": rows, "exponents": fits, "peer": peer}


def markdown(report: Dict[str, Any]) -> str:
    lines = []
    for name, title in (("k", "k"), ("palette", "palette size")):
        data = report[name]
        tools = list(data["exponents"])
        lines.append(f"| {title} | " + " | ".join(f"{t} s (MB)" for t in tools) + f" | fast / {data['peer']} |")
        lines.append("|---" * (len(tools) + 2) + "|")
        for row in data["rows"]:
            cells = [f"{row[t]['seconds']:.2f} ({row[t]['peak_mb']:.0f})" if row.get(t) else "skipped" for t in tools]
            ratio = f"{row['fast']['ratio']:.2f}" if row.get("fast") and "ratio" in row["fast"] else "-"
            lines.append(f"| {row[name]} | " + " | ".join(cells) + f" | {ratio} |")
        fitted = ", ".join(f"{t} {e:.2f}" for t, e in data["exponents"].items() if e is not None)
        lines.append("")
        lines.append(f"Growth exponent of time in {title} (from 16 up): {fitted}.")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a quarter of the photo, k up to 256, palettes up to 4,096"
    )
    parser.add_argument("--iterations", type=int, default=10, help="Lloyd iterations in the k sweep (default 10)")
    parser.add_argument(
        "--histogram-budget", type=float, default=2e8, help="skip the histogram engine beyond this many distances"
    )
    parser.add_argument("--max-palette", type=int, default=65536, help="the largest palette size (default 65,536)")
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--markdown", help="write the tables here")
    args = parser.parse_args()
    import numpy as np
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image("china.jpg")
    if args.quick:
        rgb = rgb[::2, ::2]
    colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
    ks = [k for k in KS if k <= 256] if args.quick else KS
    palettes = (
        [p for p in PALETTES if p <= 4096]
        if args.quick
        else [p for p in PALETTES if p <= min(colours, args.max_palette)]
    )
    report = {
        "photo": f"china.jpg{' (every other pixel)' if args.quick else ''}, {rgb.shape[1]}x{rgb.shape[0]}, {colours} colours",
        "iterations": args.iterations,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "k": sweep("k", ks, ["fast", "histogram", "sklearn"], "sklearn", args, rgb, colours),
        "palette": sweep("palette", palettes, ["fast", "histogram", "numpy"], "numpy", args, rgb, colours),
    }
    print(markdown(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(report))


if __name__ == "__main__":
    main()
