"""A deterministic, diff-friendly JSON layout for the golden vectors.

``json.dumps(indent=...)`` puts every number of a 1,000-pixel label list on
its own line.  Here a container goes on one line when it holds only scalars
(however long) or when its compact form is short; otherwise each item gets
its own line (the outermost container always does).  The output depends only on the value, so regenerating the
vectors is byte-for-byte reproducible.

>>> print(dumps({"id": "a", "pixels": [[0, 1], [2, 3]], "steps": [{"labels": [0, 1]}]}))
{
  "id": "a",
  "pixels": [[0,1],[2,3]],
  "steps": [{"labels":[0,1]}]
}
"""

from __future__ import annotations

import json
from typing import Any

#: Containers whose compact form is at most this long stay on one line.
INLINE_WIDTH = 100


def dumps(value: Any) -> str:
    """``value`` as JSON text in the layout described above (no trailing newline)."""
    return _dump(value, 0)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _dump(value: Any, level: int) -> str:
    if _is_scalar(value):
        return _compact(value)
    items = list(value.values()) if isinstance(value, dict) else value
    compact = _compact(value)
    if not items or all(map(_is_scalar, items)) or (level > 0 and len(compact) <= INLINE_WIDTH):
        return compact
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        lines = [f"{pad}{_compact(k)}: {_dump(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + "\n" + "  " * level + "}"
    lines = [pad + _dump(v, level + 1) for v in value]
    return "[\n" + ",\n".join(lines) + "\n" + "  " * level + "]"
