"""``refkmeans quantize IN [-o OUT]``: reduce an image to k colours."""

from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction

from ..dither import METHODS, dithered, parse_strength
from ..errors import UsageError
from ..files import (
    check_encodable,
    check_not_input,
    check_writable,
    codec_for_path,
    file_size,
    names_a_stream,
    read,
    write,
)
from ..palette_file import read_palette
from ..plugins import get_registry
from ..quantize import DEFAULT_INIT, PROFILES, quantize, with_defaults
from ..trace import TraceRecorder
from .options import add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import report_lines


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("quantize", help=help, description=__doc__)
    parser.add_argument("input", help="input image (- for standard input)")
    parser.add_argument("-o", "--output", help="output file (- for standard output); default IN-kK.EXT")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument("--format", help="output codec (default: from the output's extension)")
    parser.add_argument("--plain", action="store_true", help="write the plain (text) variant where there is one")
    parser.add_argument("--index", type=int, default=0, help="which image of a multi-image file (default 0)")
    parser.add_argument("--trace", metavar="FILE.jsonl", help="record every iteration as JSON Lines (SPEC.md KM-TRACE-*)")
    add_kmeans_options(parser)
    for action in parser._actions:
        if action.dest in PROFILES["default"]:
            action.default = None  # filled from --profile (default: the default profile) in run()
        if action.dest == "init":
            action.help = f"initializer: {DEFAULT_INIT} (default; best of several k-means++), random, kmeans++, first, or a plugin's"
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="a named set of --init/--max-iter/--rng/--seed; options given explicitly win. "
        "notebook = --init random --rng numpy-legacy --seed 0 --max-iter 11",
    )
    stage = parser.add_argument_group("palette and dithering (an output stage after k-means)")
    stage.add_argument(
        "--palette",
        metavar="FILE",
        help="map onto this fixed palette instead of running k-means: an image (its colours), "
        "JSON, a GIMP palette or a text list; -k and --init are then ignored",
    )
    stage.add_argument(
        "--dither", default="none", choices=METHODS, help="error diffusion onto the palette (default none: k-means labels)"
    )
    stage.add_argument(
        "--dither-strength", default="1", metavar="S", help="share of the error diffused, 0..1, exact (default 1)"
    )
    parser.set_defaults(run=run)


def default_output(input_path: str, k: int) -> str:
    """IN-kK.EXT beside the input (stdin or a device gives quantized-kK.ppm)."""
    if names_a_stream(input_path):
        return f"quantized-k{k}.ppm"
    stem, ext = os.path.splitext(input_path)
    return f"{stem}-k{k}{ext or '.ppm'}"


def mapped_output(input_path: str) -> str:
    """IN-mapped.EXT beside the input, for --palette (stdin or a device gives mapped.ppm)."""
    if names_a_stream(input_path):
        return "mapped.ppm"
    stem, ext = os.path.splitext(input_path)
    return f"{stem}-mapped{ext or '.ppm'}"


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    output = args.output or (mapped_output(args.input) if args.palette else default_output(args.input, args.k))
    if output != "-":
        same = args.input != "-" and os.path.exists(args.input) and os.path.exists(output)
        if same and os.path.samefile(args.input, output):
            raise UsageError(f"output {output} is the input; choose another -o")
    check_not_input(output, input=args.input, palette=args.palette)
    check_not_input(args.trace, palette=args.palette)
    if output != "-":
        check_writable(output, args.force)
        codec_for_path(output, registry, args.format)  # fail before the work, not after
    strength = parse_strength(args.dither_strength)  # a bad value fails before the work
    recorder = TraceRecorder(args.trace, args.force, output=output, source=args.input)
    image = read(args.input, index=args.index, max_pixels=args.max_pixels, registry=registry)
    check_encodable(output, image, registry, args.format, args.plain)  # the format holds it: fail before the work
    _check_metric_fits(registry.metric(args.metric), image.channels, image.maxval)
    _apply_profile(args)
    options = kmeans_kwargs(args)
    if args.palette:
        # A fixed palette is k-means with given centroids and no iterations (KM-MAP-1).
        palette = read_palette(args.palette, channels=image.channels, maxval=image.maxval, max_pixels=args.max_pixels, registry=registry)
        options.update(init=palette, max_iter=0)
    with_defaults(options)  # quantize's own defaults, here so that a trace records them
    if isinstance(options.get("tol"), Fraction):
        options["tol"] = str(options["tol"])
    progress = Progress(args.max_iter, enabled=not args.quiet, tol=options.get("tol"))
    try:
        with recorder.recording(progress, image, source=args.input, k=args.k, **options) as callback:
            q = quantize(image, k=args.k, progress=callback, registry=registry, **options)
    finally:
        progress.done()
    q = dithered(q, args.dither, strength, registry.metric(args.metric))
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
    recorder.finish(q.result)  # after the output: no trace of a run whose output failed
    if not args.quiet:
        stream = sys.stderr if "-" in (output, args.trace) else sys.stdout
        in_bytes = file_size(args.input)
        for line in report_lines(q, in_bytes, size):
            if args.palette and line.startswith("iterations"):
                line = f"iterations  0 (fixed palette of {len(q.palette)} colours from {args.palette})"
            print(line, file=stream)
        if args.dither != "none":
            print(f"dither      {args.dither}, strength {strength}", file=stream)
        if output != "-":
            print(f"wrote       {output}", file=stream)
    return 0


def _apply_profile(args: argparse.Namespace) -> None:
    """Fill --init/--max-iter/--rng/--seed from --profile where the command line did not set them."""
    for key, value in PROFILES[args.profile or "default"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)


def _check_metric_fits(metric: object, channels: int, maxval: int) -> None:
    """Refuse a metric that declares the images it is defined for (say 8-bit RGB) on another image."""
    wanted_channels = getattr(metric, "channels", None)
    wanted_maxval = getattr(metric, "maxval", None)
    name = getattr(metric, "name", "?")
    if wanted_channels is not None and wanted_channels != channels:
        raise UsageError(f"metric {name} is defined for {wanted_channels}-channel images, this one has {channels}")
    if wanted_maxval is not None and wanted_maxval != maxval:
        raise UsageError(f"metric {name} is defined for maxval {wanted_maxval} (8-bit sRGB), this image has maxval {maxval}")
