"""``refkmeans palette IN... -k N -o palette.{gpl,json,png}``: one palette for many images.

Clusters the union histogram of every image of every input (SPEC.md
KM-COL-*): the palette equals ``quantize``'s on the inputs put end to end.
``quantize X --palette FILE`` then maps each image onto it.
"""

from __future__ import annotations

import argparse
import math
import sys

from ..collection import collection_palette, read_collection
from ..palette_out import check_palette_output, write_palette
from ..plugins import get_registry
from ..quantize import DEFAULT_INIT
from .options import add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import _hex
from .source import change_default


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("palette", help=help, description=__doc__)
    parser.add_argument("inputs", nargs="+", metavar="IN", help="input images; every image of a multi-image file counts")
    parser.add_argument(
        "-o", "--output", required=True, help="palette file: .gpl (GIMP, 8-bit RGB), .json, or an image (.ppm, .png ...)"
    )
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="count the inputs' colours in N processes (same answer)"
    )
    add_kmeans_options(parser)
    change_default(
        parser, "init", DEFAULT_INIT, f"initializer: {DEFAULT_INIT} (default, as quantize), kmeans++, or a plugin's"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    plugins = not args.no_plugins
    registry = get_registry(plugins)
    check_palette_output(args.output, args.force, registry)  # fail before the work, not after
    collection = read_collection(
        args.inputs, jobs=args.jobs, max_pixels=args.max_pixels, registry=registry if args.jobs == 1 else None, plugins=plugins
    )
    progress = Progress(args.max_iter, enabled=not args.quiet)
    try:
        found = collection_palette(collection, k=args.k, progress=progress, registry=registry, **kmeans_kwargs(args))
    finally:
        progress.done()
    kind = collection.kind
    size = write_palette(args.output, found.palette, kind.maxval, tupltype=kind.tupltype, force=args.force, registry=registry)
    if not args.quiet:
        stream = sys.stderr if args.output == "-" else sys.stdout
        result = found.result
        pixels = collection.pixel_count
        psnr = found.psnr()
        state = "converged" if result.converged else "stopped at --max-iter"
        print(f"inputs      {len(collection.parts)} file(s), {collection.frame_count} image(s), {pixels} pixels, {kind}", file=stream)
        print(f"colours     {len(collection.histogram)} -> {len(found.palette)}", file=stream)
        print(f"iterations  {result.iterations} ({state})", file=stream)
        print(f"PSNR        {'inf' if math.isinf(psnr) else f'{psnr:.2f}'} dB over every image", file=stream)
        print("palette     " + " ".join(_hex(c, kind.maxval) for c in found.palette), file=stream)
        print(f"wrote       {args.output} ({size} bytes)", file=stream)
    return 0
