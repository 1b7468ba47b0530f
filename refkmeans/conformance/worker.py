"""Calling a Python candidate in a worker process, so that a time limit holds (KM-PY-6).

A function that hangs cannot be stopped inside the process that called it.
The worker is a fresh interpreter (spawned, not forked: a library's thread
pools do not survive a fork) in a session of its own.  It imports
``MODULE:FUNCTION`` itself, calls it for each request it receives and sends
back the answer made plain (lists, numbers, text).  When a call overruns its
time, the worker and everything it started are killed, and the next call
starts a fresh one.
"""

from __future__ import annotations

import multiprocessing
import os
from fractions import Fraction
from typing import Any, Callable, Optional, Tuple

from .process import DRAIN_SECONDS, kill_group

#: What a call ends in: ("answer", plain answer), ("skip", why) or ("crash", why).
Outcome = Tuple[str, Any]


def plain(value: Any) -> Any:
    """``value`` as lists, dicts, numbers and text, which any process can read back (numpy via tolist)."""
    if isinstance(value, (bool, int, float, str, Fraction)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return plain(tolist())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)


def call(function: Callable[..., Any], args: Tuple[Any, ...], kwargs: dict) -> Outcome:
    """Call ``function``; its answer, or why it was skipped or crashed."""
    try:
        return ("answer", function(*args, **kwargs))
    except NotImplementedError as exc:
        return ("skip", str(exc) or "the function raised NotImplementedError")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the function ended abnormally
        return ("crash", f"{type(exc).__name__}: {exc}")


def _serve(spec: str, conn: Any) -> None:  # pragma: no cover - runs in the child
    os.setsid()  # its own process group: killing the worker kills what it started
    from .candidates import load_function  # the candidates module uses this one

    function = load_function(spec)
    while True:
        try:
            args, kwargs = conn.recv()
        except EOFError:
            return
        kind, value = call(function, args, kwargs)
        conn.send((kind, plain(value) if kind == "answer" else value))


class Worker:
    """One function, ``MODULE:FUNCTION``, called in a child process with a time limit per call."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.process: Optional[Any] = None
        self.conn: Optional[Any] = None

    def call(self, timeout: float, *args: Any, **kwargs: Any) -> Optional[Outcome]:
        """The outcome of ``function(*args, **kwargs)``, or None when it did not answer in ``timeout`` s."""
        if self.process is None:
            context = multiprocessing.get_context("spawn")
            self.conn, child = context.Pipe()
            self.process = context.Process(target=_serve, args=(self.spec, child), daemon=True)
            self.process.start()
            child.close()
        assert self.conn is not None
        try:
            self.conn.send((args, kwargs))
            if not self.conn.poll(timeout):
                self.stop()
                return None
            return self.conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            assert self.process is not None
            self.process.join(DRAIN_SECONDS)
            code = self.process.exitcode
            self.stop()
            return ("crash", f"the worker process died (exit status {code})")

    def stop(self) -> None:
        """Kill the worker and its process group."""
        if self.process is not None:
            if self.process.pid is not None:
                kill_group(self.process.pid)
                self.process.kill()  # in case it had not yet made its own group
            self.process.join()
            self.process = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
