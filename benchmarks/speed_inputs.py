"""The benchmark's input images, made at run time in a scratch folder (never committed).

* The sample photos that scikit-learn (``china``, ``flower``) and scikit-image
  (``astronaut``, ``coffee``, ``chelsea``) ship inside their wheels.
* refkmeans' own generated scene (:func:`refkmeans.scene.scene`).
* A multi-megapixel composite: the five photos, each resized with Lanczos to
  one common width and stacked, about 5.8 megapixels.  Resampling makes new
  in-between colours, so the composite has roughly as many distinct colours
  per pixel as a real photo of that size; tiling copies would not.
* Any extra PPM files named in ``REFKMEANS_BENCH_IMAGES`` (``:``-separated),
  each used only if it exists.

Every input is written as a binary PPM, the one format all contenders read.
"""

from __future__ import annotations

import os
from typing import Dict, List

#: Width of each photo in the composite: 5 photos at this width make ~5.8 MP.
COMPOSITE_WIDTH = 1258


def write_ppm(path: str, rgb) -> None:  # rgb: numpy uint8 array (h, w, 3)
    """Write an RGB uint8 array as a binary PPM."""
    height, width, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height))
        f.write(rgb.astype("uint8").tobytes())


def sample_photos() -> Dict[str, object]:
    """The five sample photos as uint8 RGB arrays, by name."""
    import skimage.data
    from sklearn.datasets import load_sample_image

    return {
        "china": load_sample_image("china.jpg"),
        "flower": load_sample_image("flower.jpg"),
        "astronaut": skimage.data.astronaut(),
        "coffee": skimage.data.coffee(),
        "chelsea": skimage.data.chelsea(),
    }


def composite(photos: Dict[str, object], width: int = COMPOSITE_WIDTH):
    """The photos resized (Lanczos) to a common width and stacked top to bottom."""
    import numpy as np
    from PIL import Image

    parts = []
    for rgb in photos.values():
        image = Image.fromarray(rgb)
        height = round(image.height * width / image.width)
        parts.append(np.asarray(image.resize((width, height), Image.LANCZOS)))
    return np.concatenate(parts, axis=0)


def prepare(folder: str, with_composite: bool = True) -> List[Dict[str, str]]:
    """Write every input into ``folder``; return [{name, path}] in benchmark order."""
    import numpy as np

    from refkmeans.scene import scene

    os.makedirs(folder, exist_ok=True)
    inputs = []
    photos = sample_photos()
    for name, rgb in photos.items():
        path = os.path.join(folder, f"{name}.ppm")
        write_ppm(path, rgb)
        inputs.append({"name": name, "path": path})
    demo = scene(240, 160)
    path = os.path.join(folder, "scene.ppm")
    write_ppm(path, np.frombuffer(demo.samples.tobytes(), dtype=np.uint8).reshape(demo.height, demo.width, 3))
    inputs.append({"name": "scene", "path": path})
    for extra in filter(None, os.environ.get("REFKMEANS_BENCH_IMAGES", "").split(":")):
        if os.path.exists(extra):
            inputs.append({"name": os.path.splitext(os.path.basename(extra))[0], "path": extra})
    if with_composite:
        path = os.path.join(folder, "composite.ppm")
        write_ppm(path, composite(photos))
        inputs.append({"name": "composite", "path": path})
    return inputs
