"""Which first-party plugin handles what the core cannot: the advice added to an error.

With only the core installed, ``photo.jpg`` or ``--metric ciede2000`` would
otherwise meet a bare "unknown" error.  These functions name the plugin that
would handle the format or metric and how to install it, or return ``""``
when none would (or it is installed and the problem is something else).
"""

from __future__ import annotations

import os
from typing import Dict, Tuple

#: First-party plugin distribution -> what it registers (README, "First-party plugins").
PLUGINS: Dict[str, str] = {
    "refkmeans-png": "the png codec",
    "refkmeans-pillow": "JPEG, WebP, TIFF, BMP and every other Pillow format",
    "refkmeans-colour": "the cie76 and ciede2000 metrics",
}

#: Lower-case extension -> (format name, plugin).
_EXTENSIONS: Dict[str, Tuple[str, str]] = {
    ".png": ("PNG", "refkmeans-png"),
    ".jpg": ("JPEG", "refkmeans-pillow"),
    ".jpeg": ("JPEG", "refkmeans-pillow"),
    ".jpe": ("JPEG", "refkmeans-pillow"),
    ".webp": ("WebP", "refkmeans-pillow"),
    ".tif": ("TIFF", "refkmeans-pillow"),
    ".tiff": ("TIFF", "refkmeans-pillow"),
    ".bmp": ("BMP", "refkmeans-pillow"),
}

#: Leading bytes -> (format name, plugin).  WebP is RIFF....WEBP, checked apart.
_SIGNATURES: Tuple[Tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG", "refkmeans-png"),
    (b"\xff\xd8\xff", "JPEG", "refkmeans-pillow"),
    (b"II*\x00", "TIFF", "refkmeans-pillow"),
    (b"MM\x00*", "TIFF", "refkmeans-pillow"),
    (b"BM", "BMP", "refkmeans-pillow"),
)

#: Metric name -> plugin.
_METRICS: Dict[str, str] = {"cie76": "refkmeans-colour", "ciede2000": "refkmeans-colour"}


def install_advice(plugin: str) -> str:
    """How to install a first-party plugin: from a checkout, or by name."""
    return f"install the {plugin} plugin (from a checkout: pip install ./plugins/{plugin}; see README, Installing)"


def for_extension(path: str) -> str:
    """Advice for a file name whose extension no installed codec claims."""
    found = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    return "" if found is None else f"; {found[0]} needs a plugin: {install_advice(found[1])}"


def for_data(head: bytes) -> str:
    """Advice for a file whose first bytes no installed codec recognises."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return f"; it looks like WebP: {install_advice('refkmeans-pillow')}"
    for signature, name, plugin in _SIGNATURES:
        if head.startswith(signature):
            return f"; it looks like {name}: {install_advice(plugin)}"
    return ""


def for_metric(name: str) -> str:
    """Advice for a metric name that is not registered."""
    plugin = _METRICS.get(name.lower())
    return "" if plugin is None else f"; {name} comes from a plugin: {install_advice(plugin)}"
