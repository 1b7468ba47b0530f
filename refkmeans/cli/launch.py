"""The ``refkmeans`` command's entry point: quiet on Ctrl-C from its first instant.

Until :mod:`refkmeans.cli.main` has loaded and taken over, Ctrl-C would
interrupt an import and Python would print a traceback.  This module loads
nothing first: it sets a handler that ends the run with the same line and
exit code (130) as an interrupted run, then loads the command line.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Optional


def _interrupted_while_starting(signum: int, frame: Optional[FrameType]) -> None:
    try:
        sys.stderr.write("refkmeans: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def run() -> None:
    """Console-script entry point (and ``python -m refkmeans``)."""
    previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    from .main import run as run_command_line

    signal.signal(signal.SIGINT, previous)  # from here main() turns Ctrl-C into exit 130 itself
    run_command_line()
