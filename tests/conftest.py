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
from hypothesis import HealthCheck, settings

from refkmeans.plugins import reset_registry

# Hypothesis times examples (a 200 ms deadline) and their generation (the too_slow
# health check); on a busy machine either fails a correct test, so neither applies.
settings.register_profile("unhurried", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("unhurried")


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """A test that changes which plugins load (environment, entry points) starts and ends with no shared registry."""
    reset_registry()
    yield
    reset_registry()
