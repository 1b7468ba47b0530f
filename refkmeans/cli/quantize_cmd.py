"""``refkmeans quantize IN [-o OUT]``: reduce an image to k colours."""

from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from typing import Optional

from ..dither import DEFAULT_METHOD, METHODS, dithered, parse_strength
from ..errors import UsageError
from ..files import (
    SNIFF_BYTES,
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
from ..plugins import Registry, get_registry
from ..quantize import DEFAULT_INIT, PROFILES, quantize, with_defaults
from ..trace import TraceRecorder
from .options import QUANTIZE_START, add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import file_lines, report_lines


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("quantize", help=help, description=__doc__.replace("``", ""))
    parser.add_argument("input", help="input image (- for standard input)")
    parser.add_argument("-o", "--output", help="output file (- for standard output); default IN-kK.EXT")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing output file")
    parser.add_argument("--format", help="output codec (default: from the output's extension)")
    parser.add_argument("--plain", action="store_true", help="write the plain (text) variant where there is one")
    parser.add_argument("--index", type=int, default=0, help="which image of a multi-image file (default 0)")
    parser.add_argument("--trace", metavar="FILE.jsonl", help="record every iteration as JSON Lines (SPEC.md KM-TRACE-*)")
    add_kmeans_options(parser, DEFAULT_INIT, QUANTIZE_START)
    for action in parser._actions:
        if action.dest in PROFILES["default"]:
            action.default = None  # filled from --profile (default: the default profile) in run()
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
        "--dither",
        nargs="?",
        const=DEFAULT_METHOD,
        default="none",
        choices=METHODS,
        help=f"error diffusion onto the palette (default none: k-means labels; --dither alone is {DEFAULT_METHOD}: "
        "serpentine Floyd-Steinberg with the carried error limited, no specks in smooth areas)",
    )
    stage.add_argument(
        "--dither-strength", default="1", metavar="S", help="share of the error diffused, 0..1, exact (default 1)"
    )
    parser.set_defaults(run=run)


def default_output(input_path: str, k: int, extension: Optional[str] = None) -> str:
    """IN-kK.EXT beside the input (stdin or a device gives quantized-kK.ppm); ``extension`` replaces EXT."""
    return _beside(input_path, f"-k{k}", f"quantized-k{k}.ppm", extension)


def mapped_output(input_path: str, extension: Optional[str] = None) -> str:
    """IN-mapped.EXT beside the input, for --palette (stdin or a device gives mapped.ppm)."""
    return _beside(input_path, "-mapped", "mapped.ppm", extension)


def _beside(input_path: str, suffix: str, stream_name: str, extension: Optional[str]) -> str:
    if names_a_stream(input_path):
        return stream_name
    stem, ext = os.path.splitext(input_path)
    return f"{stem}{suffix}{extension or ext or '.ppm'}"


def lossy_head(head: bytes) -> bool:
    """True for a JPEG or a lossy WebP (its first chunk VP8, or VP8X with a VP8 chunk in these bytes).

    Writing the palette back in such a format would add colours the palette
    does not have, so the default output is PNG (README, "Using it").
    """
    if head.startswith(b"\xff\xd8\xff"):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return head[12:16] == b"VP8 " or (head[12:16] == b"VP8X" and b"VP8 " in head[16:])
    return False


def _check_input_head(args: argparse.Namespace, registry: Registry) -> bool:
    """Refuse an input no codec recognises (through read()'s own error) and say whether it is lossy.

    Only a regular file is looked at here: a stream is read once, later.
    """
    if not os.path.isfile(args.input):
        return False
    try:
        with open(args.input, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False  # read() below reports it
    if registry.codec_for_data(head) is None:
        read(args.input, index=args.index, max_pixels=args.max_pixels, registry=registry)  # raises, naming a plugin
    return lossy_head(head)


def _format_name(name: Optional[str], registry: Registry) -> Optional[str]:
    """``--format jpeg`` names ``pillow-jpeg`` when no codec is called ``jpeg`` (and ``jpg`` too)."""
    if name is None or name in registry.codecs:
        return name
    short = {"jpg": "jpeg", "tif": "tiff"}.get(name.lower(), name.lower())
    return f"pillow-{short}" if f"pillow-{short}" in registry.codecs else name


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    args.format = _format_name(args.format, registry)
    lossy_input = _check_input_head(args, registry)  # the input's problem is reported before the output's
    extension = ".png" if lossy_input else None
    output = args.output or (
        mapped_output(args.input, extension) if args.palette else default_output(args.input, args.k, extension)
    )
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
    if args.output not in (None, "-"):  # a name the user chose, not the default quantized-kK.ppm
        _check_extension_fits(output, codec_for_path(output, registry, args.format).name, image.channels)
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
        fixed = args.palette if args.palette else None
        for line in report_lines(q, in_bytes, size, dither=args.dither, palette_file=fixed):
            print(line, file=stream)
        if args.dither != "none":
            print(f"dither      {args.dither}, strength {strength}", file=stream)
        if output != "-":
            for line in file_lines(q, output, codec_for_path(output, registry, args.format), registry, args.max_pixels):
                print(line, file=stream)
            print(f"wrote       {output}", file=stream)
    return 0


def _apply_profile(args: argparse.Namespace) -> None:
    """Fill --init/--max-iter/--rng/--seed from --profile where the command line did not set them."""
    for key, value in PROFILES[args.profile or "default"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)


#: Netpbm extensions that name one variant, and the channels it holds (.pnm and .pam hold any).
_NETPBM_CHANNELS = {".pbm": (1, "PBM", "black and white"), ".pgm": (1, "PGM", "greyscale"), ".ppm": (3, "PPM", "RGB")}


def _check_extension_fits(output: str, codec: str, channels: int) -> None:
    """Refuse ``-o x.pgm`` for a colour image: the netpbm codec would write another variant under that name."""
    wanted = _NETPBM_CHANNELS.get(os.path.splitext(output)[1].lower())
    if codec == "netpbm" and wanted is not None and wanted[0] != channels:
        raise UsageError(
            f"{output}: {wanted[1]} holds {wanted[2]} images, this one has {channels} channel(s); "
            "use .pnm or .pam (any channels), or the extension of its variant"
        )


def _check_metric_fits(metric: object, channels: int, maxval: int) -> None:
    """Refuse a metric that declares the images it is defined for (say 8-bit RGB) on another image."""
    wanted_channels = getattr(metric, "channels", None)
    wanted_maxval = getattr(metric, "maxval", None)
    name = getattr(metric, "name", "?")
    if wanted_channels is not None and wanted_channels != channels:
        raise UsageError(f"metric {name} is defined for {wanted_channels}-channel images, this one has {channels}")
    if wanted_maxval is not None and wanted_maxval != maxval:
        raise UsageError(f"metric {name} is defined for maxval {wanted_maxval} (8-bit sRGB), this image has maxval {maxval}")
