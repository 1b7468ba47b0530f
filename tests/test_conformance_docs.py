"""The conformance documents stay true: rule ids exist, causes and options are documented, examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refkmeans.cli.main import build_parser
from refkmeans.conformance import PythonCandidate, load_suite, run_suite
from refkmeans.conformance.diagnosis import CAUSES
from refkmeans.conformance.report import summary_line

ROOT = Path(__file__).resolve().parents[1]
SPEC = (ROOT / "SPEC.md").read_text()
GUIDE = (ROOT / "docs" / "conformance.md").read_text()


def test_every_rule_id_the_kit_cites_is_defined_in_the_spec():
    defined = set(re.findall(r"\*\*(KM-[A-Z]+-\d+)\*\*", SPEC))
    sources = list((ROOT / "refkmeans" / "conformance").glob("*.py")) + list((ROOT / "peers").glob("*.py"))
    cited = {rule for path in sources for rule in re.findall(r"KM-[A-Z]+-\d+", path.read_text())}
    assert cited and cited <= defined, sorted(cited - defined)


def test_every_cause_is_in_the_spec_and_in_the_guide():
    diag = SPEC[SPEC.index("**KM-DIAG-1**"):]
    for cause in CAUSES:
        assert f"`{cause}`" in diag, cause
        assert f"| `{cause}` |" in GUIDE, cause


def test_every_conform_option_is_in_the_guide():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    conform = sub.choices["conform"]
    options = [s for a in conform._actions for s in a.option_strings if s.startswith("--") and s != "--help"]
    assert len(options) > 10
    for option in options:
        assert f"`{option}" in GUIDE, option


def test_the_readme_lists_exit_status_7():
    assert re.search(r"^\| 7 \|", (ROOT / "README.md").read_text(), flags=re.M)


def test_the_guides_example_implementation_conforms_as_shown(tmp_path, monkeypatch):
    pytest.importorskip("numpy")
    source = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.S)[0]
    (tmp_path / "guide_example_kmeans.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = run_suite(PythonCandidate("guide_example_kmeans:kmeans"), load_suite())
    run.candidate = "mykmeans:kmeans"  # the name the guide shows
    assert summary_line(run) in GUIDE


def test_the_peers_readme_lists_every_peer():
    verdicts = pytest.importorskip("peers.verdicts")
    readme = (ROOT / "peers" / "README.md").read_text()
    for peer in verdicts.PEERS:
        if peer.impl.startswith("peers."):
            module, function = peer.impl.split(":")
            assert module in readme and function in readme, peer.impl
        elif peer.cmd:
            assert peer.cmd in readme, peer.cmd
