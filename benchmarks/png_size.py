"""PNG file sizes for the same palette and indices: refkmeans-png against Pillow and pngquant.

Run:  python benchmarks/png_size.py [--json out.json] [--snowman PATH]

For each picture and k, the image is quantized once with refkmeans; then

* refkmeans-png writes it (``encode_png`` with the palette and indices);
* Pillow writes the same indices and palette as a P-mode image, with its
  default settings and with ``optimize=True``;
* pngquant (when installed) re-encodes a truecolour copy with
  ``--nofs --speed 1 --strip`` and as many colours as the palette has; its
  output is decoded to check that it kept every pixel (it may reorder the
  palette).

Every file is decoded again and compared with the quantized image, so a
size is only reported for an exact result.  Sizes are bytes; the ratio is
against refkmeans-png; times are wall-clock seconds for encoding.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from typing import Any, Dict, List, Optional

from PIL import Image as PILImage
from refkmeans_png import decode_png, encode_png

from refkmeans import quantize, read
from refkmeans.quantize import Quantized
from refkmeans.scene import scene

SNOWMAN = "/work/shared/images/snowman.ppm"


def pillow_png(q: Quantized, **options: Any) -> bytes:
    picture = PILImage.frombytes("P", (q.image.width, q.image.height), bytes(q.indices))
    picture.putpalette([v for colour in q.palette for v in colour])
    out = io.BytesIO()
    picture.save(out, "PNG", **options)
    return out.getvalue()


def pngquant_png(q: Quantized) -> Optional[bytes]:
    tool = shutil.which("pngquant")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source, target = os.path.join(folder, "in.png"), os.path.join(folder, "out.png")
        with open(source, "wb") as f:
            f.write(encode_png(q.image, colour_type=2))
        colours = max(2, len(set(q.image.iter_pixels())))
        subprocess.run([tool, "--force", "--nofs", "--speed", "1", "--strip", "--output", target, str(colours), source], check=True)
        with open(target, "rb") as f:
            return f.read()


def measure(label: str, q: Quantized) -> List[Dict[str, Any]]:
    rows = []
    writers = [
        ("refkmeans-png", lambda: encode_png(q.image, palette=q.palette, indices=q.indices)),
        ("Pillow", lambda: pillow_png(q)),
        ("Pillow optimize", lambda: pillow_png(q, optimize=True)),
        ("pngquant", lambda: pngquant_png(q)),
    ]
    ours = None
    for name, write in writers:
        start = time.perf_counter()
        data = write()
        seconds = time.perf_counter() - start
        if data is None:
            continue
        exact = decode_png(data).pixels() == q.image.pixels()
        if ours is None:
            ours = len(data)
        rows.append(
            {
                "picture": label,
                "colours": len(q.palette),
                "writer": name,
                "bytes": len(data),
                "bits_per_pixel": round(8 * len(data) / q.image.pixel_count, 3),
                "ratio_to_refkmeans": round(len(data) / ours, 3),
                "exact": exact,
                "seconds": round(seconds, 3),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--snowman", default=SNOWMAN, help="the notebook's photo, if present")
    args = parser.parse_args()
    pictures = [("scene 240x160", scene(240, 160))]
    if os.path.exists(args.snowman):
        pictures.append(("snowman", read(args.snowman)))
    rows: List[Dict[str, Any]] = []
    for label, image in pictures:
        for k in (2, 16, 64):
            q = quantize(image, k=k, init="kmeans++", seed=1, engine="auto")
            rows.extend(measure(label, q))
    header = f"{'picture':<15}{'k':>4}  {'writer':<17}{'bytes':>8}{'bits/px':>9}{'ratio':>7}{'exact':>7}{'seconds':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['picture']:<15}{row['colours']:>4}  {row['writer']:<17}{row['bytes']:>8}{row['bits_per_pixel']:>9.3f}"
            f"{row['ratio_to_refkmeans']:>7.3f}{'yes' if row['exact'] else 'NO':>7}{row['seconds']:>9.3f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
