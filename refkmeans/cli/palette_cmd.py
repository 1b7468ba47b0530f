"""``refkmeans palette IN... -k N -o palette.{gpl,json,png}``: one palette for many images.

Clusters the union histogram of every image of every input (SPEC.md
KM-COL-*): the palette equals ``quantize``'s on the inputs put end to end.
``quantize X --palette FILE`` then maps each image onto it.
"""

from __future__ import annotations

import argparse
import math
import sys

from ..animation import DEFAULT_DELAY, check_gif_palette, gif_animation
from ..collection import collection_palette, read_collection
from ..files import write_bytes
from ..palette_out import check_palette_output, write_palette
from ..plugins import get_registry
from ..quantize import DEFAULT_INIT
from .options import add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import hex_colour
from .source import change_default, check_output, require_extension


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
    animation = parser.add_argument_group("an animated GIF on the palette")
    animation.add_argument(
        "--gif", metavar="OUT.gif", help="also write every image, mapped onto the palette, as one animated GIF"
    )
    animation.add_argument(
        "--delay", type=int, default=DEFAULT_DELAY, metavar="CS",
        help=f"delay of a frame not read from a GIF, in 1/100 s (default {DEFAULT_DELAY}); GIF frames keep theirs",
    )
    animation.add_argument(
        "--local-palettes", action="store_true", help="give each frame a table of only the palette colours it uses"
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
    if args.gif is not None:
        require_extension(args.gif, (".gif",), "--gif")
        check_output(args, args.gif)
    collection = read_collection(
        args.inputs, jobs=args.jobs, max_pixels=args.max_pixels, registry=registry if args.jobs == 1 else None, plugins=plugins
    )
    if args.gif is not None:
        check_gif_palette(collection.kind, args.k)  # before clustering, not after
    progress = Progress(args.max_iter, enabled=not args.quiet)
    try:
        found = collection_palette(collection, k=args.k, progress=progress, registry=registry, **kmeans_kwargs(args))
    finally:
        progress.done()
    kind = collection.kind
    animation = None
    if args.gif is not None:  # built before anything is written: a failure leaves no output
        animation = gif_animation(
            collection, found.palette, delay=args.delay, local=args.local_palettes, metric=args.metric,
            max_pixels=args.max_pixels, registry=registry,
        )
    size = write_palette(args.output, found.palette, kind.maxval, tupltype=kind.tupltype, force=args.force, registry=registry)
    if animation is not None:
        write_bytes(args.gif, animation, args.force)
    if not args.quiet:
        stream = sys.stderr if "-" in (args.output, args.gif) else sys.stdout
        result = found.result
        pixels = collection.pixel_count
        psnr = found.psnr()
        state = "converged" if result.converged else "stopped at --max-iter"
        print(f"inputs      {len(collection.parts)} file(s), {collection.frame_count} image(s), {pixels} pixels, {kind}", file=stream)
        print(f"colours     {len(collection.histogram)} -> {len(found.palette)}", file=stream)
        print(f"iterations  {result.iterations} ({state})", file=stream)
        print(f"PSNR        {'inf' if math.isinf(psnr) else f'{psnr:.2f}'} dB over every image", file=stream)
        print("palette     " + " ".join(hex_colour(c, kind.maxval) for c in found.palette), file=stream)
        print(f"wrote       {args.output} ({size} bytes)", file=stream)
        if animation is not None:
            print(f"wrote       {args.gif} ({collection.frame_count} frames, {len(animation)} bytes)", file=stream)
    return 0
