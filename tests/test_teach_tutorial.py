"""docs/tutorial.md stays true: its code runs, its pictures are current, its quoted output is real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refkmeans.cli.main import main
from refkmeans.teach import pictures

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"


def test_every_python_block_of_the_tutorial_runs(tmp_path, monkeypatch):
    pytest.importorskip("numpy")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(), flags=re.S)
    assert len(blocks) >= 12
    namespace: dict = {}
    for number, block in enumerate(blocks):
        try:
            exec(compile(block, f"tutorial block {number}", "exec"), namespace)
        except Exception as exc:  # name the block that failed
            raise AssertionError(f"tutorial block {number} failed: {exc!r}\n{block}") from exc


def test_every_picture_the_tutorial_shows_exists_and_is_generated():
    text = TUTORIAL.read_text()
    shown = set(re.findall(r"\]\(pictures/([^)]+)\)", text))
    assert shown == set(pictures.PICTURES), "the tutorial and the generator disagree on the pictures"
    for name in shown:
        assert (ROOT / "docs" / "pictures" / name).is_file(), name


def test_the_committed_pictures_are_up_to_date():
    assert pictures.stale(str(ROOT / "docs" / "pictures")) == [], "run: python -m refkmeans.teach.pictures"


def test_the_quoted_explain_output_is_what_the_command_prints(capsys):
    text = TUTORIAL.read_text()
    match = re.search(r"<!-- output of: refkmeans (.*?) -->\n```text\n\$ .*?\n(.*?)```", text, flags=re.S)
    assert match, "the tutorial lost its explain excerpt"
    args, excerpt = match.group(1).split(), match.group(2)
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    quoted = [line for line in excerpt.splitlines() if line.strip() != "..."]
    assert len(quoted) > 5
    for line in quoted:
        assert line in printed, line
