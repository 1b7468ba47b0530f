"""JSON from outside (files, other programs), parsed so that every bad document is a ValueError.

``json.loads`` raises RecursionError, not ValueError, on deeply nested input
(``[[[[...]]]]`` a hundred thousand deep, a few hundred kilobytes); a reader
that turns ValueError into a one-line error would let that through as an
internal error.  Every reader of outside JSON calls :func:`loads`.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str) -> Any:
    """``json.loads``, with nesting too deep for the parser reported as a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None
