"""Faults during a run, each through a real ``python -m refkmeans`` process.

Disk full, a read-only folder, an output that is a directory, input equal
to output, Ctrl-C and SIGTERM: none may leave a partial or corrupted output
(not even a stray temporary file), replace an existing output, or touch the
input.  Every test checks the whole folder before and after.

Where a fault needs privileges (a small tmpfs, an immutable folder) the test
uses them when it can and is skipped with the reason otherwise; a fault that
needs none (a file-size limit, ``/dev/full``, signals) always runs.
"""

from __future__ import annotations

import errno
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ppm(width: int, height: int, seed: int = 1, colours: int = 0) -> bytes:
    """A raw PPM of pseudo-random colours: all different, or drawn from ``colours`` of them (quick to quantize)."""
    rnd = random.Random(seed)
    if colours:
        palette = [bytes(rnd.randrange(256) for _ in range(3)) for _ in range(colours)]
        raster = b"".join(rnd.choice(palette) for _ in range(width * height))
    else:
        raster = bytes(rnd.randrange(256) for _ in range(3 * width * height))
    return b"P6\n%d %d\n255\n" % (width, height) + raster


def snapshot(folder: Path) -> Dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) and its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def environment(inject: Optional[Path] = None) -> Dict[str, str]:
    paths = ([str(inject)] if inject else []) + [str(ROOT)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), REFKMEANS_LOAD_PLUGINS="")
    env.pop("REFKMEANS_DEBUG", None)
    return env


def refkmeans(*args: str, cwd: Path, inject: Optional[Path] = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "refkmeans", *args], capture_output=True, text=True, cwd=cwd, env=environment(inject), **kwargs
    )


def one_line_error(run: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert run.returncode == code, (run.returncode, run.stderr)
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("refkmeans: error: "), run.stderr
    for fragment in fragments:
        assert fragment in run.stderr, run.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "in.ppm").write_bytes(ppm(40, 30, colours=12))
    return tmp_path


# -- disk full ------------------------------------------------------------------------------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs root and a sandbox that allows mounting)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_disk_full_on_a_real_tmpfs_leaves_nothing_behind(work: Path, tiny_tmpfs: Path) -> None:
    """The output (96 KiB) cannot fit in the 64 KiB filesystem: ENOSPC, exit 5, the folder as it was."""
    (work / "big.ppm").write_bytes(ppm(160, 200, colours=6))
    before_input = (work / "big.ppm").read_bytes()
    run = refkmeans("quantize", "big.ppm", "-k", "2", "--max-iter", "1", "-o", str(tiny_tmpfs / "out.ppm"), cwd=work)
    one_line_error(run, 5, f"cannot write {tiny_tmpfs / 'out.ppm'}: No space left on device")
    assert snapshot(tiny_tmpfs) == {}
    assert (work / "big.ppm").read_bytes() == before_input


def test_disk_full_keeps_the_old_output_when_replacing_it(work: Path, tiny_tmpfs: Path) -> None:
    (work / "big.ppm").write_bytes(ppm(160, 200, colours=6))
    (tiny_tmpfs / "out.ppm").write_bytes(b"the previous result")
    run = refkmeans("quantize", "big.ppm", "-k", "2", "--max-iter", "1", "-o", str(tiny_tmpfs / "out.ppm"), "--force", cwd=work)
    one_line_error(run, 5, "No space left on device")
    assert snapshot(tiny_tmpfs) == {"out.ppm": b"the previous result"}


def _limit_file_size() -> None:  # runs in the child, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write instead of a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file-size limit on this system")
def test_a_write_failing_half_way_leaves_nothing_behind(work: Path) -> None:
    """RLIMIT_FSIZE makes the kernel fail the write after 2 KiB (EFBIG): a disk filling up, without root."""
    (work / "out.ppm").write_bytes(b"old")
    before = snapshot(work)
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", "out.ppm", "--force", cwd=work, preexec_fn=_limit_file_size)
    one_line_error(run, 5, "cannot write out.ppm: File too large")
    assert snapshot(work) == before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_dev_full_is_written_into_not_replaced(work: Path) -> None:
    """/dev/full fails every write with ENOSPC; the device must survive (renaming over it would replace it)."""
    before = snapshot(work)
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", "/dev/full", "--format", "netpbm", cwd=work)
    one_line_error(run, 5, "cannot write /dev/full: No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert snapshot(work) == before


def test_dev_null_takes_the_output_without_force(work: Path) -> None:
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", "/dev/null", "--format", "netpbm", "-q", cwd=work)
    assert run.returncode == 0, run.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- a read-only folder ------------------------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may create files in, by whatever means works here."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "in.ppm").write_bytes(ppm(12, 10))
    undo: List[List[str]] = []
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo.append(["chmod", "755", str(folder)])
    elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        undo.append(["chattr", "-i", str(folder)])
    elif subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True).returncode == 0:
        undo.append(["umount", str(folder)])
    try:
        try:
            (folder / "probe").write_bytes(b"")
        except OSError:
            pass
        else:
            pytest.skip("cannot make a read-only folder here (root without chattr or mount)")
        yield folder
    finally:
        for command in undo:
            subprocess.run(command, check=True)


def test_a_read_only_output_folder_is_an_output_error(work: Path, read_only: Path) -> None:
    before = snapshot(read_only)
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", str(read_only / "out.ppm"), cwd=work)
    one_line_error(run, 5, f"cannot write {read_only / 'out.ppm'}: ")
    assert snapshot(read_only) == before


def test_the_default_output_beside_a_read_only_input_is_an_output_error(read_only: Path) -> None:
    """The default output is IN-kK.EXT beside the input: here it cannot be created."""
    before = snapshot(read_only)
    run = refkmeans("quantize", "in.ppm", "-k", "2", cwd=read_only)
    one_line_error(run, 5, "cannot write in-k2.ppm: ")
    assert snapshot(read_only) == before


# -- the output is a directory (more in tests/test_cli.py) ----------------------------------------------


def test_an_output_with_a_trailing_slash_writes_nothing(work: Path) -> None:
    before = snapshot(work)
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", "newdir/", "--format", "netpbm", cwd=work)
    one_line_error(run, 5, "cannot write newdir/")
    assert snapshot(work) == before


# -- input equal to output (more in tests/test_cli.py) -------------------------------------------------


@pytest.mark.parametrize("how", ["same-name", "absolute", "symlinked-folder"])
def test_an_output_that_is_the_input_is_refused_even_with_force(work: Path, how: str) -> None:
    """Spelled differently from the input (tests/test_cli.py has ./name, a symlink and a hard link)."""
    if how == "symlinked-folder":
        os.symlink(".", work / "here")
    output = {"same-name": "in.ppm", "absolute": str(work / "in.ppm")}.get(how, "here/in.ppm")
    before = snapshot(work)
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", output, "--force", cwd=work)
    one_line_error(run, 2, f"output {output} is the input; choose another -o")
    assert snapshot(work) == before


# -- Ctrl-C and SIGTERM ---------------------------------------------------------------------------


def _default_signals() -> None:  # in the child: a shell's background job may inherit SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start(work: Path, *args: str, inject: Optional[Path] = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "refkmeans", *args],
        cwd=work,
        env=environment(inject),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_signals,
    )


#: Injected into the child: after the first iteration of k-means, say so on stderr and
#: wait for a signal.  The test sends its signal only after reading that line, so the
#: run is mid-way through k-means however fast or slow the machine is.
PAUSE_AFTER_THE_FIRST_ITERATION = """
    import signal, sys
    from refkmeans.cli.progress import Progress

    def paused(self, step):
        sys.stderr.write("paused in k-means\\n")
        sys.stderr.flush()
        while True:
            signal.pause()  # the signal's handler raises; nothing else wakes this up

    Progress.__call__ = paused
"""


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_signal_in_the_middle_of_k_means_leaves_the_old_output(tmp_path: Path, sig, code: int, word: str) -> None:
    """Ctrl-C (or SIGTERM) while k-means runs: exit 130 (143), the existing output untouched."""
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(textwrap.dedent(PAUSE_AFTER_THE_FIRST_ITERATION))
    work = tmp_path / "work"
    work.mkdir()
    (work / "noise.ppm").write_bytes(ppm(20, 20, seed=7))
    (work / "out.ppm").write_bytes(b"the previous result")
    before = snapshot(work)
    process = _start(work, "quantize", "noise.ppm", "-k", "8", "--engine", "plain", "-o", "out.ppm", "--force", inject=inject)
    assert process.stderr is not None
    first = process.stderr.readline()  # blocks until the child is paused inside k-means
    assert first == b"paused in k-means\n", first + process.stderr.read()
    process.send_signal(sig)
    _, err = process.communicate()
    assert process.returncode == code, err
    # A busy machine may let the progress line ("clustering N colours...") out first: only the last line is the outcome.
    assert err.decode().splitlines()[-1] == f"refkmeans: {word}", err
    assert "error" not in err.decode(), err
    assert snapshot(work) == before


INTERRUPT_WHILE_WRITING = """
    import os, signal
    _fsync = os.fsync

    def fsync(fd):
        # The bytes are written but not yet renamed into place: the worst moment.
        os.kill(os.getpid(), signal.{signal})
        _fsync(fd)

    os.fsync = fsync
"""


@pytest.mark.parametrize("sig, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_the_output_is_written_leaves_no_partial_file(work: Path, tmp_path_factory, sig: str, code: int) -> None:
    """The signal arrives between writing the temporary file and renaming it: nothing changes."""
    inject = tmp_path_factory.mktemp("inject")  # outside ``work``: Python may cache its bytecode there
    (inject / "sitecustomize.py").write_text(textwrap.dedent(INTERRUPT_WHILE_WRITING.format(signal=sig)))
    (work / "out.ppm").write_bytes(b"the previous result")
    before = snapshot(work)
    run = refkmeans(
        "quantize", "in.ppm", "-k", "2", "-o", "out.ppm", "--force", "-q", cwd=work, inject=inject, preexec_fn=_default_signals
    )
    assert run.returncode == code, run.stderr
    assert run.stderr.endswith("interrupted\n" if sig == "SIGINT" else "terminated\n")
    assert snapshot(work) == before


def test_without_the_fault_the_same_run_succeeds(work: Path) -> None:
    """The control: the commands above do write their output when nothing goes wrong."""
    run = refkmeans("quantize", "in.ppm", "-k", "2", "-o", "out.ppm", "-q", cwd=work)
    assert run.returncode == 0, run.stderr
    assert (work / "out.ppm").read_bytes().startswith(b"P6\n40 30\n255\n")
    assert sorted(snapshot(work)) == ["in.ppm", "out.ppm"]


# -- the same faults in-process (the code paths above, seen by coverage) -----------------------------


def test_write_atomic_turns_enospc_into_an_output_error_and_cleans_up(tmp_path: Path, monkeypatch) -> None:
    from refkmeans.errors import OutputError
    from refkmeans.files import write_atomic

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    (tmp_path / "out.ppm").write_bytes(b"old")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="cannot write .*out.ppm: No space left on device"):
        write_atomic(str(tmp_path / "out.ppm"), b"new content")
    assert snapshot(tmp_path) == {"out.ppm": b"old"}


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_writing_into_dev_full_is_an_output_error() -> None:
    from refkmeans import Image, OutputError, write

    with pytest.raises(OutputError, match="cannot write /dev/full: No space left on device"):
        write("/dev/full", Image(1, 1, 1, 255, [0]), format="netpbm")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_an_output_that_is_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    from refkmeans import Image, OutputError, write

    path = tmp_path / "s.ppm"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(OutputError, match="it is not a regular file"):
            write(str(path), Image(1, 1, 1, 255, [0]), force=True)
    finally:
        server.close()
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_sigterm_during_a_command_exits_143_in_process(tmp_path: Path, monkeypatch, capsys) -> None:
    from refkmeans.cli import main as cli_main
    from refkmeans.cli import quantize_cmd

    def terminated(args) -> int:
        signal.raise_signal(signal.SIGTERM)  # runs the handler before it returns
        return 0

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(quantize_cmd, "run", terminated)
    assert cli_main.main(["quantize", "x.ppm"]) == 143
    assert capsys.readouterr().err == "refkmeans: terminated\n"
    assert signal.getsignal(signal.SIGTERM) is previous  # the handler is only installed during a command


def test_commands_run_outside_the_main_thread_leave_signals_alone(tmp_path: Path) -> None:
    import threading

    from refkmeans.cli.main import main

    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(["plugins", "--json"])))
    thread.start()
    thread.join()
    assert codes == [0]
