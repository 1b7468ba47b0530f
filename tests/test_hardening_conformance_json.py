"""Deeply nested JSON from a candidate program or in a vectors folder is a reported
failure, not an internal error (exit 1): both readers go through ``refkmeans.safejson``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from refkmeans.cli.main import main

DEEP = "[" * 200_000 + "]" * 200_000

def test_a_vectors_file_nested_too_deeply_is_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "deep.json").write_text(DEEP)
    assert main(["conform", "--impl", "refkmeans.conformance.own:plain", "--vectors", str(tmp_path)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_candidate_answering_json_nested_too_deeply_is_not_conformant(tmp_path: Path, capsys) -> None:
    program = tmp_path / "deep.py"
    program.write_text(f"import sys\nfor line in sys.stdin:\n    print({DEEP[:1000]!r} * 0 + '[' * 200000 + ']' * 200000, flush=True)\n")
    code = main(["conform", "--cmd", f"{sys.executable} {program}", "--case", "k/one"])
    assert code == 7
    assert "nested too deeply" in capsys.readouterr().out
