"""One table of exit codes: errors.ExitCode, the README's table and what the CLI returns agree."""

from __future__ import annotations

import re
from pathlib import Path

from refkmeans import errors
from refkmeans.cli import main as cli_main
from refkmeans.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_table_lists_exactly_the_exit_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    assert rows == {int(code) for code in ExitCode}


def test_the_numbers_are_those_users_script_against():
    # Written out by hand from README's table: changing a number breaks scripts.
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0, "INTERNAL": 1, "USAGE": 2, "INPUT": 3, "PLUGIN": 4, "OUTPUT": 5, "EMPTY_CLUSTER": 6,
        "NOT_CONFORMANT": 7, "NO_MEMORY": 8, "HANGUP": 129, "INTERRUPTED": 130, "TERMINATED": 143,
    }


def test_every_error_class_exits_with_an_exit_code_member():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.RefKMeansError)]
    assert len(classes) >= 6
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls


def test_the_cli_returns_exit_code_members(tmp_path, capsys):
    assert cli_main.main([]) is ExitCode.USAGE
    missing = str(tmp_path / "missing.ppm")
    assert cli_main.main(["quantize", missing, "-o", str(tmp_path / "out.ppm")]) is ExitCode.INPUT
    assert "missing.ppm" in capsys.readouterr().err
