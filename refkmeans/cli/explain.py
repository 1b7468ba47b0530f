"""``refkmeans explain [IMAGE]``: narrate the first iterations of k-means, pixel by pixel.

For a few pixels it prints every distance to every centroid, the nearest,
and how a tie or near-tie was decided; for one cluster, its pixels, sum,
count and exact mean.  Without IMAGE it explains the built-in scene.
"""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..plugins import get_registry
from ..teach.explain import explain
from .options import TEACHING_START, add_kmeans_options, kmeans_kwargs
from .source import add_image_argument, add_sample_option, change_default, load_image


def _pixel(text: str) -> tuple:
    try:
        x, y = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a pixel is X,Y such as 12,40; got {text!r}") from None
    return x, y


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("explain", help=help, description=__doc__.replace("``", ""))
    add_image_argument(parser)
    parser.add_argument("--iterations", type=int, default=2, help="how many iterations to narrate (default 2)")
    parser.add_argument(
        "--pixel", type=_pixel, action="append", metavar="X,Y", help="a pixel to follow (repeatable; default: 3 chosen)"
    )
    parser.add_argument("--pixels", type=int, default=3, metavar="N", help="how many pixels to choose (default 3)")
    parser.add_argument("--cluster", type=int, help="the cluster whose mean is worked out (default: the smallest)")
    add_sample_option(parser, 4096)
    add_kmeans_options(parser, "random", TEACHING_START)
    change_default(parser, "k", 4, "number of colours (default 4, few enough to read every distance)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    if args.pixels < 1:
        raise UsageError(f"--pixels must be at least 1, got {args.pixels}")
    image, name, _ = load_image(args, registry)
    text = explain(
        image,
        args.k,
        iterations=args.iterations,
        pixels=args.pixel,
        show=args.pixels,
        cluster=args.cluster,
        sample=args.sample,
        source=name,
        registry=registry,
        **kmeans_kwargs(args),
    )
    print(text, end="")
    return 0
