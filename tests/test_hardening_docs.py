"""docs/GUARANTEES.md stays true: every test it names exists, every edge and limit rule is listed."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUARANTEES = (ROOT / "docs" / "GUARANTEES.md").read_text()
SPEC = (ROOT / "SPEC.md").read_text()


@functools.cache
def defined_tests(path: Path) -> set:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_named_in_the_guarantees_exists() -> None:
    references = re.findall(r"`((?:plugins/[\w-]+/)?tests/[\w/]+\.py)::(\w+)`", GUARANTEES)
    assert len(references) > 80
    missing = [f"{file}::{name}" for file, name in references if name not in defined_tests(ROOT / file)]
    assert missing == []


def test_every_edge_and_limit_rule_of_the_spec_has_a_row() -> None:
    rules = set(re.findall(r"\*\*(KM-(?:EDGE|LIM)-\d+)\*\*", SPEC))
    assert len(rules) == 19
    rows = set(re.findall(r"^\| (KM-(?:EDGE|LIM)-\d+) \|", GUARANTEES, flags=re.M))
    assert rows == rules


def test_every_edge_rule_is_cited_by_a_test_docstring() -> None:
    edges = (ROOT / "tests" / "test_hardening_edges.py").read_text()
    for rule in re.findall(r"\*\*(KM-EDGE-\d+)\*\*", SPEC):
        assert re.search(rf"{rule}\b", edges), rule


def test_the_readme_points_to_the_guarantees() -> None:
    assert "docs/GUARANTEES.md" in (ROOT / "README.md").read_text()
