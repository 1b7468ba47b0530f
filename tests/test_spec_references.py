"""Every rule id and SPEC section cited in the sources, docs and vectors exists in SPEC.md.

SPEC.md was renumbered once and citations went stale silently ("section 8"
went on meaning the golden vectors after they became C1).  Rule ids
(``KM-VEC-2``) survive renumbering; these tests keep the remaining section
citations honest: the section must exist, and a rule family named beside it
must belong to it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("refkmeans", "plugins", "docs", "README.md", "vectors")
SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".js", ".mjs", ".cfg", ".rst"}

RULE = re.compile(r"\bKM-([A-Z]+)-(\d+[a-z]?)(?:\.\.(\d+))?")
FAMILY = re.compile(r"\bKM-([A-Z]+)-\*")
# "SPEC.md section 11", "SPEC sections C1-C3", "SPEC.md, section 8", "SPEC.md §9", and a bare "§9".
SECTION = re.compile(r"(?:\bSPEC(?:\.md)?,?\s+(?:sections?\s+|§\s*)|§\s*)(C?\d+(?:\s*(?:-|–|,|and)\s*C?\d+)*)")


def spec_index(text: str) -> Tuple[Set[str], Dict[str, str]]:
    """(section ids, rule id -> section id) as SPEC.md defines them."""
    sections: Set[str] = set()
    rules: Dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        heading = re.match(r"## (C?\d+)\. ", line)
        if heading:
            current = heading.group(1)
            sections.add(current)
        for rule in re.findall(r"\*\*(KM-[A-Z]+-\d+[a-z]?)\*\*", line):
            rules[rule] = current
    return sections, rules


def citation_problems(text: str, sections: Set[str], rules: Dict[str, str]) -> List[str]:
    """What in ``text`` cites a rule or section SPEC.md does not have (or files a family under the wrong one)."""
    problems = []
    families: Dict[str, Set[str]] = {}
    for rule, section in rules.items():
        families.setdefault(rule.rsplit("-", 1)[0], set()).add(section)
    for m in RULE.finditer(text):
        first = f"KM-{m.group(1)}-{m.group(2)}"
        cited = [first]
        if m.group(3):
            cited += [f"KM-{m.group(1)}-{n}" for n in range(int(m.group(2)) + 1, int(m.group(3)) + 1)]
        problems += [f"{rule} is not a rule of SPEC.md" for rule in cited if rule not in rules]
    for m in FAMILY.finditer(text):
        if f"KM-{m.group(1)}" not in families:
            problems.append(f"KM-{m.group(1)}-* names no rule of SPEC.md")
    for m in SECTION.finditer(text):
        cited = re.findall(r"C?\d+", m.group(1))
        problems += [f"{m.group(0).strip()!r}: SPEC.md has no section {s}" for s in cited if s not in sections]
        # A rule family named in the same clause must live in a cited section.
        clause = re.split(r"[.;:\n]\s", text[m.end(): m.end() + 80])[0]
        for family in re.findall(r"\bKM-[A-Z]+", clause):
            if families.get(family) and not families[family] & set(cited):
                problems.append(f"{m.group(0).strip()!r} cites {family}-*, which is in section "
                                f"{'/'.join(sorted(families[family]))}")
    return problems


def scanned_files() -> Iterator[Path]:
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            yield path
            continue
        for f in sorted(path.rglob("*")):
            parts = set(f.relative_to(ROOT).parts)
            if f.is_file() and f.suffix in SUFFIXES and not any(p.endswith(".egg-info") or p in (
                    "__pycache__", "node_modules", "build") for p in parts):
                yield f


SPEC = spec_index((ROOT / "SPEC.md").read_text(encoding="utf-8"))


def test_the_spec_index_sees_every_section_and_rule():
    sections, rules = SPEC
    assert {str(n) for n in range(1, 14)} | {"C1", "C2", "C3"} <= sections
    assert rules["KM-ASN-2"] == "3" and rules["KM-VEC-2"] == "C1" and rules["KM-TRACE-1"] == "11"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("see KM-ASN-9", "KM-ASN-9 is not a rule"),
        ("KM-RNG-1..9", "KM-RNG-9 is not a rule"),
        ("rules KM-NOPE-*", "KM-NOPE-* names no rule"),
        ("SPEC.md section 14", "no section 14"),
        ("SPEC.md §C4", "no section C4"),
        ("The format is SPEC.md\nsection 8 (KM-VEC-*).", "cites KM-VEC-*, which is in section C1"),
        ("SPEC.md sections 8-10, KM-CERT-*", "cites KM-CERT-*, which is in section C2"),
    ],
)
def test_a_stale_citation_is_found(text, problem):
    sections, rules = SPEC
    sections = sections - {"14", "C4"}
    assert any(problem in p for p in citation_problems(text, sections, rules)), citation_problems(text, sections, rules)


@pytest.mark.parametrize(
    "text",
    ["SPEC.md C1 (KM-VEC-*)", "SPEC.md section 11 (rules KM-TRACE-*)", "SPEC.md sections C1 (vectors), C2 and C3",
     "KM-RNG-1..3", "PNG specification, section 14", "KM-LIM-5, -6, -7"],
)
def test_a_current_citation_passes(text):
    assert citation_problems(text, *SPEC) == []


def test_every_citation_in_the_sources_docs_and_vectors_exists_in_the_spec():
    problems = []
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in citation_problems(text, *SPEC)]
    assert problems == []
