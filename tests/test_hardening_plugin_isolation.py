"""Issue 17, plugin findings: one bad plugin is reported and left out; plugin code cannot
end the run, write on standard output, or choose refkmeans's exit code.

Each test installs real entry-point plugins (the ``install_plugin`` fixture)
and runs ``python -m refkmeans`` in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: A 4x1 grey image: 0, 10, 200, 210.
PGM = b"P5 4 1 255\n\x00\x0a\xc8\xd2"
#: The same image with k = 2 and --init first: the two pairs averaged (5 and 205).
PGM_K2 = b"P5\n4 1\n255\n\x05\x05\xcd\xcd"

EXIT_AT_IMPORT = """
    import sys
    sys.exit(0)
"""

EXIT_IN_METRIC = """
    import sys
    from fractions import Fraction
    from refkmeans import hookimpl
    from refkmeans.metric import Metric

    class Leaving(Metric):
        name = "leaving"
        def distance(self, a, b):
            sys.exit(0)
        def key(self, a, b):
            sys.exit(0)

    @hookimpl
    def refkmeans_register_metrics(register):
        register(Leaving())
"""

#: Registers 'euclidean', which the built-in metrics already have.
DUPLICATE = """
    from refkmeans import hookimpl
    from refkmeans.builtin.metrics import Euclidean

    @hookimpl
    def refkmeans_register_metrics(register):
        register(Euclidean())
"""

#: A hook from a newer refkmeans, and nothing else.
NEWER = """
    from refkmeans import hookimpl

    @hookimpl
    def refkmeans_register_palettes(register):
        pass
"""

USAGE_IN_HOOK = """
    from refkmeans import UsageError, hookimpl

    @hookimpl
    def refkmeans_register_codecs(register):
        raise UsageError("not today")
"""

#: Prints at import, in its hook, and in every metric call.
CHATTY = """
    from fractions import Fraction
    from refkmeans import hookimpl
    from refkmeans.metric import Metric

    print("chatty: imported")

    class Loud(Metric):
        name = "loud"
        def distance(self, a, b):
            print("chatty: distance")
            return max(abs(x - y) for x, y in zip(a, b))
        def key(self, a, b):
            print("chatty: key")
            return max(abs(Fraction(x) - y) for x, y in zip(a, b))

    @hookimpl
    def refkmeans_register_metrics(register):
        print("chatty: registering")
        register(Loud())
"""

#: A codec whose decoder raises refkmeans errors whose exit codes are not a codec's to choose.
ODD_ERRORS = """
    from refkmeans import hookimpl
    from refkmeans.errors import EmptyClusterError, ImageError, OutputError, RefKMeansError

    class Quiet(ImageError):
        exit_code = 0

    KINDS = {b"ODD0": Quiet, b"ODD5": OutputError, b"ODD6": EmptyClusterError}

    class Odd:
        name = "odd"
        description = "raises odd errors"
        extensions = (".odd",)
        def sniff(self, head):
            return head[:3] == b"ODD"
        def decode(self, data, *, index=0, max_pixels=0):
            raise KINDS[data[:4]]("odd failure")
        def encode(self, image, *, palette=None, indices=None, plain=False):
            return b""

    @hookimpl
    def refkmeans_register_codecs(register):
        register(Odd())
"""


def cli(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]))
    env.pop("REFKMEANS_LOAD_PLUGINS", None)
    env.pop("REFKMEANS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "refkmeans", *args], capture_output=True, env=env, cwd=cwd)


def quantize_ok(site: Path, tmp_path: Path) -> None:
    """The built-ins still work beside whatever is installed."""
    (tmp_path / "in.pgm").write_bytes(PGM)
    run = cli(site, tmp_path, "quantize", "in.pgm", "-k", "2", "--init", "first", "-o", "out.pgm", "-q")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out.pgm").read_bytes() == PGM_K2


def test_a_plugin_calling_sys_exit_at_import_is_reported_and_left_out(site: Path, install_plugin, tmp_path: Path) -> None:
    """Finding 6: sys.exit(0) at import used to end every command silently with exit 0."""
    install_plugin("refkmeans-leaver", "leaver_plugin", EXIT_AT_IMPORT)
    install_plugin("refkmeans-good", "good_plugin")
    quantize_ok(site, tmp_path)
    listing = cli(site, tmp_path, "plugins")
    assert listing.returncode == 0
    assert b"failed: refkmeans-leaver 1.0: failed to load: it called sys.exit(0)" in listing.stdout
    assert b"maximum" in listing.stdout


def test_a_plugin_calling_sys_exit_in_a_metric_is_exit_4_naming_it(site: Path, install_plugin, tmp_path: Path) -> None:
    """Finding 6: sys.exit(0) in a hook's object used to end the run with exit 0 and no output."""
    install_plugin("refkmeans-leaving", "leaving_plugin", EXIT_IN_METRIC)
    (tmp_path / "in.pgm").write_bytes(PGM)
    run = cli(site, tmp_path, "quantize", "in.pgm", "-k", "2", "--metric", "leaving", "-o", "out.pgm")
    assert run.returncode == 4
    assert run.stderr == b"refkmeans: error: plugin refkmeans-leaving called sys.exit(0) (a plugin failure)\n"
    assert not (tmp_path / "out.pgm").exists()


@pytest.mark.parametrize(
    "source, message",
    [
        (DUPLICATE, "metric 'euclidean' is registered by both refkmeans.builtin.metrics and refkmeans-bad"),
        (NEWER, "implements a hook that does not exist"),
        (USAGE_IN_HOOK, "failed in its codec hook: not today"),
    ],
    ids=["duplicate-name", "newer-hook", "usage-error-in-hook"],
)
def test_one_bad_plugin_is_reported_and_the_rest_keep_working(
    site: Path, install_plugin, tmp_path: Path, source: str, message: str
) -> None:
    """Finding 7: each of these used to make every command fail, `refkmeans plugins` included."""
    install_plugin("refkmeans-bad", "bad_plugin", source)
    install_plugin("refkmeans-good", "good_plugin")
    quantize_ok(site, tmp_path)
    listing = cli(site, tmp_path, "plugins", "--json")
    assert listing.returncode == 0, listing.stderr
    info = json.loads(listing.stdout)
    assert [f["name"] for f in info["failures"]] == ["refkmeans-bad"]
    assert message in info["failures"][0]["message"]
    assert "maximum" in [m["name"] for m in info["metrics"]]
    # A command that needs what the bad plugin would have given fails, naming it.
    (tmp_path / "in.pgm").write_bytes(PGM)
    run = cli(site, tmp_path, "quantize", "in.pgm", "--metric", "nosuch", "-o", "x.pgm")
    assert run.returncode == 2 and b"refkmeans-bad" in run.stderr


def test_what_a_plugin_prints_stays_off_standard_output(site: Path, install_plugin, tmp_path: Path) -> None:
    """Finding 11: print() in plugin code used to go into `-o -` and `plugins --json`."""
    install_plugin("refkmeans-chatty", "chatty_plugin", CHATTY)
    listing = cli(site, tmp_path, "plugins", "--json")
    assert listing.returncode == 0
    assert "loud" in [m["name"] for m in json.loads(listing.stdout)["metrics"]]
    assert b"chatty: imported" in listing.stderr and b"chatty: registering" in listing.stderr
    (tmp_path / "in.pgm").write_bytes(PGM)
    run = cli(site, tmp_path, "quantize", "in.pgm", "-k", "2", "--init", "first", "--metric", "loud", "-q", "-o", "-")
    assert run.returncode == 0, run.stderr
    assert run.stdout == PGM_K2
    assert b"chatty: distance" in run.stderr or b"chatty: key" in run.stderr


@pytest.mark.parametrize("magic", [b"ODD0", b"ODD5", b"ODD6"])
def test_a_codec_cannot_choose_another_exit_code(site: Path, install_plugin, tmp_path: Path, magic: bytes) -> None:
    """Finding 12: a codec's error with exit code 0, 5 or 6 used to end the run with that code."""
    install_plugin("refkmeans-odd", "odd_plugin", ODD_ERRORS)
    (tmp_path / "in.odd").write_bytes(magic + b"....")
    run = cli(site, tmp_path, "quantize", "in.odd", "-o", "out.ppm")
    assert run.returncode == 4
    assert run.stderr.startswith(b"refkmeans: error: codec 'odd' failed while decoding in.odd: ")
    assert not (tmp_path / "out.ppm").exists()
