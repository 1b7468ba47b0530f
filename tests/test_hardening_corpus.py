"""The malformed-file corpus through the command line.

For every file of ``tests/corpus/malformed.py`` (generated here, at test
time): ``refkmeans quantize FILE`` prints exactly one line that names the
file and the problem, exits with the documented code, and writes no output
(nor any temporary file); the input is left as it was.  Every case runs
through the CLI's ``main()``; two of each codec also through a real
``python -m refkmeans`` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus.malformed import MALFORMED, Case, all_cases, write_corpus

from refkmeans.plugins import get_registry

ROOT = Path(__file__).resolve().parents[1]
CASES = all_cases()


def run_cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "refkmeans", *args], capture_output=True, text=True, cwd=folder, env=env)


def check_refusal(folder: Path, case: Case, code: int, stdout: str, stderr: str) -> None:
    """One line naming the file and the problem, the exit code, no output or temporary file, the input intact."""
    assert code == case.exit_code, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith("refkmeans: error: ") and case.name in lines[0] and case.problem in lines[0], lines[0]
    assert [p.name for p in folder.iterdir()] == [case.name]
    assert (folder / case.name).read_bytes() == case.data


@pytest.mark.parametrize("codec, case", CASES, ids=[f"{codec}/{case.name}" for codec, case in CASES])
def test_each_malformed_file_gets_one_line_the_exit_code_and_no_output(
    tmp_path: Path, codec: str, case: Case, capsys, monkeypatch
) -> None:
    """The command line's main() on every file (in-process: the interpreter start-up is tested below)."""
    from refkmeans.cli.main import main

    if codec not in get_registry().codecs:
        pytest.skip(f"codec {codec} is not installed")
    (tmp_path / case.name).write_bytes(case.data)
    monkeypatch.chdir(tmp_path)
    code = main(["quantize", case.name, "-o", "out.ppm", *case.args])
    captured = capsys.readouterr()
    check_refusal(tmp_path, case, code, captured.out, captured.err)


@pytest.mark.parametrize("codec", sorted(MALFORMED))
def test_a_malformed_file_through_a_real_process(tmp_path: Path, codec: str) -> None:
    """The same through ``python -m refkmeans``, for the first and the last case of each codec."""
    if codec not in get_registry().codecs:
        pytest.skip(f"codec {codec} is not installed")
    cases = MALFORMED[codec]()
    for case in (cases[0], cases[-1]):
        folder = tmp_path / case.name.replace(".", "-")
        folder.mkdir()
        (folder / case.name).write_bytes(case.data)
        run = run_cli(folder, "quantize", case.name, "-o", "out.ppm", *case.args)
        check_refusal(folder, case, run.returncode, run.stdout, run.stderr)


def test_the_corpus_is_reproducible_and_names_are_unique(tmp_path: Path) -> None:
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in write_corpus(tmp_path / "a")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in write_corpus(tmp_path / "b")}
    assert first == second and len(first) == len(CASES)
    assert {"netpbm", "png", "gif"} <= set(MALFORMED) and len(CASES) >= 60


def test_every_case_is_malformed_for_its_decoder_alone() -> None:
    """Each file fails in the decoder (or the reader) with the documented error, not by accident of the CLI."""
    from refkmeans.errors import ImageError
    from refkmeans.files import decode, max_input_bytes

    for codec_name, case in CASES:
        if codec_name not in get_registry().codecs or case.args or len(case.data) > max_input_bytes(10**8):
            continue
        codec = get_registry().codec(codec_name)
        if not codec.sniff(case.data[:64]):
            assert "not a format" in case.problem
            continue
        with pytest.raises(ImageError) as info:
            decode(codec, case.data, case.name, index=0, max_pixels=10**8)
        assert case.problem in str(info.value), case.name
