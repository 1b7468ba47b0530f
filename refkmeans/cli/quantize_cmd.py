"""``refkmeans quantize IN [-o OUT]``: reduce an image to k colours."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UsageError
from ..files import check_writable, codec_for_path, read, write
from ..plugins import get_registry
from ..quantize import quantize
from .options import add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import report_lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("quantize", help="reduce an image to k colours", description=__doc__)
    parser.add_argument("input", help="input image (- for standard input)")
    parser.add_argument("-o", "--output", help="output file (- for standard output); default IN-kK.EXT")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument("--format", help="output codec (default: from the output's extension)")
    parser.add_argument("--plain", action="store_true", help="write the plain (text) variant where there is one")
    parser.add_argument("--index", type=int, default=0, help="which image of a multi-image file (default 0)")
    add_kmeans_options(parser)
    parser.set_defaults(run=run)


def default_output(input_path: str, k: int) -> str:
    """IN-kK.EXT beside the input (stdin gives quantized-kK.ppm)."""
    if input_path == "-":
        return f"quantized-k{k}.ppm"
    stem, ext = os.path.splitext(input_path)
    return f"{stem}-k{k}{ext or '.ppm'}"


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    output = args.output or default_output(args.input, args.k)
    if output != "-":
        same = args.input != "-" and os.path.exists(args.input) and os.path.exists(output)
        if same and os.path.samefile(args.input, output):
            raise UsageError(f"output {output} is the input; choose another -o")
        check_writable(output, args.force)
        codec_for_path(output, registry, args.format)  # fail before the work, not after
    image = read(args.input, index=args.index, max_pixels=args.max_pixels, registry=registry)
    progress = Progress(args.max_iter, enabled=not args.quiet)
    try:
        q = quantize(image, k=args.k, progress=progress, registry=registry, **kmeans_kwargs(args))
    finally:
        progress.done()
    size = write(
        output,
        q.image,
        format=args.format,
        palette=q.palette,
        indices=q.indices,
        plain=args.plain,
        force=args.force,
        registry=registry,
    )
    if not args.quiet:
        stream = sys.stderr if output == "-" else sys.stdout
        in_bytes = None if args.input == "-" else os.path.getsize(args.input)
        for line in report_lines(q, in_bytes, size):
            print(line, file=stream)
        if output != "-":
            print(f"wrote       {output}", file=stream)
    return 0
