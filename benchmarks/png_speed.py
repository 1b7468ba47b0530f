"""PNG decode and encode speed: refkmeans-png (pure Python) against pypng (pure Python) and Pillow (C).

Run:  python benchmarks/png_speed.py [--json out.json] [--repeat N]

Each file is decoded by all three in the same run and every result is
checked sample for sample against ours; times are the best of ``--repeat``
runs, and the ratio is the peer's time over ours (below 1: the peer is
faster).  Files: the built-in scene as truecolour (adaptive filters) and as
a 16-colour 4-bit indexed image, Adam7 versions of both, and a Pillow-written
truecolour file (Pillow's own filter choice).
"""

from __future__ import annotations

import argparse
import io
import json
import time
from typing import Any, Callable, Dict, List

import png
from PIL import Image as PILImage
from refkmeans_png import decode_png, encode_png

from refkmeans import quantize
from refkmeans.scene import scene


def best_time(repeat: int, action: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def pypng_decode(data: bytes) -> List[int]:
    _, _, rows, _ = png.Reader(bytes=data).asDirect()
    return [v for row in rows for v in row]


def pillow_decode(data: bytes) -> List[int]:
    picture = PILImage.open(io.BytesIO(data))
    return list(picture.convert("RGB").tobytes())


def pillow_encode(flat: bytes, width: int, height: int) -> None:
    PILImage.frombytes("RGB", (width, height), flat).save(io.BytesIO(), "PNG", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    image = scene(480, 320)
    q = quantize(scene(480, 320), k=16, init="kmeans++", seed=1)
    picture = PILImage.frombytes("RGB", (image.width, image.height), bytes(image.samples))
    pillow_file = io.BytesIO()
    picture.save(pillow_file, "PNG")
    files: Dict[str, bytes] = {
        "truecolour": encode_png(image, colour_type=2),
        "truecolour Adam7": encode_png(image, colour_type=2, interlace=True),
        "indexed 4-bit": encode_png(q.image, palette=q.palette, indices=q.indices),
        "indexed 4-bit Adam7": encode_png(q.image, palette=q.palette, indices=q.indices, interlace=True),
        "Pillow-written truecolour": pillow_file.getvalue(),
    }
    rows = []
    for name, data in files.items():
        ours = list(decode_png(data).samples)
        assert pypng_decode(data) == ours and pillow_decode(data) == ours, name
        mine = best_time(args.repeat, decode_png, data)
        for peer, decode in (("pypng", pypng_decode), ("Pillow", pillow_decode)):
            theirs = best_time(args.repeat, decode, data)
            rows.append({"task": "decode", "file": name, "peer": peer, "ours_s": round(mine, 4), "peer_s": round(theirs, 4), "ratio": round(theirs / mine, 3)})
    for name, source, kwargs in (("truecolour", image, {"colour_type": 2}), ("indexed 4-bit", q.image, {"palette": q.palette, "indices": q.indices})):
        mine = best_time(args.repeat, encode_png, source, **kwargs)
        flat = bytes(source.samples)
        writer = png.Writer(source.width, source.height, greyscale=False)
        pypng_rows = [flat[r * source.width * 3 : (r + 1) * source.width * 3] for r in range(source.height)]
        theirs = best_time(args.repeat, writer.write, io.BytesIO(), pypng_rows)
        rows.append({"task": "encode", "file": name, "peer": "pypng (truecolour, no filter choice)", "ours_s": round(mine, 4), "peer_s": round(theirs, 4), "ratio": round(theirs / mine, 3)})
        theirs = best_time(args.repeat, pillow_encode, flat, source.width, source.height)
        rows.append({"task": "encode", "file": name, "peer": "Pillow optimize", "ours_s": round(mine, 4), "peer_s": round(theirs, 4), "ratio": round(theirs / mine, 3)})
    header = f"{'task':<7}{'file':<27}{'peer':<38}{'ours s':>9}{'peer s':>9}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['task']:<7}{row['file']:<27}{row['peer']:<38}{row['ours_s']:>9.4f}{row['peer_s']:>9.4f}{row['ratio']:>8.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
