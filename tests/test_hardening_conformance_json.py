"""Issue 17, finding 15 for the conformance kit: deeply nested JSON from a candidate
program or in a vectors folder is a reported failure, not an internal error (exit 1).

The fix is a one-line change at each reader (refkmeans/conformance/candidates.py
``_decode`` and refkmeans/conformance/vectors.py ``read_file``: ``json.loads`` ->
``refkmeans.safejson.loads``), which belongs to the conformance kit's owner;
until it is made these tests are expected to fail (xfail, not strict).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from refkmeans.cli.main import main

DEEP = "[" * 200_000 + "]" * 200_000

PENDING = pytest.mark.xfail(reason="the conformance readers do not call refkmeans.safejson.loads yet", strict=False)


@PENDING
def test_a_vectors_file_nested_too_deeply_is_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "deep.json").write_text(DEEP)
    assert main(["conform", "--impl", "refkmeans.conformance.own:plain", "--vectors", str(tmp_path)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


@PENDING
def test_a_candidate_answering_json_nested_too_deeply_is_not_conformant(tmp_path: Path, capsys) -> None:
    program = tmp_path / "deep.py"
    program.write_text(f"import sys\nfor line in sys.stdin:\n    print({DEEP[:1000]!r} * 0 + '[' * 200000 + ']' * 200000, flush=True)\n")
    code = main(["conform", "--cmd", f"{sys.executable} {program}", "--case", "k/one"])
    assert code == 7
    assert "nested too deeply" in capsys.readouterr().out
