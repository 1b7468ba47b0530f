"""What every test module here shares: fixtures, and where the helper modules come from.

The helper modules (``oracle.py``, ``pngtools.py``, ``corpus/``, ``fuzz/``) are
plain modules imported by name (``from oracle import oracle_kmeans``):
``pythonpath = ["tests"]`` in pyproject.toml puts this folder on ``sys.path``
for the whole run, whatever pytest's import mode, so the first-party plugins'
own tests (``plugins/<name>/tests/``) import them the same way.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from refkmeans.plugins import reset_registry


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """A test that changes which plugins load (environment, entry points) starts and ends with no shared registry."""
    reset_registry()
    yield
    reset_registry()
