"""``refkmeans elbow [IMAGE] -o elbow.svg``: inertia against k, to choose the number of colours.

One k-means run per k (default 2..32, kmeans++ starts) on a deterministic
sample of the image (default 2048 pixels, every s-th row and column), then
an SVG line plot with the elbow marked, and a table on standard output.
Without IMAGE it uses the built-in scene.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..codec import DEFAULT_MAX_PIXELS
from ..engine.lloyd import EMPTY_POLICIES
from ..files import write_bytes
from ..kmeans import ENGINES
from ..plugins import get_registry
from ..rng import GENERATORS
from ..teach.elbow import inertia_by_k, parse_ks
from ..teach.sample import thin
from ..teach.svg import elbow_index, elbow_svg
from .source import add_image_argument, add_sample_option, check_output, load_image, require_extension


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("elbow", help=help, description=__doc__)
    add_image_argument(parser)
    parser.add_argument("-o", "--output", help="output SVG (- for standard output); default IMAGE-elbow.svg")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    add_sample_option(parser, 2048)
    group = parser.add_argument_group("k-means")
    group.add_argument("-k", "--ks", dest="ks", default="2..32", help="the ks: 2..32, 2..32:2 or 2,4,8 (default 2..32)")
    group.add_argument("--init", default="kmeans++", help="initializer (default kmeans++, smoother than random)")
    group.add_argument("--seed", type=int, default=0, help="seed for the initializer (default 0)")
    group.add_argument("--rng", default="portable", choices=GENERATORS, help="random generator (default portable)")
    group.add_argument("--metric", default="euclidean", help="distance metric (default euclidean)")
    group.add_argument("--max-iter", type=int, default=300, help="most iterations per run (default 300)")
    group.add_argument("--empty", default="keep", choices=EMPTY_POLICIES, help="empty-cluster policy (default keep)")
    group.add_argument("--engine", default="auto", choices=ENGINES, help="engine (default auto)")
    group.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger images")
    group.add_argument("--quiet", "-q", action="store_true", help="no table and no progress")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    ks = parse_ks(args.ks)
    image, name, stem = load_image(args, registry)
    output = args.output or f"{stem}-elbow.svg"
    require_extension(output, (".svg",), "elbow")
    check_output(args, output)
    small, stride = thin(image, args.sample)
    started = time.monotonic()

    def progress(k: int, result: object) -> None:
        if not args.quiet and time.monotonic() - started > 1.0:
            print(f"refkmeans: k = {k} done", file=sys.stderr)

    runs = inertia_by_k(
        small.pixels(),
        ks,
        init=args.init,
        seed=args.seed,
        rng=args.rng,
        metric=args.metric,
        max_iter=args.max_iter,
        empty=args.empty,
        engine=args.engine,
        registry=registry,
        progress=progress,
    )
    done = [k for k, _ in runs]
    inertias = [r.inertia for _, r in runs]
    thinned = f", thinned to {small.width}x{small.height}" if stride > 1 else ""
    svg = elbow_svg(done, inertias, title=f"Inertia against k: {_short(name)}{thinned}")
    size = write_bytes(output, svg.encode("utf-8"), args.force)
    if args.quiet:
        return 0
    stream = sys.stderr if output == "-" else sys.stdout
    elbow = elbow_index(done, inertias)
    if args.json:
        rows = [
            {"k": k, "inertia": r.inertia, "inertia_exact": str(r.inertia_exact), "iterations": r.iterations,
             "converged": r.converged}
            for k, r in runs
        ]
        print(json.dumps({"pixels": small.pixel_count, "elbow": None if elbow is None else done[elbow], "runs": rows}),
              file=stream)
        return 0
    print(f"image       {name}, {image.width}x{image.height}{thinned} ({small.pixel_count} pixels)", file=stream)
    print("   k       inertia  per pixel  iterations", file=stream)
    for k, r in runs:
        mark = "  <- elbow?" if elbow is not None and k == done[elbow] else ""
        state = "" if r.converged else " (max)"
        print(f"{k:4d} {r.inertia:13.6g} {r.inertia / small.pixel_count:10.4g}  {r.iterations:6d}{state}{mark}",
              file=stream)
    skipped = sorted(set(ks) - set(done))
    if skipped:
        print(f"skipped     k = {', '.join(map(str, skipped))}: more than the distinct colours", file=stream)
    if output != "-":
        print(f"wrote       {output} ({size} bytes)", file=stream)
    return 0


def _short(name: str) -> str:
    if len(name) <= 40:
        return name
    return "..." + name[-37:]



