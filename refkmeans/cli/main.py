"""``refkmeans``: parse the command line, run a command, turn errors into exit codes.

Exit codes: 0 success; 1 internal error (a bug); 2 usage error; 3 unreadable
or invalid input image; 4 plugin error; 5 output could not be written;
6 empty cluster under ``--empty error``; 130 interrupted (Ctrl-C); 143
terminated (SIGTERM).  Either signal cleans up like an error: no partial
output is left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from .. import __version__
from ..errors import ExitCode, RefKMeansError

#: Every command: its name, the module under refkmeans.cli that defines it, its one-line help.
#: Only the module of the command being run is imported, so start-up stays quick
#: (``conform`` alone would pull in the whole conformance kit).
COMMANDS = (
    ("quantize", "quantize_cmd", "reduce an image to k colours"),
    ("palette", "palette_cmd", "one palette for many images (every frame of each)"),
    ("demo", "demo", "quantize the built-in demo scene"),
    ("plugins", "plugins_cmd", "list plugins and what they register"),
    ("explain", "explain", "narrate the first k-means iterations, pixel by pixel"),
    ("animate", "animate", "a GIF of k-means at work, one frame per iteration"),
    ("elbow", "elbow", "plot inertia against k (the elbow plot)"),
    ("compare", "compare", "a before/after picture of a quantization"),
    ("plot", "plot", "draw a trace as SVG: inertia per iteration, or the palette"),
    ("conform", "conform", "certify an implementation against the golden vectors"),
    ("vectors", "vectors", "write (or --check) the golden vectors"),
)


def build_parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    """The argument parser: every command listed with its help, ``command``'s options in full.

    ``None`` builds every command's options (importing every module); a name that
    is no command builds none, which is all ``--help``, ``--version`` and a usage error need.
    """
    parser = argparse.ArgumentParser(prog="refkmeans", description="The reference k-means colour quantizer.")
    parser.add_argument("--version", action="version", version=f"refkmeans {__version__}")
    parser.add_argument("--no-plugins", action="store_true", help="load no third-party plugins")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help in COMMANDS:
        if command is None or name == command:
            importlib.import_module(f"{__package__}.{module}").add_parser(sub, help)
        else:
            sub.add_parser(name, help=help)  # listed only; never parsed in this run
    return parser


def command_name(argv: List[str]) -> Optional[str]:
    """The command the arguments name: the first one that is not an option (no top-level option takes a value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    name = command_name(argv)
    parser = build_parser(name or "")
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
