"""Progress on stderr, shown only for runs that last longer than about a second.

Two kinds of news arrive: ``phase(text)`` when a stage starts (counting
colours, each restart with an estimate of the time left, clustering,
repainting) and a :class:`Step` after every iteration.
A background ticker shows the current line once the run is older than
``delay``, so a long stage is announced while it runs, not after.

Progress is best effort: a stream that fails (stderr closed, or a pipe
whose reader went away) silences it; the run goes on and its exit code is
unchanged.
"""

from __future__ import annotations

import sys
import threading
import time
from fractions import Fraction
from typing import Any, Callable, Optional, TextIO

from ..engine.lloyd import exact_tol
from ..result import Step


class Progress:
    """Call with each Step; prints nothing until ``delay`` seconds have passed.

    ``clock`` is what "seconds" are read from; tests pass a hand-driven one.
    With ``tol`` (KM-STOP-4) each line also says how far the last iteration's
    relative inertia decrease is from the tolerance that stops the run.
    """

    def __init__(
        self,
        max_iter: int,
        delay: float = 1.0,
        stream: Optional[TextIO] = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        tol: Optional[Any] = None,
    ) -> None:
        self.max_iter = max_iter
        self.tol = exact_tol(tol)
        self._inertia: Optional[Fraction] = None
        self.delay = delay
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.clock = clock
        self.start = clock()
        self.last = 0.0
        self.shown = False
        try:
            self.tty = self.stream.isatty()
        except (OSError, ValueError):
            self.tty = False
        self._status = ""
        self._printed = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    def __call__(self, step: Step) -> None:
        if not self.enabled:
            return
        changed = "" if step.changed is None else f", {step.changed} pixels changed"
        before, self._inertia = self._inertia, step.inertia
        fell = ""
        if self.tol is not None and before:
            fell = f", inertia moved {float(abs(before - step.inertia) / before):.1e} (stops below {float(self.tol):.0e})"
        self._update(f"refkmeans: iteration {step.iteration + 1}/{self.max_iter}{changed}{fell}")

    def phase(self, text: str) -> None:
        """A stage of the run begins (shown as ``refkmeans: <text>...``)."""
        if not self.enabled:
            return
        self._update(f"refkmeans: {text}...")
        if self._ticker is None and self.delay > 0:
            self._ticker = threading.Thread(target=self._tick, name="refkmeans-progress", daemon=True)
            self._ticker.start()

    def _update(self, line: str) -> None:
        with self._lock:
            self._status = line
            now = self.clock()
            if now - self.start < self.delay or (not self.tty and now - self.last < 1.0):
                return
            self._show(line, now)

    def _show(self, line: str, now: float) -> None:
        # Called with the lock held.
        self.last = now
        self._printed = line
        self._write("\r" + line.ljust(60) if self.tty else line + "\n")
        self.shown = True

    def _write(self, text: str) -> None:
        """Write and flush; on a failing stream, stop showing progress (never fail the run)."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            self.tty = False  # and no closing newline
            self._stop.set()

    def _tick(self) -> None:
        """Show the current line when a stage outlasts the delay (and at most once a second)."""
        wait = max(0.0, self.start + self.delay - self.clock())
        while not self._stop.wait(wait):
            with self._lock:
                now = self.clock()
                if self._status != self._printed and now - self.last >= 1.0:
                    self._show(self._status, now)
            wait = 0.25

    def done(self) -> None:
        """Stop the ticker and end the progress line, if one was shown."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.shown and self.tty:
            self._write("\n")
