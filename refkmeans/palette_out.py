"""Writing a palette in the formats ``quantize --palette`` reads (refkmeans.palette_file).

By the output's extension:

* ``.gpl``: a GIMP palette (8-bit RGB only, as GIMP palettes are);
* ``.json``: ``{"colours": [[...], ...], "maxval": M}``, exact for any
  channel count and maxval;
* anything a codec writes (``.ppm``, ``.pam``, ``.png`` ...): a k x 1 image
  whose pixels are the colours in order.

Reading any of them back gives the same colours in the same order, repeated
colours dropped after the first (KM-MAP-2).  Files are written atomically.
"""

from __future__ import annotations

import json
import os
from typing import Optional, Sequence, Tuple

from .errors import UsageError
from .files import check_writable, codec_for_path, write, write_bytes
from .image import TUPLTYPES, Image
from .plugins import Registry, get_registry

Colour = Tuple[int, ...]


def gimp_palette(colours: Sequence[Colour], maxval: int, name: str = "refkmeans") -> bytes:
    """The colours as a GIMP palette, one ``R G B #rrggbb`` line each.

    >>> gimp_palette([(255, 0, 16)], 255).decode().splitlines()
    ['GIMP Palette', 'Name: refkmeans', 'Columns: 0', '#', '255   0  16\\t#ff0010']
    """
    if maxval != 255 or any(len(c) != 3 for c in colours):
        channels = len(colours[0]) if colours else 0
        raise UsageError(
            f"a GIMP palette holds 8-bit RGB colours; these have {channels} channel(s) at maxval {maxval} "
            "(write .json, which keeps any channels and maxval)"
        )
    name = " ".join(name.split())  # one line, whatever the caller gave
    lines = ["GIMP Palette", f"Name: {name}", "Columns: 0", "#"]
    lines += [f"{r:3d} {g:3d} {b:3d}\t#{r:02x}{g:02x}{b:02x}" for r, g, b in colours]
    return ("\n".join(lines) + "\n").encode("utf-8")


def json_palette(colours: Sequence[Colour], maxval: int) -> bytes:
    """The colours as JSON: ``{"colours": [[r, g, b], ...], "maxval": M}``.

    >>> json_palette([(1, 2, 3)], 255)
    b'{"colours": [[1, 2, 3]], "maxval": 255}\\n'
    """
    document = {"colours": [list(c) for c in colours], "maxval": maxval}
    return (json.dumps(document) + "\n").encode("ascii")


def palette_image(colours: Sequence[Colour], maxval: int, tupltype: Optional[str] = None) -> Image:
    """A len(colours) x 1 image whose pixels are the colours, in order."""
    channels = len(colours[0])
    return Image(len(colours), 1, channels, maxval, [v for c in colours for v in c], tupltype or TUPLTYPES.get(channels))


def check_palette_output(path: str, force: bool, registry: Optional[Registry] = None) -> None:
    """Refuse, before any work, an output that exists (without force) or whose format is unknown."""
    check_writable(path, force)
    if _extension(path) not in (".gpl", ".json"):
        codec_for_path(path, registry or get_registry())


def write_palette(
    path: str,
    colours: Sequence[Colour],
    maxval: int,
    *,
    tupltype: Optional[str] = None,
    force: bool = False,
    registry: Optional[Registry] = None,
) -> int:
    """Write the palette in the format ``path``'s extension names; returns the byte count."""
    if not colours:
        raise UsageError("a palette needs at least one colour")
    extension = _extension(path)
    if extension == ".gpl":
        return write_bytes(path, gimp_palette(colours, maxval, _stem(path)), force)
    if extension == ".json":
        return write_bytes(path, json_palette(colours, maxval), force)
    return write(path, palette_image(colours, maxval, tupltype), force=force, registry=registry)


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "refkmeans"

