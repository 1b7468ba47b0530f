"""``refkmeans animate [IMAGE] -o out.gif``: a GIF with one frame per k-means iteration.

Each frame shows the image repainted with that iteration's centroids beside
a scatter of the pixels in a 2-D projection of colour space, with the
centroids and the moves the update makes.  Without IMAGE it animates the
built-in scene.  A photo is thinned to --sample pixels first (every s-th
row and column) and the scatter draws at most --points of them, evenly
spread, so the result is deterministic and quick.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..files import write_bytes
from ..plugins import get_registry
from ..teach.animate import animation, check_k
from ..teach.sample import thin
from .options import TEACHING_START, add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .source import add_image_argument, add_sample_option, check_output, load_image, require_extension


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("animate", help=help, description=__doc__.replace("``", ""))
    add_image_argument(parser)
    parser.add_argument("-o", "--output", help="output GIF (- for standard output); default IMAGE-kK-animation.gif")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument(
        "--axes", help="projection: two channels (R,G  G,B  0,2 ...) or 'opponent' (default R,G; the diagonal for grey)"
    )
    parser.add_argument("--points", type=int, default=4000, help="most pixels drawn in the scatter (default 4000)")
    parser.add_argument("--delay", type=int, default=60, help="hundredths of a second per frame (default 60)")
    add_sample_option(parser, 8192)
    add_kmeans_options(parser, "random", TEACHING_START)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    if args.points < 1 or args.delay < 0 or args.delay > 65535:
        raise UsageError("--points must be at least 1 and --delay within 0..65535")
    check_k(args.k)
    image, name, stem = load_image(args, registry)
    output = args.output or f"{stem}-k{args.k}-animation.gif"
    require_extension(output, (".gif",), "animate")
    check_output(args, output)
    small, stride = thin(image, args.sample)
    from ..kmeans import kmeans

    progress = Progress(args.max_iter, enabled=not args.quiet)
    result = kmeans(
        small.pixels(), k=args.k, trace=True, trace_labels=True, progress=progress, registry=registry,
        **kmeans_kwargs(args),
    )
    progress.done()
    data = animation(small, result, axes=args.axes, points=args.points, delay=args.delay)
    size = write_bytes(output, data, args.force)
    if not args.quiet:
        stream = sys.stderr if output == "-" else sys.stdout
        frames = result.iterations + (0 if result.converged else 1)
        thinned = f", thinned to {small.width}x{small.height}" if stride > 1 else ""
        print(f"image       {name}, {image.width}x{image.height}{thinned}", file=stream)
        state = "converged" if result.converged else "stopped at --max-iter"
        print(f"iterations  {result.iterations} ({state}), {frames} frames", file=stream)
        if output != "-":
            print(f"wrote       {output} ({size} bytes)", file=stream)
    return 0
