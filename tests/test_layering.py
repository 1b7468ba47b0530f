"""The plan of the house stays true: imports point one way (docs/ARCHITECTURE.md).

Layers, from the bottom:

* **contract**: what plugins and callers agree on (errors, image, result,
  rational, metric, codec, hookspecs, rng, dataset, trace);
* **engine**: ``refkmeans/engine/``, the loops that compute the answer;
* **pipeline**: ``kmeans``, ``quantize``, ``files`` and the other top-level
  modules that put the two together;
* **plugins** (``builtin/``) and **applications** (``teach/``, ``cli/``,
  ``conformance/``), which use everything below them.

A contract or engine module must not import ``builtin``, ``teach``, ``cli``
or ``conformance``; the only exceptions are the notebook previews
(``_repr_png_`` and friends), which import ``teach.jupyter`` on demand.
Nothing but the command line imports ``cli``.  Imports inside functions
count too: the checker reads every ``import`` statement in the source.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import refkmeans

PACKAGE = Path(refkmeans.__file__).parent

CONTRACT = {"errors", "image", "result", "rational", "metric", "codec", "hookspecs", "rng", "dataset", "trace"}
UPPER = ("builtin", "teach", "cli", "conformance")

#: (importing module, imported module): the notebook previews, imported on demand.
PREVIEWS = {
    ("refkmeans.image", "refkmeans.teach.jupyter"),
    ("refkmeans.result", "refkmeans.teach.jupyter"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool) -> Iterator[str]:
    """Every module that ``source`` (the module ``name``) imports, as an absolute name."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            # `from . import fast` imports the module refkmeans.engine.fast
            for alias in node.names:
                yield f"{target}.{alias.name}"


def layer(name: str) -> str:
    parts = name.split(".")
    if parts[0] != "refkmeans" or len(parts) == 1:
        return "outside" if parts[0] != "refkmeans" else "api"
    top = parts[1]
    if top in CONTRACT:
        return "contract"
    if top == "engine":
        return "engine"
    if top in UPPER:
        return top
    return "pipeline"


def violations(graph: Dict[str, Set[str]]) -> List[Tuple[str, str]]:
    """(module, import) pairs that break the rules in the module docstring."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if any(module == m and (target == t or target.startswith(t + ".")) for m, t in PREVIEWS):
                continue
            low = layer(module) in ("contract", "engine") and layer(target) in UPPER
            cli = layer(target) == "cli" and layer(module) not in ("cli", "api") and module != "refkmeans.__main__"
            if low or cli:
                found.append((module, target))
    return found


def import_graph() -> Dict[str, Set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        targets = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        graph[name] = {t for t in targets if t.startswith("refkmeans.") or t == "refkmeans"}
    return graph


def test_contract_and_engine_modules_import_nothing_above_them():
    assert violations(import_graph()) == []


def test_the_layers_cover_the_modules_the_plan_names():
    graph = import_graph()
    assert {f"refkmeans.{name}" for name in CONTRACT} <= set(graph)
    assert {"refkmeans.engine.lloyd", "refkmeans.engine.fast"} <= set(graph)


@pytest.mark.parametrize(
    "module, source, bad",
    [
        ("refkmeans.engine.fast", "from ..builtin.metrics import Euclidean", "refkmeans.builtin.metrics"),
        ("refkmeans.metric", "def f():\n    from .teach import explain", "refkmeans.teach.explain"),
        ("refkmeans.result", "import refkmeans.conformance.certify", "refkmeans.conformance.certify"),
        ("refkmeans.kmeans", "from .cli import options", "refkmeans.cli.options"),
    ],
)
def test_the_checker_catches_an_import_that_points_up(module, source, bad):
    targets = set(imports_of(source, module, is_package=False))
    assert bad in targets
    assert (module, bad) in violations({module: targets})


def test_the_checker_allows_the_previews_and_downward_imports():
    graph = {
        "refkmeans.image": {"refkmeans.teach.jupyter", "refkmeans.errors"},
        "refkmeans.cli.main": {"refkmeans.conformance.suite", "refkmeans.cli.options"},
        "refkmeans.builtin.restarts": {"refkmeans.engine.fast"},
    }
    assert violations(graph) == []
