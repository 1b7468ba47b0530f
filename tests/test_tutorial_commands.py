"""docs/tutorial.md's shell commands run as written, where section 0 tells the reader to run them.

Section 0 makes an environment with refkmeans, its plugins and numpy, and
works in the checkout's root folder.  Here the test environment stands for
that environment (it holds the same and more), and a temporary folder with
``peers/`` linked in stands for the checkout's root, so that the commands'
outputs do not land in the repository.  Each command is run by a real
shell, with the environment's ``bin`` first on the PATH as activating it
does; a ``# exit N`` comment gives the exit status the tutorial promises.
The two ``conform`` commands run the whole conformance suite (about 15 s),
so they run only with REFKMEANS_SLOW=1; tests/test_conformance_cli.py runs
the same candidates case by case in the quick suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
SETUP_MARK = "make demo"


def shell_blocks() -> list:
    return re.findall(r"```sh\n(.*?)```", TUTORIAL.read_text(), flags=re.S)


def commands(blocks: list) -> list:
    """(command, expected exit status) for every line of the blocks."""
    found = []
    for block in blocks:
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            if command.strip():
                status = re.search(r"\bexit (\d+)", comment)
                found.append((command.strip(), int(status.group(1)) if status else 0))
    return found


def run_in_checkout_like_folder(tmp_path: Path, lines: list) -> None:
    pytest.importorskip("numpy")  # section 0 installs it
    (tmp_path / "peers").symlink_to(ROOT / "peers")
    first_block = re.search(r"```python\n(.*?)```", TUTORIAL.read_text(), flags=re.S).group(1)
    subprocess.run([sys.executable, "-c", first_block], cwd=tmp_path, check=True)  # writes photo.ppm
    assert (tmp_path / "photo.ppm").is_file()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    for command, expected in lines:
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == expected, f"{command}: exit {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"


def test_section_0_makes_the_environment_the_commands_need():
    setup = [block for block in shell_blocks() if SETUP_MARK in block]
    assert len(setup) == 1, "the tutorial lost its setup block"
    lines = [command for command, _ in commands(setup)]
    assert lines == ["make demo", ". .venv-demo/bin/activate", "pip install numpy"]
    # make demo installs what the commands use: the core and every first-party plugin.
    makefile = (ROOT / "Makefile").read_text()
    for plugin in sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file()):
        assert f"plugins/{plugin}" in makefile, plugin


def test_the_commands_of_sections_1_to_9_run_as_written(tmp_path):
    lines = [c for c in commands([b for b in shell_blocks() if SETUP_MARK not in b]) if "conform" not in c[0]]
    assert len(lines) >= 6
    run_in_checkout_like_folder(tmp_path, lines)
    for name in ("photo.gif", "photo-opponent.gif", "photo16.gif", "compare.png", "run.jsonl", "inertia.svg"):
        assert (tmp_path / name).stat().st_size > 0, name


@pytest.mark.skipif(not os.environ.get("REFKMEANS_SLOW"), reason="runs the whole conformance suite twice; set REFKMEANS_SLOW=1")
def test_the_conform_commands_of_section_10_give_the_exit_status_they_say(tmp_path):
    lines = [c for c in commands(shell_blocks()) if "conform" in c[0]]
    assert [expected for _, expected in lines] == [7, 0]
    run_in_checkout_like_folder(tmp_path, lines)
