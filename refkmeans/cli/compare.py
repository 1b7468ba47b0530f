"""``refkmeans compare [IMAGE] -o compare.png``: the original beside its quantized version.

Quantizes IMAGE (the k-means options are those of ``quantize``) and draws a
before/after picture with the palette under the result, each colour as wide
as its share of the pixels.  ``--after FILE`` compares with an image you
already have instead of quantizing.  The picture is written by the codec
for its extension; .png is always available.  Without IMAGE it uses the
built-in scene.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from ..errors import UsageError
from ..files import codec_for_path, encode, read, write_bytes
from ..plugins import get_registry
from ..quantize import DEFAULT_INIT, psnr, quantize
from ..teach.compare import before_after
from ..teach.png import encode_png
from .options import QUANTIZE_START, add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import report_lines
from .source import add_image_argument, check_output, load_image


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("compare", help=help, description=__doc__.replace("``", ""))
    add_image_argument(parser)
    parser.add_argument("-o", "--output", help="output picture (- for standard output); default IMAGE-kK-compare.png")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument("--after", help="compare with this image instead of quantizing")
    add_kmeans_options(parser, DEFAULT_INIT, QUANTIZE_START)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    image, name, stem = load_image(args, registry)
    suffix = "after" if args.after else f"k{args.k}"
    output = args.output or f"{stem}-{suffix}-compare.png"
    extension = ".png" if output == "-" else os.path.splitext(output)[1].lower()
    codec = None  # PNG without a PNG codec: the small writer of refkmeans.teach.png
    if extension != ".png" or registry.codec_for_extension(".png") is not None:
        codec = codec_for_path("out.png" if output == "-" else output, registry)
    check_output(args, output)
    if args.after:
        after = read(args.after, max_pixels=args.max_pixels, registry=registry)
        if (after.width, after.height, after.channels, after.maxval) != (
            image.width, image.height, image.channels, image.maxval,
        ):
            raise UsageError(
                f"{args.after} is {after.width}x{after.height}x{after.channels} (maxval {after.maxval}); "
                f"{name} is {image.width}x{image.height}x{image.channels} (maxval {image.maxval})"
            )
        counts = Counter(after.iter_pixels())
        palette = list(counts)
        picture = before_after(image, after, palette, [counts[c] for c in palette], psnr=psnr(image, after))
        lines = [f"compared    {name} with {args.after}: {len(palette)} colours, PSNR {psnr(image, after):.2f} dB"]
    else:
        progress = Progress(args.max_iter, enabled=not args.quiet)
        q = quantize(image, k=args.k, progress=progress, registry=registry, **kmeans_kwargs(args))
        progress.done()
        picture = before_after(image, q.image, q.palette, q.result.counts, psnr=q.psnr())
        lines = report_lines(q)
    data = encode(picture, codec) if codec is not None else encode_png(picture)
    size = write_bytes(output, data, args.force)
    if not args.quiet:
        stream = sys.stderr if output == "-" else sys.stdout
        for line in lines:
            print(line, file=stream)
        if output != "-":
            print(f"wrote       {output} ({size} bytes)", file=stream)
    return 0
