"""``refkmeans plot TRACE.jsonl -o out.svg``: draw a trace (from ``quantize --trace``) as SVG.

``--kind inertia`` (default) plots inertia against iteration, iterations
with an empty cluster in red; ``--kind palette`` draws the final palette as
swatches with pixel counts.  Any trace in the documented format works,
also one written by another implementation (the inertia plot needs only
``iteration`` and ``inertia`` on each line).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UsageError
from ..files import write_bytes
from ..plugins import get_registry
from ..rational import palette_colour
from ..teach.svg import inertia_svg, palette_svg
from ..trace import TraceError, read_trace
from .source import check_output, require_extension

KINDS = ("inertia", "palette")


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("plot", help=help, description=__doc__)
    parser.add_argument("trace", help="a trace file (JSON Lines; - for standard input)")
    parser.add_argument("--kind", choices=KINDS, default="inertia", help="what to draw (default inertia)")
    parser.add_argument("-o", "--output", help="output SVG (- for standard output); default TRACE-KIND.svg")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    get_registry(not args.no_plugins)
    stem = "trace" if args.trace == "-" else os.path.splitext(args.trace)[0]
    output = args.output or f"{stem}-{args.kind}.svg"
    require_extension(output, (".svg",), "plot")
    if output != "-" and args.trace != "-" and os.path.abspath(output) == os.path.abspath(args.trace):
        raise UsageError(f"output {output} is the input; choose another -o")
    check_output(args, output)
    trace = read_trace(args.trace)
    title = f"{'Trace' if args.trace == '-' else os.path.basename(args.trace)}"
    if args.kind == "inertia":
        if not trace.steps:
            raise TraceError(f"{args.trace}: the trace has no step to plot")
        empty = [step.empty or [] for step in trace.steps]
        svg = inertia_svg(trace.inertias(), empty=empty, title=f"Inertia against iteration: {title}")
    else:
        centroids, counts = trace.final_centroids(), trace.final_counts()
        if centroids is None or counts is None:
            raise TraceError(f"{args.trace}: the trace has no centroids and counts to draw a palette from")
        maxval = trace.run.get("maxval", 255)
        if not isinstance(maxval, int) or not 1 <= maxval <= 65535:
            raise TraceError(f"{args.trace}: maxval {maxval!r} in the run line is not 1..65535")
        palette = [palette_colour(c, maxval) for c in centroids]
        svg = palette_svg(palette, counts, maxval, title=f"Palette: {title}")
    size = write_bytes(output, svg.encode("utf-8"), args.force)
    if output != "-":
        print(f"wrote       {output} ({size} bytes)", file=sys.stdout)
    return 0
