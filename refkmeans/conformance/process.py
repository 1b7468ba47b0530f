"""Running an untrusted program once, under limits that hold (KM-CMD-7).

The program runs in a session of its own, so it and everything it starts
form one process group; when its time is up, and also after it exits, the
whole group is killed, so no child outlives the run.  Its standard output
is read as it comes, up to a byte limit (a runaway writer is stopped, not
buffered); of standard error only the tail is kept.  The temporary folder
it may use is removed whatever happens.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Callable, List, NamedTuple, Optional

#: How much of standard error is kept (its tail explains a crash).
STDERR_TAIL = 64 * 1024
#: How long to wait for the readers once the group is dead (a process that left the group may hold a pipe).
DRAIN_SECONDS = 5.0


class Finished(NamedTuple):
    """What one run produced."""

    stdout: bytes
    stderr: bytes
    returncode: Optional[int]
    #: True when the program itself exited before its time was up.
    exited: bool
    #: True when it wrote more than the limit and was stopped.
    overflowed: bool


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (gone already is fine)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(
    argv: List[str],
    payload: Optional[bytes],
    timeout: float,
    limit: int,
    cwd: Optional[str] = None,
) -> Finished:
    """Run ``argv`` with ``payload`` on stdin (None: stdin is /dev/null) for at most ``timeout`` seconds."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if payload is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,
    )
    out = bytearray()
    err = bytearray()
    overflowed = threading.Event()

    def read_out(stream: IO[bytes]) -> None:
        while True:
            chunk = stream.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                return
            if len(out) + len(chunk) > limit:
                overflowed.set()
                kill_group(proc.pid)
                return
            out.extend(chunk)

    def read_err(stream: IO[bytes]) -> None:
        while True:
            chunk = stream.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                return
            err.extend(chunk)
            del err[:-STDERR_TAIL]

    def feed(stream: IO[bytes]) -> None:
        try:
            stream.write(payload or b"")
            stream.close()
        except OSError:  # it stopped reading: its answer (or its crash) will say why
            pass

    threads = [_thread(read_out, proc.stdout), _thread(read_err, proc.stderr)]
    if payload is not None:
        threads.append(_thread(feed, proc.stdin))
    try:
        proc.wait(timeout)
        exited = not overflowed.is_set()
    except subprocess.TimeoutExpired:
        exited = False
    finally:
        kill_group(proc.pid)  # the program, and whatever it started
        proc.wait()
        for t in threads:
            t.join(DRAIN_SECONDS)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return Finished(bytes(out), bytes(err), proc.returncode if exited else None, exited, overflowed.is_set())


def _thread(target: Callable[[Any], None], stream: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=(stream,), daemon=True)
    thread.start()
    return thread


class Scratch:
    """A temporary folder for one run, removed on exit however the run ended (read-only parts included)."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="refkmeans-conform-")

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc: object) -> None:
        def writable_again(function: Any, path: str, _: Any) -> None:
            try:
                os.chmod(os.path.dirname(path), stat.S_IRWXU)
                os.chmod(path, stat.S_IRWXU)
                function(path)
            except OSError:
                pass

        for _ in range(2):  # a second pass removes what the first made writable
            if sys.version_info >= (3, 12):  # pragma: no cover - the version CI runs is older
                shutil.rmtree(self.path, onexc=writable_again)
            else:
                shutil.rmtree(self.path, onerror=writable_again)
            if not os.path.exists(self.path):
                return
