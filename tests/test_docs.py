"""The docs stay true: their code runs, and every hook is documented."""

from __future__ import annotations

import re
import types
from pathlib import Path

from refkmeans import hookspecs

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_the_plugin_guide_examples_run():
    plugin_source, usage = python_blocks(ROOT / "docs" / "plugins.md")[:2]
    namespace = {"PLUGIN_SOURCE": plugin_source, "types": types}
    exec(usage, namespace)  # asserts the labels itself
    assert namespace["result"].k == 2


def test_the_plugin_guide_plugin_fits_in_a_dozen_lines():
    plugin_source = python_blocks(ROOT / "docs" / "plugins.md")[0]
    code = [line for line in plugin_source.splitlines() if line.strip() and not line.strip().startswith(('"""', "#"))]
    assert len(code) <= 12


def test_every_hook_is_documented_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("refkmeans_")]
    assert hooks
    for name in hooks:
        assert f"`{name}(register)`" in guide, name


def test_readme_gives_the_two_quick_start_commands_and_every_exit_code():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    from refkmeans import errors

    codes = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and hasattr(cls, "exit_code")}
    assert codes <= set(errors.ExitCode)
    for code in errors.ExitCode:
        assert re.search(rf"^\| {int(code)} \|", readme, flags=re.M), f"exit code {code!r} missing from README"
