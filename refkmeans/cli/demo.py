"""``refkmeans demo``: quantize the built-in scene and write before/after files."""

from __future__ import annotations

import argparse
import os

from ..errors import OutputError
from ..files import check_writable, write
from ..plugins import get_registry
from ..quantize import DEFAULT_INIT, quantize
from ..scene import scene
from .options import QUANTIZE_START, add_kmeans_options, kmeans_kwargs
from .progress import Progress
from .report import report_lines


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("demo", help=help, description=__doc__.replace("``", ""))
    parser.add_argument("--out-dir", default="demo-output", help="folder for the files (default demo-output)")
    parser.add_argument("--size", default="240x160", help="scene size WxH (default 240x160)")
    parser.add_argument("--force", "-f", action="store_true", help="replace existing files")
    add_kmeans_options(parser, DEFAULT_INIT, QUANTIZE_START)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    width, height = _size(args.size)
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {args.out_dir}: {exc.strerror or exc}") from None
    before = os.path.join(args.out_dir, "scene.ppm")
    after = os.path.join(args.out_dir, f"scene-k{args.k}.ppm")
    # With a PNG codec installed (refkmeans-png), the demo also shows real compression.
    compressed = os.path.join(args.out_dir, f"scene-k{args.k}.png") if registry.codec_for_extension(".png") else None
    for path in (before, after, compressed):
        if path is not None:
            check_writable(path, args.force)
    image = scene(width, height)
    progress = Progress(args.max_iter, enabled=not args.quiet)
    try:
        q = quantize(image, k=args.k, progress=progress, registry=registry, **kmeans_kwargs(args))
    finally:
        progress.done()
    write(before, image, force=args.force, registry=registry)
    size = write(after, q.image, palette=q.palette, indices=q.indices, force=args.force, registry=registry)
    if compressed is not None:
        size = write(compressed, q.image, palette=q.palette, indices=q.indices, force=args.force, registry=registry)
    if not args.quiet:
        for line in report_lines(q, os.path.getsize(before), size):
            print(line)
        print(f"wrote       {before} (original) and {after} ({args.k} colours)")
        if compressed is not None:
            print(f"wrote       {compressed} ({args.k} colours, indexed PNG; the file size above is this one's)")
    return 0


def _size(text: str) -> tuple:
    from ..errors import UsageError

    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must look like 240x160, got {text!r}") from None
    if not (8 <= w <= 4096 and 8 <= h <= 4096):
        raise UsageError(f"--size must be between 8x8 and 4096x4096, got {text!r}")
    return w, h
