"""What the teaching commands share: the image to work on (a file or the built-in scene) and their outputs."""

from __future__ import annotations

import argparse
import os
from functools import lru_cache
from typing import Any, Optional, Tuple

from ..errors import UsageError
from ..files import check_writable, names_a_stream, read
from ..image import Image
from ..plugins import Registry
from ..scene import scene


def add_image_argument(parser: argparse.ArgumentParser) -> None:
    """IMAGE (optional: the built-in scene) and --index."""
    parser.add_argument("image", nargs="?", help="input image (- for standard input; default: the built-in scene)")
    parser.add_argument("--index", type=int, default=0, help="which image of a multi-image file (default 0)")


def add_sample_option(parser: argparse.ArgumentParser, default: int) -> None:
    """--sample N: thin the image to at most N pixels (every s-th row and column)."""
    parser.add_argument(
        "--sample",
        type=int,
        default=default,
        metavar="N",
        help=f"thin the image to at most N pixels, every s-th row and column (default {default}; 0 keeps all)",
    )


def change_default(parser: argparse.ArgumentParser, dest: str, value: Any, help: str) -> None:
    """Give a shared option another default (and say so in its help)."""
    for action in parser._actions:
        if action.dest == dest:
            action.default = value
            action.help = help
    parser.set_defaults(**{dest: value})


@lru_cache(maxsize=1)
def default_scene() -> Image:
    """The built-in scene at its default size (drawn once per process; nothing changes an Image)."""
    return scene()


def load_image(args: argparse.Namespace, registry: Registry) -> Tuple[Image, str, str]:
    """The image, a name for it in messages, and a stem for default output names."""
    if args.image is None:
        return default_scene(), "the built-in scene", "scene"
    image = read(args.image, index=args.index, max_pixels=args.max_pixels, registry=registry)
    if names_a_stream(args.image):
        return image, "standard input" if args.image == "-" else args.image, "stdin"
    return image, args.image, os.path.splitext(args.image)[0]


def check_output(args: argparse.Namespace, output: str) -> None:
    """Refuse to overwrite the input, or an existing file without --force; before any work."""
    if output == "-":
        return
    image = getattr(args, "image", None)
    if image not in (None, "-") and os.path.exists(image) and os.path.exists(output) and os.path.samefile(image, output):
        raise UsageError(f"output {output} is the input; choose another -o")
    check_writable(output, args.force)


def require_extension(path: str, extensions: Tuple[str, ...], what: str, hint: Optional[str] = None) -> None:
    """A usage error unless ``path`` is ``-`` or ends with one of ``extensions``."""
    if path != "-" and os.path.splitext(path)[1].lower() not in extensions:
        raise UsageError(f"{what} writes {' or '.join(extensions)} files; got {path!r}" + (f" ({hint})" if hint else ""))
