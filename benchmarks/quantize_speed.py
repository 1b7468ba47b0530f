"""Every contender on every input in one run: interleaved, best of N, ratios in a table.

    python benchmarks/quantize_speed.py [--reps 3] [--quick] [--json results.json] [--pypy PYTHON]

Each measurement is a fresh process (``speed_contenders.py``), so memory figures
are per contender and nothing is warm from a previous one.  Runs are
interleaved (repetition, then input, then contender) so that a slow moment
of the machine hits every contender alike; the table shows the best time.
Ratios are against scikit-learn's lloyd from the same 16 centroids for the
same 11 iterations (tol=0).  The notebook's loop and the plain engine are
far too slow to run whole: one iteration on a pixel sample is timed and
scaled to the image, and the table says so.

The OpenBLAS variables ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are
removed from the children's environment (both together), so numpy and
scikit-learn pick their own kernels.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import speed_inputs as inputs  # noqa: E402

K = 16
ITERATIONS = 11
SAMPLE = {"notebook-iteration": 3000, "refkmeans-plain-iteration": 20000}

#: (label, contender name, interpreter key)
CONTENDERS = [
    ("refkmeans fast", "refkmeans-fast", "cpython"),
    ("refkmeans fast, PyPy", "refkmeans-fast", "pypy"),
    ("sklearn lloyd, same start", "sklearn-lloyd", "cpython"),
    ("sklearn lloyd, 1 thread", "sklearn-lloyd", "cpython-1thread"),
    ("sklearn default (k-means++)", "sklearn-default", "cpython"),
    ("Pillow MEDIANCUT", "pillow-mediancut", "cpython"),
    ("Pillow FASTOCTREE", "pillow-fastoctree", "cpython"),
    ("OpenCV kmeans (k-means++)", "opencv-kmeans", "cpython"),
    ("notebook loop, 1 iteration*", "notebook-iteration", "cpython"),
    ("refkmeans plain, 1 iteration*", "refkmeans-plain-iteration", "cpython"),
]


def child_environment(threads: Optional[int] = None) -> Dict[str, str]:
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(name, None)
    if threads is not None:
        # refkmeans runs on one core; this row shows a peer held to one as well.
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_child(
    python: str, name: str, image: str, out: str, params: Dict[str, Any], timeout: float, threads: Optional[int] = None
) -> Dict[str, Any]:
    command = [python, os.path.join(HERE, "speed_contenders.py"), name, image, out, json.dumps(params)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=child_environment(threads)
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def initial_centroids(path: str) -> Tuple[List[List[int]], int, int]:
    """refkmeans' own start (``random``, portable generator, seed 0), used by every same-start contender."""
    import refkmeans
    from refkmeans.builtin.initializers import random_pixels
    from refkmeans.dataset import Dataset
    from refkmeans.rng import make_generator

    image = refkmeans.read(path)
    dataset = Dataset.from_image(image)
    start = random_pixels(dataset, K, make_generator("portable", 0))
    return [list(c) for c in start], image.pixel_count, dataset.colour_count


def psnr(original: str, output: str) -> Optional[float]:
    import numpy as np
    from PIL import Image

    if not os.path.exists(output):
        return None
    a = np.asarray(Image.open(original).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(output).convert("RGB"), dtype=np.float64)
    if a.shape != b.shape:
        return None
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def check_identity(path: str, init: List[List[int]], limit: int) -> Dict[str, Any]:
    """Fast versus the histogram engine (lloyd over colours), same start, 11 iterations.

    Images above ``limit`` pixels are cropped to their first rows.
    """
    import refkmeans
    from refkmeans.image import Image

    image = refkmeans.read(path)
    rows = image.height
    if image.pixel_count > limit:
        rows = max(1, limit // image.width)
        cut = rows * image.width * image.channels
        image = Image(image.width, rows, image.channels, image.maxval, image.samples[:cut])
    dataset = refkmeans.Dataset.from_image(image)
    results = []
    for engine in ("fast", "histogram"):
        start = time.perf_counter()
        r = refkmeans.kmeans(dataset, init=init, max_iter=ITERATIONS, engine=engine)
        results.append((r, time.perf_counter() - start))
    (a, fast_time), (b, slow_time) = results
    same = (a.centroids, a.labels, a.iterations, a.converged, a.inertia_exact, a.counts) == (
        b.centroids,
        b.labels,
        b.iterations,
        b.converged,
        b.inertia_exact,
        b.counts,
    )
    return {
        "identical": same,
        "pixels": image.pixel_count,
        "rows": rows,
        "fast_s": fast_time,
        "histogram_s": slow_time,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions; the best is shown (default 3)")
    parser.add_argument("--quick", action="store_true", help="one repetition, no composite, no identity check")
    parser.add_argument("--json", help="also write every measurement to this JSON file")
    parser.add_argument("--pypy", help="a PyPy interpreter with pluggy installed (default: none)")
    parser.add_argument("--work", help="folder for the generated inputs and outputs (default: a temporary one)")
    parser.add_argument("--only", help="comma-separated input names to run")
    parser.add_argument("--no-identity", action="store_true", help="skip the identity check")
    parser.add_argument("--identity-limit", type=int, default=300_000, help="crop larger images for the check")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per measurement")
    args = parser.parse_args(argv)
    reps = 1 if args.quick else args.reps
    work = args.work or tempfile.mkdtemp(prefix="refkmeans-bench-")
    interpreters = {"cpython": sys.executable, "cpython-1thread": sys.executable, "pypy": args.pypy}

    print(f"preparing inputs in {work} ...", file=sys.stderr)
    images = inputs.prepare(work, with_composite=not args.quick)
    if args.only:
        wanted = set(args.only.split(","))
        images = [i for i in images if i["name"] in wanted]
    for image in images:
        image["init"], image["pixels"], image["colours"] = initial_centroids(image["path"])

    runs: List[Dict[str, Any]] = []
    for rep in range(reps):
        for image in images:
            for label, name, interpreter in CONTENDERS:
                python = interpreters[interpreter]
                if python is None:
                    continue
                params = {"init": image["init"], "iterations": ITERATIONS, "sample": SAMPLE.get(name, 0)}
                out = os.path.join(work, f"out-{image['name']}-{name}-{interpreter}.ppm")
                print(f"[{rep + 1}/{reps}] {image['name']}: {label}", file=sys.stderr)
                threads = 1 if interpreter.endswith("1thread") else None
                result = run_child(python, name, image["path"], out, params, args.timeout, threads)
                result.update({"rep": rep, "image": image["name"], "label": label, "out": out})
                runs.append(result)

    best: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for r in runs:
        key = (r["image"], r["label"])
        if "error" in r:
            best.setdefault(key, r)
            continue
        figure = r.get("per_iteration", r["time"])
        old = best.get(key)
        if old is None or "error" in old or figure < old.get("per_iteration", old["time"]):
            peak = max(r["rss_peak_kib"], old["rss_peak_kib"]) if old and "error" not in old else r["rss_peak_kib"]
            best[key] = dict(r, rss_peak_kib=peak)
        else:
            old["rss_peak_kib"] = max(old["rss_peak_kib"], r["rss_peak_kib"])
    for (image_name, _label), r in best.items():
        if "error" not in r and "per_iteration" not in r:
            path = next(i["path"] for i in images if i["name"] == image_name)
            r["psnr"] = psnr(path, r["out"])

    identity = {}
    if not args.quick and not args.no_identity:
        for image in images:
            print(f"identity check: {image['name']}", file=sys.stderr)
            identity[image["name"]] = check_identity(image["path"], image["init"], args.identity_limit)

    lines = report(images, best, identity, reps, interpreters)
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": machine(),
                    "reps": reps,
                    "images": [{k: v for k, v in i.items() if k != "init"} for i in images],
                    "runs": runs,
                    "identity": identity,
                    "table": lines,
                },
                f,
                indent=1,
            )
    return 0


def machine() -> Dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def report(
    images: List[Dict[str, Any]],
    best: Dict[Tuple[str, str], Dict[str, Any]],
    identity: Dict[str, Dict[str, Any]],
    reps: int,
    interpreters: Dict[str, Optional[str]],
) -> List[str]:
    m = machine()
    lines = [
        f"refkmeans benchmark: k={K}, {ITERATIONS} iterations, best of {reps}; "
        f"{m['implementation']} {m['python']}, {m['cpus']} cpus, load {tuple(round(x, 1) for x in m['load'] or ())}",
        "",
        f"{'input':<11} {'contender':<31} {'time s':>9} {'x sklearn':>9} {'peak MB':>8} {'+work MB':>8} {'PSNR dB':>8}  note",
    ]
    for image in images:
        name = image["name"]
        reference = best.get((name, "sklearn lloyd, same start"), {})
        ref_time = reference.get("time") if "error" not in reference else None
        lines.append(f"{name} ({image['pixels']:,} pixels, {image['colours']:,} colours)")
        for label, _, _interpreter in CONTENDERS:
            r = best.get((name, label))
            if r is None:
                continue
            if "error" in r:
                lines.append(f"{'':<11} {label:<31} {'failed':>9}  {r['error'][:60]}")
                continue
            figure = r.get("per_iteration", r["time"])
            ratio = f"{figure / ref_time:9.2f}" if ref_time else f"{'':>9}"
            peak = r["rss_peak_kib"] / 1024
            extra = (r["rss_peak_kib"] - r["rss_base_kib"]) / 1024 if r["rss_base_kib"] else float("nan")
            value = r.get("psnr")
            shown = "" if value is None else ("inf" if math.isinf(value) else f"{value:.2f}")
            note = ""
            if "per_iteration" in r:
                note = f"per iteration, scaled from {r['sample']:,} pixels"
            elif "phases" in r:
                note = " ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
                note += f"; {r['iterations']} it"
            elif "iterations" in r:
                note = f"{r['iterations']} it"
            lines.append(f"{'':<11} {label:<31} {figure:9.3f} {ratio} {peak:8.0f} {extra:8.0f} {shown:>8}  {note}")
    lines += ["", "* too slow to run whole: one iteration timed on a pixel sample and scaled to the image.", ""]
    lines += targets(images, best, identity)
    return lines


def targets(
    images: List[Dict[str, Any]], best: Dict[Tuple[str, str], Dict[str, Any]], identity: Dict[str, Dict[str, Any]]
) -> List[str]:
    lines = [
        "targets (issue 3)",
        f"{'input':<11} {'fast/sklearn':>12} {'1 thread':>9} {'goal':>6} {'notebook/fast':>14} {'median it':>10} {'goal':>6} "
        f"{'fast/sklearn MB':>16} {'identity':>10}",
    ]
    for image in images:
        name = image["name"]
        fast = best.get((name, "refkmeans fast"), {})
        sk = best.get((name, "sklearn lloyd, same start"), {})
        nb = best.get((name, "notebook loop, 1 iteration*"), {})
        if "error" in fast or "error" in sk or not fast or not sk:
            lines.append(f"{name:<11} (missing measurements)")
            continue
        goal = 1.0 if name == "composite" else 5.0
        ratio = fast["time"] / sk["time"]
        single = best.get((name, "sklearn lloyd, 1 thread"), {})
        single_ratio = fast["time"] / single["time"] if single and "error" not in single else float("nan")
        per_iteration = fast["phases"]["iterations"] / max(1, fast["iterations"])
        notebook = nb["per_iteration"] if nb and "error" not in nb else float("nan")
        speedup = notebook / per_iteration
        median = notebook / fast["iteration_median"] if fast.get("iteration_median") else float("nan")
        memory = fast["rss_peak_kib"] / sk["rss_peak_kib"]
        check = identity.get(name)
        same = "-" if check is None else ("same" if check["identical"] else "DIFFERENT")
        if check is not None and check["pixels"] < image["pixels"]:
            same += " (crop)"
        lines.append(
            f"{name:<11} {ratio:12.2f} {single_ratio:9.2f} {'<=' + format(goal, 'g'):>6} {speedup:14.0f} {median:10.0f}"
            f" {'>=200':>6} {memory:16.2f} {same:>10}"
        )
    lines.append("fast/sklearn: end-to-end time against sklearn lloyd with its default threads (1 thread: held to one).")
    lines.append("notebook/fast: the notebook's time per iteration over ours, ours as the clustering phase / iterations")
    lines.append("(tree nodes are built during the first iteration) and as the median time between two iterations.")
    lines.append("identity: fast and histogram engines from the same start agree on centroids, labels, iterations,")
    lines.append("inertia and counts (images above the identity limit are checked on their first rows).")
    return lines


if __name__ == "__main__":
    sys.exit(main())
