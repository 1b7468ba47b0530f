"""One contender, run alone in a fresh process.

    python speed_contenders.py NAME IMAGE.ppm OUT.ppm PARAMS_JSON

prints one JSON object: the time of the timed work (imports excluded),
optional phase times, the resident memory after imports (``rss_base_kib``)
and at its peak (``rss_peak_kib``), and facts such as iterations.  The
output image goes to OUT.ppm after the clock stops, for the PSNR.

This file must run under PyPy too (no numpy for the refkmeans contenders)
and on Python 3.9.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any, Callable, Dict

now = time.perf_counter
_BASE: Dict[str, int] = {}


def _status_kib(field: str) -> int:
    """A memory figure from /proc/self/status in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def imports_done() -> None:
    """Record the resident memory once the contender's libraries are loaded (and warmed up)."""
    _BASE["rss"] = _status_kib("VmRSS")


def _warm_sklearn() -> None:
    # The first fit in a process pays one-time costs (thread-pool discovery, ~0.3 s here);
    # a tiny fit before the clock starts keeps them out, as for a warm library.
    import numpy as np
    from sklearn.cluster import KMeans

    KMeans(n_clusters=2, n_init=1, random_state=0).fit(np.arange(40, dtype=np.float64).reshape(-1, 2))


def _write_rgb_ppm(path: str, rgb) -> None:  # numpy uint8 (h, w, 3)
    height, width = rgb.shape[:2]
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height))
        f.write(rgb.astype("uint8").tobytes())


# -- refkmeans ---------------------------------------------------------------


def refkmeans_fast(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """refkmeans.quantize with the fast engine, its steps timed one by one."""
    import refkmeans
    from refkmeans.dataset import Dataset
    from refkmeans.image import Image
    from refkmeans.kmeans import Options, cluster
    from refkmeans.plugins import get_registry
    from refkmeans.quantize import index_typecode

    get_registry()  # plugin discovery, once per process
    imports_done()
    t0 = now()
    original = refkmeans.read(image)
    t1 = now()
    dataset = Dataset.from_image(original)
    dataset.colour_tree()
    t2 = now()
    stamps = [t2]
    options = Options(init=params["init"], max_iter=params["iterations"], engine="fast",
                      progress=lambda step: stamps.append(now()))
    clustering = cluster(dataset, options)
    t3 = now()
    # One interval between steps is one iteration (assign + update); the first also builds the tree's nodes.
    intervals = sorted(b - a for a, b in zip(stamps[1:], stamps[2:]))
    palette = clustering.result.palette(original.maxval)
    indices = clustering.pixel_indices(index_typecode(len(palette)))
    quantized = Image.from_palette(original.width, original.height, palette, indices, original.maxval)
    t4 = now()
    refkmeans.write(out, quantized, force=True)
    result = clustering.result
    return {
        "time": t4 - t0,
        "phases": {"read": t1 - t0, "histogram+tree": t2 - t1, "iterations": t3 - t2, "remap+repaint": t4 - t3},
        "iterations": result.iterations,
        "converged": result.converged,
        "colours": dataset.colour_count,
        "full_walks": clustering.assigner.full_walks,  # type: ignore[attr-defined]
        "iteration_median": intervals[len(intervals) // 2] if intervals else None,
        "interpreter": sys.implementation.name,
    }


def refkmeans_plain_iteration(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """One iteration of the plain engine (per pixel, like the notebook) on a pixel sample."""
    import refkmeans
    from refkmeans.engine.lloyd import Points, update
    from refkmeans.plugins import get_registry
    from refkmeans.rational import as_centroid

    imports_done()
    original = refkmeans.read(image)
    view = original.pixel_view()
    step = max(1, len(view) // params["sample"])
    points = [view[i] for i in range(0, len(view), step)][: params["sample"]]
    metric = get_registry().metric("euclidean")
    centroids = [as_centroid(c, original.channels) for c in params["init"]]
    t0 = now()
    assigner = Points(points, metric)
    assigner.assign(centroids)
    update(centroids, assigner.sums, "keep", 0, assigner.farthest)
    elapsed = now() - t0
    return {"time": elapsed, "sample": len(points), "per_iteration": elapsed / len(points) * len(view)}


# -- the notebook --------------------------------------------------------------


def notebook_iteration(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """One iteration of the notebook's loop (numpy, one norm per pixel and centroid) on a pixel sample."""
    import numpy as np
    from PIL import Image

    imports_done()
    x = np.asarray(Image.open(image)).reshape(-1, 3).astype(float)
    step = max(1, len(x) // params["sample"])
    sample = x[::step][: params["sample"]]
    centroids = np.array(params["init"], dtype=float)
    t0 = now()
    labels = []
    for pixel in sample:
        distances = [np.linalg.norm(pixel - c) for c in centroids]
        labels.append(np.argmin(distances))
    labels = np.array(labels)
    centroids = np.array(
        [sample[labels == j].mean(axis=0) if np.any(labels == j) else centroids[j] for j in range(len(centroids))]
    )
    elapsed = now() - t0
    return {"time": elapsed, "sample": len(sample), "per_iteration": elapsed / len(sample) * len(x)}


# -- peers -------------------------------------------------------------------------


def _sklearn(image: str, out: str, make: Callable[[Any], Any]) -> Dict[str, Any]:
    import numpy as np
    from PIL import Image
    from sklearn.cluster import KMeans

    _warm_sklearn()
    imports_done()
    t0 = now()
    rgb = np.asarray(Image.open(image))
    x = rgb.reshape(-1, 3).astype(np.float64)
    km = make(KMeans).fit(x)
    palette = np.clip(np.floor(km.cluster_centers_ + 0.5), 0, 255).astype(np.uint8)
    quantized = palette[km.labels_].reshape(rgb.shape)
    elapsed = now() - t0
    _write_rgb_ppm(out, quantized)
    return {"time": elapsed, "iterations": int(km.n_iter_)}


def sklearn_lloyd(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """scikit-learn KMeans, algorithm lloyd, from the same centroids for the same iterations (tol=0)."""
    import numpy as np

    init = np.array(params["init"], dtype=np.float64)
    return _sklearn(
        image,
        out,
        lambda KMeans: KMeans(
            n_clusters=len(init), init=init, n_init=1, max_iter=params["iterations"], tol=0.0, algorithm="lloyd"
        ),
    )


def sklearn_default(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """scikit-learn KMeans with its defaults (k-means++, tol 1e-4, to convergence), seeded."""
    return _sklearn(image, out, lambda KMeans: KMeans(n_clusters=len(params["init"]), random_state=0))


def _pillow(image: str, out: str, method_name: str) -> Dict[str, Any]:
    from PIL import Image

    imports_done()
    t0 = now()
    original = Image.open(image)
    original.load()
    quantized = original.quantize(16, method=getattr(Image.Quantize, method_name)).convert("RGB")
    elapsed = now() - t0
    quantized.save(out)
    return {"time": elapsed}


def pillow_mediancut(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Pillow Image.quantize(16, MEDIANCUT)."""
    return _pillow(image, out, "MEDIANCUT")


def pillow_fastoctree(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Pillow Image.quantize(16, FASTOCTREE)."""
    return _pillow(image, out, "FASTOCTREE")


def opencv_kmeans(image: str, out: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """OpenCV cv2.kmeans: k-means++ centres (seeded), the same number of iterations."""
    import cv2
    import numpy as np

    cv2.kmeans(np.arange(40, dtype=np.float32).reshape(-1, 2), 2, None, (cv2.TERM_CRITERIA_MAX_ITER, 2, 0.0), 1, 0)
    imports_done()
    t0 = now()
    bgr = cv2.imread(image, cv2.IMREAD_COLOR)
    data = bgr.reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, params["iterations"], 0.0)
    _, labels, centres = cv2.kmeans(data, len(params["init"]), None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    palette = np.clip(np.floor(centres + 0.5), 0, 255).astype(np.uint8)
    quantized = palette[labels.ravel()].reshape(bgr.shape)
    elapsed = now() - t0
    cv2.imwrite(out, quantized)
    return {"time": elapsed}


CONTENDERS: Dict[str, Callable[[str, str, Dict[str, Any]], Dict[str, Any]]] = {
    "refkmeans-fast": refkmeans_fast,
    "refkmeans-plain-iteration": refkmeans_plain_iteration,
    "notebook-iteration": notebook_iteration,
    "sklearn-lloyd": sklearn_lloyd,
    "sklearn-default": sklearn_default,
    "pillow-mediancut": pillow_mediancut,
    "pillow-fastoctree": pillow_fastoctree,
    "opencv-kmeans": opencv_kmeans,
}


def main(argv: list) -> int:
    name, image, out, params = argv[1], argv[2], argv[3], json.loads(argv[4])
    result = CONTENDERS[name](image, out, params)
    result["rss_base_kib"] = _BASE.get("rss", 0)
    # VmHWM starts afresh at exec; ru_maxrss on Linux keeps the parent's size from before the exec.
    result["rss_peak_kib"] = _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
