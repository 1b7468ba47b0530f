"""``refkmeans``: parse the command line, run a command, turn errors into exit codes.

Exit codes: 0 success; 1 internal error (a bug); 2 usage error; 3 unreadable
or invalid input image; 4 plugin error; 5 output could not be written;
6 empty cluster under ``--empty error``; 130 interrupted (Ctrl-C); 143
terminated (SIGTERM).  Either signal cleans up like an error: no partial
output is left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from .. import __version__
from ..errors import ExitCode, RefKMeansError
from . import animate, compare, conform, demo, elbow, explain, plot, plugins_cmd, quantize_cmd, vectors

COMMANDS = (quantize_cmd, demo, plugins_cmd, explain, animate, elbow, compare, plot, conform, vectors)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-command per module in COMMANDS."""
    parser = argparse.ArgumentParser(prog="refkmeans", description="The reference k-means colour quantizer.")
    parser.add_argument("--version", action="version", version=f"refkmeans {__version__}")
    parser.add_argument("--no-plugins", action="store_true", help="load no third-party plugins")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        with _sigterm_unwinds():
            return int(args.run(args) or 0)
    except RefKMeansError as exc:
        print(f"refkmeans: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("refkmeans: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except _Terminated:
        print("refkmeans: terminated", file=sys.stderr)
        return ExitCode.TERMINATED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("REFKMEANS_DEBUG"):
            traceback.print_exc()
        print(
            f"refkmeans: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(set REFKMEANS_DEBUG=1 for a traceback, and please report it)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


def one_line(message: str) -> str:
    """A message on one line, whatever a plugin or a file name put in it."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


class _Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so temporary files are removed."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While running a command, turn SIGTERM into an exception (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
