"""Progress on stderr, shown only for runs that last longer than about a second."""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

from ..result import Step


class Progress:
    """Call with each Step; prints nothing until ``delay`` seconds have passed."""

    def __init__(
        self, max_iter: int, delay: float = 1.0, stream: Optional[TextIO] = None, enabled: bool = True
    ) -> None:
        self.max_iter = max_iter
        self.delay = delay
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.tty = self.stream.isatty()

    def __call__(self, step: Step) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or (not self.tty and now - self.last < 1.0):
            return
        self.last = now
        changed = "" if step.changed is None else f", {step.changed} pixels changed"
        line = f"refkmeans: iteration {step.iteration + 1}/{self.max_iter}{changed}"
        if self.tty:
            self.stream.write("\r" + line.ljust(60))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """End the progress line, if one was shown."""
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
