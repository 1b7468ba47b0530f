"""Issue 17, output and stream findings: every file a command writes goes through one
writer (files.write_bytes), standard streams are never replaced, stderr is best
effort, and what reaches the terminal is one clean line.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from refkmeans import Image, kmeans
from refkmeans.cli import main as cli_main
from refkmeans.cli import quantize_cmd
from refkmeans.cli.progress import Progress
from refkmeans.errors import PluginError

ROOT = Path(__file__).resolve().parents[1]

#: A 4x1 grey image (0, 10, 200, 210) and its k = 2, --init first result.
PGM = b"P5 4 1 255\n\x00\x0a\xc8\xd2"
PGM_K2 = b"P5\n4 1\n255\n\x05\x05\xcd\xcd"
#: A trace of one step (SPEC.md section 11) for `plot`.
TRACE = '{"type": "step", "iteration": 0, "inertia": 2.5}\n'


def env() -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), REFKMEANS_LOAD_PLUGINS="")
    e.pop("REFKMEANS_DEBUG", None)
    return e


def child(cwd: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "refkmeans", *args], cwd=cwd, env=env(), **kwargs)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "in.pgm").write_bytes(PGM)
    (tmp_path / "t.jsonl").write_text(TRACE)
    return tmp_path


# -- finding 2: progress is best effort ------------------------------------------


class BrokenStream:
    """A stderr whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False


def test_a_broken_stderr_does_not_stop_the_run_and_the_output_exists(work: Path, monkeypatch) -> None:
    """It used to end in exit 0 with no output (`2>&1 | head -1`)."""
    # Progress shown at once (a fixed clock, no delay), so the first line hits the broken pipe.
    monkeypatch.setattr(quantize_cmd, "Progress", functools.partial(Progress, delay=0, clock=lambda: 1e9))
    monkeypatch.setattr(sys, "stderr", BrokenStream())
    code = cli_main.main(["quantize", str(work / "in.pgm"), "-k", "2", "--init", "first", "-o", str(work / "out.pgm")])
    assert code == 0
    assert (work / "out.pgm").read_bytes() == PGM_K2


def test_progress_on_a_failing_stream_falls_silent() -> None:
    progress = Progress(5, delay=0, stream=BrokenStream(), clock=lambda: 1e9)  # type: ignore[arg-type]
    progress.phase("clustering")  # shown at once: the write fails
    progress.phase("repainting")
    progress.done()
    assert not progress.enabled


# -- finding 3: every command's output goes through the same checks ----------------

COMMANDS = {
    "conform --json": ["conform", "--impl", "refkmeans.conformance.own:plain_float", "--case", "k/one", "--json", "{out}"],
    "plot": ["plot", "t.jsonl", "-o", "{out}"],
    "elbow": ["elbow", "in.pgm", "-k", "2..3", "-q", "-o", "{out}"],
    "animate": ["animate", "in.pgm", "-k", "2", "-q", "-o", "{out}"],
    "compare": ["compare", "in.pgm", "-k", "2", "-q", "-o", "{out}"],
    "quantize --trace": ["quantize", "in.pgm", "-k", "2", "-q", "-o", "q.pgm", "--trace", "{out}"],
}
SUFFIX = {"plot": ".svg", "elbow": ".svg", "animate": ".gif", "compare": ".png"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_replaces_an_existing_file_without_force(work: Path, command: str, capsys) -> None:
    """`conform --json FILE` used to replace any file, the candidate's own source included."""
    out = work / ("existing" + SUFFIX.get(command, ".json"))
    out.write_bytes(b"keep me")
    argv = [a.format(out=out) if a == "{out}" else a for a in COMMANDS[command]]
    argv = [str(work / a) if a in ("t.jsonl", "in.pgm") else a for a in argv]
    argv = [str(work / a) if a == "q.pgm" else a for a in argv]
    assert cli_main.main(argv) == 5
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert cli_main.main([*argv, "--force"]) == 0
    assert out.read_bytes() != b"keep me"


def test_conform_json_into_a_fifo_writes_into_it(work: Path) -> None:
    """A named pipe is written into, not replaced by a regular file (as /dev/null was, as root)."""
    fifo = work / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keeper = os.open(fifo, os.O_WRONLY)  # holds the pipe open: the reader sees EOF only when we close it
    os.set_blocking(reader, True)
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(reader, 1 << 16):
            received.extend(chunk)

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        argv = [a.format(out=fifo) if a == "{out}" else a for a in COMMANDS["conform --json"]]
        with pytest.MonkeyPatch.context() as m:
            m.setattr(sys, "stdout", open(os.devnull, "w"))
            code = cli_main.main(argv)
    finally:
        os.close(keeper)
        thread.join()
        os.close(reader)
    assert code == 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received)["conformant"] is True


# -- finding 4: standard streams are written as streams ---------------------------


@pytest.mark.parametrize("name", ["/proc/self/fd/1", "/dev/stdout", "/dev/fd/1"])
def test_output_to_a_path_naming_stdout_goes_into_the_redirected_file(work: Path, name: str) -> None:
    """`-o /dev/stdout --force` with stdout redirected used to leave the real output empty
    (and, as root, replace the /dev/stdout symlink)."""
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    with open(work / "captured", "wb") as stdout:
        proc = child(work, "quantize", "in.pgm", "-k", "2", "--init", "first", "-q", "-o", name, "--force",
                     "--format", "netpbm", stdout=stdout, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert (work / "captured").read_bytes() == PGM_K2
    if before is not None:
        assert os.readlink("/dev/stdout") == before


def test_output_to_dev_stdout_needs_no_force(work: Path) -> None:
    with open(work / "captured", "wb") as stdout:
        proc = child(work, "quantize", "in.pgm", "-k", "2", "--init", "first", "-q", "-o", "/dev/stdout",
                     stdout=stdout, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert (work / "captured").read_bytes() == PGM_K2


# -- finding 19: without --force, a file that appears meanwhile is kept -------------


def test_a_file_created_at_the_output_path_while_writing_is_kept(work: Path, monkeypatch, capsys) -> None:
    """It used to be replaced silently."""
    out = work / "out.pgm"
    real_fsync = os.fsync

    def fsync_then_someone_writes(fd: int) -> None:
        real_fsync(fd)
        out.write_bytes(b"theirs")  # between our check and our rename

    monkeypatch.setattr(os, "fsync", fsync_then_someone_writes)
    code = cli_main.main(["quantize", str(work / "in.pgm"), "-k", "2", "-q", "-o", str(out)])
    assert code == 5
    assert "created by someone else" in capsys.readouterr().err
    assert out.read_bytes() == b"theirs"
    assert sorted(p.name for p in work.iterdir()) == ["in.pgm", "out.pgm", "t.jsonl"]


# -- Low: output names of 244-255 bytes --------------------------------------------


def test_an_output_name_of_255_bytes_can_be_written(work: Path) -> None:
    """The temporary name used to be longer than the name, so the write failed."""
    out = work / ("a" * 251 + ".pgm")
    assert cli_main.main(["quantize", str(work / "in.pgm"), "-k", "2", "--init", "first", "-q", "-o", str(out)]) == 0
    assert out.read_bytes() == PGM_K2
    assert sorted(p.name for p in work.iterdir()) == sorted(["in.pgm", "t.jsonl", out.name])


# -- Low: SIGHUP cleans up like SIGTERM ------------------------------------------------

HANGUP = """
import os, signal, sys
from refkmeans.cli import main, quantize_cmd
real = quantize_cmd.quantize
def hang_up(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGHUP)
    return real(*args, **kwargs)
quantize_cmd.quantize = hang_up
sys.exit(main.main(sys.argv[1:]))
"""


def test_sighup_unwinds_and_leaves_no_temporary_file(work: Path) -> None:
    """A hang-up used to kill the run where it stood (SIGKILL still can: docs/GUARANTEES.md)."""
    proc = subprocess.run([sys.executable, "-c", HANGUP, "quantize", "in.pgm", "-o", "out.pgm"], cwd=work, env=env(),
                          capture_output=True)
    assert proc.returncode == 129, proc.stderr
    assert proc.stderr == b"refkmeans: hung up\n"
    assert sorted(p.name for p in work.iterdir()) == ["in.pgm", "t.jsonl"]


# -- finding 13: file names and closed standard streams ---------------------------------


def utf8_env() -> dict:
    e = env()
    # What a UTF-8 locale such as en_US.UTF-8 gives Python: UTF-8 file names, strict UTF-8 output.
    e["LC_ALL"] = "C.UTF-8"
    e["PYTHONIOENCODING"] = "utf-8:strict"
    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.errors, sys.getfilesystemencoding())"],
                           env=e, capture_output=True, text=True)
    if probe.stdout.split() != ["strict", "utf-8"]:
        pytest.skip(f"no UTF-8 locale with strict output here ({probe.stdout.strip()!r})")
    return e


def test_a_non_utf8_file_name_under_a_utf8_locale_is_reported_and_succeeds(work: Path) -> None:
    """It used to end in exit 1 after the output was written (printing the name)."""
    e = utf8_env()
    name = b"in\xff.pgm"
    os.rename(work / "in.pgm", os.path.join(os.fsencode(work), name))
    proc = subprocess.run([sys.executable, "-m", "refkmeans", "quantize", name, "-k", "2", "--init", "first"],
                          cwd=work, env=e, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert os.path.exists(os.path.join(os.fsencode(work), b"in\xff-k2.pgm"))
    assert b"wrote       in\\udcff-k2.pgm" in proc.stdout


def sh(work: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", command], cwd=work, env=env(), capture_output=True)


def test_a_closed_stderr_keeps_the_error_off_stdout(work: Path) -> None:
    """The message used to go to stdout."""
    proc = sh(work, f"exec {sys.executable} -m refkmeans quantize missing.pgm -o out.pgm 2>&-")
    assert proc.returncode == 3
    assert proc.stdout == b""


def test_a_closed_stdin_is_an_input_error(work: Path) -> None:
    proc = sh(work, f"exec {sys.executable} -m refkmeans quantize - -o out.pgm <&-")
    assert proc.returncode == 3
    assert proc.stderr == b"refkmeans: error: cannot read standard input: it is closed\n"


def test_a_closed_stdout_fails_an_output_to_stdout(work: Path) -> None:
    proc = sh(work, f"exec {sys.executable} -m refkmeans quantize in.pgm -k 2 -q -o - >&-")
    assert proc.returncode == 5
    assert proc.stderr == b"refkmeans: error: cannot write standard output: standard output is closed\n"


def test_a_closed_stdout_does_not_fail_a_run_writing_a_file(work: Path) -> None:
    proc = sh(work, f"exec {sys.executable} -m refkmeans quantize in.pgm -k 2 --init first -o out.pgm >&-")
    assert proc.returncode == 0, proc.stderr
    assert (work / "out.pgm").read_bytes() == PGM_K2


# -- finding 14: out of memory --------------------------------------------------------


def test_out_of_memory_in_an_initializer_is_exit_8_not_blamed_on_it(work: Path, monkeypatch, capsys) -> None:
    """It used to be exit 4 blaming `restarts` (or 1, or 3, depending on where)."""
    from refkmeans.builtin import restarts

    def exhausted(*args, **kwargs):
        raise MemoryError()

    for name in dir(restarts):
        if name.startswith("best_of") or name == "restarts":
            monkeypatch.setattr(restarts, name, exhausted, raising=False)
    monkeypatch.setattr(quantize_cmd, "quantize", exhausted)
    assert cli_main.main(["quantize", str(work / "in.pgm"), "-o", str(work / "out.pgm")]) == 8
    assert capsys.readouterr().err == "refkmeans: error: out of memory (lower --max-pixels, or use a smaller image or k)\n"
    assert not (work / "out.pgm").exists()


def test_memory_error_from_an_initializer_is_not_the_initializers_fault() -> None:
    import types

    from refkmeans import hookimpl
    from refkmeans.plugins import Registry

    def refkmeans_register_initializers(register):
        def greedy(data, k, rng):
            raise MemoryError()
        register("greedy", greedy)

    module = types.ModuleType("greedy_plugin")
    module.refkmeans_register_initializers = hookimpl(refkmeans_register_initializers)  # type: ignore[attr-defined]
    registry = Registry(load_entrypoints=False, extra_plugins=[module])
    with pytest.raises(MemoryError):
        kmeans([(0,), (1,)], k=2, init="greedy", registry=registry)


# -- Low: an initializer that yields, then raises --------------------------------------


def test_an_initializer_that_yields_then_raises_is_a_plugin_error() -> None:
    """It used to be exit 1 (the error escaped from list())."""
    import types

    from refkmeans import hookimpl
    from refkmeans.plugins import Registry

    def refkmeans_register_initializers(register):
        def halfway(data, k, rng):
            yield (0,)
            raise RuntimeError("ran dry")
        register("halfway", halfway)

    module = types.ModuleType("halfway_plugin")
    module.refkmeans_register_initializers = hookimpl(refkmeans_register_initializers)  # type: ignore[attr-defined]
    registry = Registry(load_entrypoints=False, extra_plugins=[module])
    with pytest.raises(PluginError, match="initializer 'halfway' from halfway_plugin failed: RuntimeError: ran dry"):
        kmeans([(0,), (1,)], k=2, init="halfway", registry=registry)


# -- finding 15 and Low: JSON and numbers from outside ------------------------------------

DEEP = "[" * 200_000 + "]" * 200_000


def test_deeply_nested_json_palette_is_a_usage_error(work: Path, capsys) -> None:
    """It used to be exit 1 (RecursionError)."""
    (work / "deep.json").write_text(DEEP)
    code = cli_main.main(["quantize", str(work / "in.pgm"), "--palette", str(work / "deep.json"), "-o", str(work / "o.pgm")])
    assert code == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_deeply_nested_json_in_a_trace_is_a_trace_error(work: Path, capsys) -> None:
    (work / "deep.jsonl").write_text(DEEP + "\n")
    assert cli_main.main(["plot", str(work / "deep.jsonl"), "-o", str(work / "o.svg")]) == 3
    assert "nested too deeply" in capsys.readouterr().err


def test_the_shared_json_reader_turns_deep_nesting_into_a_value_error() -> None:
    from refkmeans import safejson

    with pytest.raises(ValueError, match="nested too deeply"):
        safejson.loads(DEEP)
    assert safejson.loads('{"a": [1, 2]}') == {"a": [1, 2]}


@pytest.mark.parametrize("word", ["9" * 5000, "²"])
def test_a_text_palette_with_a_huge_or_unicode_number_is_a_usage_error(work: Path, word: str, capsys) -> None:
    """5000 digits used to be exit 1 (int() refuses them); so was a superscript digit."""
    (work / "p.txt").write_text(f"0 0 0\n{word} 1 1\n")
    assert cli_main.main(["quantize", str(work / "in.pgm"), "--palette", str(work / "p.txt"), "-o", str(work / "o.pgm")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refkmeans: error: ") and len(err) < 300


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999"])
def test_a_trace_with_a_non_finite_inertia_is_refused_not_drawn(work: Path, value: str, capsys) -> None:
    """A NaN inertia used to give an invalid SVG."""
    (work / "nan.jsonl").write_text(f'{{"type": "step", "iteration": 0, "inertia": {value}}}\n')
    assert cli_main.main(["plot", str(work / "nan.jsonl"), "-o", str(work / "o.svg")]) == 3
    assert "finite number" in capsys.readouterr().err
    assert not (work / "o.svg").exists()


# -- Low: what reaches the terminal ---------------------------------------------------------


def test_an_error_line_is_capped(work: Path, capsys) -> None:
    """A value quoted from a file used to make error lines of 8-89 MB."""
    (work / "huge.jsonl").write_text('{"type": "step", "iteration": 0, "inertia": "' + "x" * 5_000_000 + '"}\n')
    assert cli_main.main(["plot", str(work / "huge.jsonl"), "-o", str(work / "o.svg")]) == 3
    err = capsys.readouterr().err
    assert len(err) < 10_000 and "characters cut" in err and err.count("\n") == 1


def test_terminal_escapes_in_a_file_name_are_shown_escaped(work: Path, capsys) -> None:
    name = str(work / "a\x1b]0;owned\x07b.pgm")
    assert cli_main.main(["quantize", name, "-o", str(work / "o.pgm")]) == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "a\\x1b]0;owned\\x07b.pgm" in err


# -- Low: Ctrl-C while the command line is parsed --------------------------------------------


def test_ctrl_c_while_starting_up_is_exit_130_without_a_traceback(monkeypatch, capsys) -> None:
    def interrupted(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "build_parser", interrupted)
    assert cli_main.main(["quantize", "x.pgm"]) == 130
    assert capsys.readouterr().err == "refkmeans: interrupted\n"


CTRL_C_WHILE_LOADING = """
import os, signal, sys


class CtrlCWhileLoading:
    # Ctrl-C arrives just as the command line loads its plugin host: a real signal, no timing.
    def find_spec(self, name, path=None, target=None):
        if name == "refkmeans.plugins":
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, CtrlCWhileLoading())
"""


def test_ctrl_c_while_the_command_line_loads_is_exit_130_without_a_traceback(tmp_path: Path) -> None:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(CTRL_C_WHILE_LOADING)
    child_env = dict(env(), PYTHONPATH=f"{inject}{os.pathsep}{ROOT}")
    proc = subprocess.run(
        [sys.executable, "-m", "refkmeans", "quantize", "x.pgm"], cwd=tmp_path, env=child_env, capture_output=True
    )
    assert (proc.returncode, proc.stderr) == (130, b"refkmeans: interrupted\n")


def test_image_sanity() -> None:
    # This file's expected output, derived by hand: k = 2 from the first two pixels
    # settles on {0, 10} -> 5 and {200, 210} -> 205.
    assert list(Image(4, 1, 1, 255, bytes([0, 10, 200, 210])).samples) == [0, 10, 200, 210]
    assert list(kmeans([(0,), (10,), (200,), (210,)], k=2, init="first").centroids) == [(5.0,), (205.0,)]


# -- Low: the files read are protected from what is written ------------------------------


def test_stdout_opened_on_the_input_is_refused_and_the_input_kept(work: Path) -> None:
    """`-o -` with stdout opened read-write on the input used to overwrite the input."""
    proc = sh(work, f"exec {sys.executable} -m refkmeans quantize in.pgm -k 2 -q -o - 1<>in.pgm")
    assert proc.returncode == 2
    assert proc.stderr == b"refkmeans: error: standard output is the input in.pgm; choose another output\n"
    assert (work / "in.pgm").read_bytes() == PGM


@pytest.mark.parametrize("option", ["-o", "--trace"])
def test_the_palette_file_is_protected_like_the_input_even_with_force(work: Path, option: str, capsys) -> None:
    palette = work / "palette.txt"
    palette.write_text("0\n255\n")
    argv = ["quantize", str(work / "in.pgm"), "--palette", str(palette), "--force", "-q"]
    argv += [option, str(palette)] if option == "-o" else [option, str(palette), "-o", str(work / "o.pgm")]
    assert cli_main.main(argv) == 2
    assert f"is the palette {palette}" in capsys.readouterr().err
    assert palette.read_text() == "0\n255\n"


def test_no_trace_is_written_when_the_output_then_fails(work: Path, monkeypatch) -> None:
    from refkmeans.errors import OutputError

    def fails(*args, **kwargs):
        raise OutputError("cannot write o.pgm: disk full")

    monkeypatch.setattr(quantize_cmd, "write", fails)
    code = cli_main.main(["quantize", str(work / "in.pgm"), "-k", "2", "-q", "-o", str(work / "o.pgm"),
                          "--trace", str(work / "t2.jsonl")])
    assert code == 5
    assert not (work / "t2.jsonl").exists()


def test_an_input_removed_during_the_run_does_not_fail_it_after_the_output(work: Path, monkeypatch) -> None:
    """Its size for the report used to be read after the run: exit 1 with the output written."""
    real = quantize_cmd.quantize

    def remove_then_quantize(*args, **kwargs):
        (work / "in.pgm").unlink()
        return real(*args, **kwargs)

    monkeypatch.setattr(quantize_cmd, "quantize", remove_then_quantize)
    assert cli_main.main(["quantize", str(work / "in.pgm"), "-k", "2", "--init", "first", "-o", str(work / "o.pgm")]) == 0
    assert (work / "o.pgm").read_bytes() == PGM_K2


# -- Low: elbow's ks --------------------------------------------------------------------------


@pytest.mark.parametrize("ks", ["2..70000", "2..100000000", "1,70000"])
def test_elbow_refuses_ks_above_the_limit_before_listing_them(work: Path, ks: str, capsys) -> None:
    """`-k 2..100000000` used to build the whole list (gigabytes) first."""
    assert cli_main.main(["elbow", str(work / "in.pgm"), "-k", ks, "-q", "-o", str(work / "e.svg")]) == 2
    assert "k is at most 65536" in capsys.readouterr().err


# -- Low: output-format problems before the work --------------------------------------------

#: A 1x1 PAM with five channels: GIF holds 1 to 4.
PAM5 = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 5\nMAXVAL 255\nENDHDR\n\x01\x02\x03\x04\x05"


def test_a_format_that_cannot_hold_the_image_is_refused_before_clustering(work: Path, monkeypatch, capsys) -> None:
    """It used to be found only when the result was encoded, after all the work."""
    (work / "five.pam").write_bytes(PAM5)
    clustered = []
    monkeypatch.setattr(quantize_cmd, "quantize", lambda *a, **k: clustered.append(1))
    code = cli_main.main(["quantize", str(work / "five.pam"), "-k", "1", "-o", str(work / "o.gif")])
    assert code == 3
    assert "gif: cannot write 5-channel images" in capsys.readouterr().err
    assert clustered == []
    assert not (work / "o.gif").exists()
