"""README's Installing section, followed as written in a fresh virtual environment.

The checkout's tracked files are copied to a temporary folder, the README's
install block is run there by bash (so ``. .venv/bin/activate`` works as it
does for a reader), and then a few of the README's examples are run with
the command it installed.  pip fetches Pillow and pluggy from the package
index as configured on the machine, so this test runs only with
REFKMEANS_SLOW=1 (it takes a minute or so).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not os.environ.get("REFKMEANS_SLOW"), reason="installs into a new venv; set REFKMEANS_SLOW=1")


def install_block() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- install -->\n```sh\n(.*?)```", readme, flags=re.S)
    assert match, "README lost its install block"
    return match.group(1)


def test_the_readme_install_section_gives_a_working_refkmeans(tmp_path):
    checkout = tmp_path / "checkout"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        target = checkout / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    examples = """
refkmeans demo --out-dir d --size 48x32 -q
refkmeans quantize d/scene.ppm -o photo16.png -q
python -c "from PIL import Image; Image.open('d/scene.ppm').save('camera.jpg')"
refkmeans quantize camera.jpg -q
test -f camera-k16.png
refkmeans quantize d/scene.ppm -k 4 --metric ciede2000 -o lab.ppm -q
"""
    script = "set -e\n" + install_block().replace("python3 ", f"{sys.executable} ", 1) + examples
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    proc = subprocess.run(["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # `refkmeans plugins` (the block's last line) lists what each plugin brings.
    for name in ("png", "pillow-jpeg", "ciede2000"):
        assert re.search(rf"^  {name} ", proc.stdout, re.M), name
