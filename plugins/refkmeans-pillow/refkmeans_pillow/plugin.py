"""The hook that registers the Pillow codecs (imported only when the plugin loads)."""

from __future__ import annotations

from typing import Callable

from refkmeans import hookimpl
from refkmeans.codec import Codec

from .bridge import register_all


@hookimpl
def refkmeans_register_codecs(register: Callable[[Codec], None]) -> None:
    """Register one ``pillow-<format>`` codec per format the installed Pillow knows."""
    register_all(register)
