"""What every test module here shares: fixtures, and where the helper modules come from.

The helper modules (``oracle.py``, ``pngtools.py``, ``corpus/``, ``fuzz/``) are
plain modules imported by name (``from oracle import oracle_kmeans``):
``pythonpath = ["tests"]`` in pyproject.toml puts this folder on ``sys.path``
for the whole run, whatever pytest's import mode, so the first-party plugins'
own tests (``plugins/<name>/tests/``) import them the same way.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from refkmeans.plugins import reset_registry

# Hypothesis times examples (a 200 ms deadline) and their generation (the too_slow
# health check); on a busy machine either fails a correct test, so neither applies.
settings.register_profile("unhurried", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("unhurried")


#: A well-behaved third-party plugin: one metric, ``maximum``.
GOOD_PLUGIN = """
    from fractions import Fraction
    from refkmeans import hookimpl
    from refkmeans.metric import Metric

    class Maximum(Metric):
        name = "maximum"
        def distance(self, a, b):
            return max(abs(x - y) for x, y in zip(a, b))
        def key(self, a, b):
            return max(abs(Fraction(x) - y) for x, y in zip(a, b))

    @hookimpl
    def refkmeans_register_metrics(register):
        register(Maximum())
"""

InstallPlugin = Callable[..., None]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder to put on a child's PYTHONPATH: what ``install_plugin`` installs goes there."""
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


@pytest.fixture
def install_plugin(site: Path) -> InstallPlugin:
    """install_plugin(dist, module, source, version="1.0"): a fake installed distribution
    whose ``refkmeans`` entry point is ``module`` (written from ``source``) in ``site``.
    ``source`` may be omitted for the well-behaved plugin (GOOD_PLUGIN)."""

    def install(dist: str, module: str, source: str = GOOD_PLUGIN, version: str = "1.0") -> None:
        info = site / f"{dist}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[refkmeans]\n{dist} = {module}\n")
        (site / f"{module}.py").write_text(textwrap.dedent(source))

    return install


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """A test that changes which plugins load (environment, entry points) starts and ends with no shared registry."""
    reset_registry()
    yield
    reset_registry()
