"""``refkmeans``: parse the command line, run a command, turn errors into exit codes.

Exit codes: 0 success; 1 internal error (a bug); 2 usage error; 3 unreadable
or invalid input image; 4 plugin error; 5 output could not be written;
6 empty cluster under ``--empty error``; 8 out of memory; 129 hung up
(SIGHUP); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).  Every signal
cleans up like an error: no partial output is left behind.

Standard error is best effort: a closed or broken stderr never stops a run
nor changes its exit code.  Standard output carries the program's output:
when it cannot be written the exit code says so (5).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import traceback
import unicodedata
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Iterator, List, Optional, TextIO

from .. import __version__
from ..errors import ExitCode, RefKMeansError
from ..plugins import called_from_plugin

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
    with _standard_streams():
        try:
            name = command_name(argv)
            parser = build_parser(name or "")
            args = parser.parse_args(argv)
        except KeyboardInterrupt:
            return _say("refkmeans: interrupted", ExitCode.INTERRUPTED)
        if args.command is None:
            parser.print_help(sys.stderr)
            return ExitCode.USAGE
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        with _signals_unwind():
            return int(args.run(args) or 0)
    except RefKMeansError as exc:
        return _say(f"refkmeans: error: {one_line(str(exc))}", exc.exit_code)
    except KeyboardInterrupt:
        return _say("refkmeans: interrupted", ExitCode.INTERRUPTED)
    except _Terminated as exc:
        return _say(f"refkmeans: {exc.word}", exc.code)
    except MemoryError:
        return _say("refkmeans: error: out of memory (lower --max-pixels, or use a smaller image or k)", ExitCode.NO_MEMORY)
    except SystemExit as exc:  # no command calls sys.exit: plugin code did
        who = _plugin_of(exc.__traceback__)
        return _say(f"refkmeans: error: {who} called sys.exit({exc.code!r}) (a plugin failure)", ExitCode.PLUGIN)
    except BrokenPipeError:
        return _say("refkmeans: error: standard output was closed before everything was written", ExitCode.OUTPUT)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("REFKMEANS_DEBUG"):
            traceback.print_exc()
        return _say(
            f"refkmeans: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(set REFKMEANS_DEBUG=1 for a traceback, and please report it)",
            ExitCode.INTERNAL,
        )


def _say(line: str, code: int) -> int:
    print(line, file=sys.stderr)
    return code


def _plugin_of(tb: Optional[TracebackType]) -> str:
    """'plugin NAME' for the innermost plugin module in a traceback, else 'plugin code'."""
    from ..plugins import plugin_of_module

    modules = []
    while tb is not None:
        modules.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    for module in reversed(modules):
        if module.startswith("refkmeans.") or module == "refkmeans":
            continue
        name = plugin_of_module(module)
        return f"plugin {name}" if name else f"plugin code ({module})"
    return "plugin code"


#: The most characters of an error message printed; the rest is cut, so a
#: huge quoted value (an 80 MB line) cannot flood the terminal.
MAX_MESSAGE = 2000


def one_line(message: str) -> str:
    """A message on one printable line, whatever a plugin or a file name put in it.

    Line breaks and other control characters (terminal escape sequences
    included) are shown escaped, and a message longer than
    :data:`MAX_MESSAGE` keeps its start and end.
    """
    if len(message) > MAX_MESSAGE:
        cut = len(message) - MAX_MESSAGE
        message = f"{message[: MAX_MESSAGE // 2]}...({cut} characters cut)...{message[-MAX_MESSAGE // 2:]}"
    return "".join(_escape(c) for c in message)


def _escape(c: str) -> str:
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if unicodedata.category(c) in ("Cc", "Cs"):  # controls; lone surrogates (undecodable file names)
        return c.encode("unicode_escape", "backslashreplace").decode("ascii") if c < "\ud800" else f"\\x{ord(c) & 0xFF:02x}"
    return c


class _Text:
    """A text stream that cannot fail on what it is given: characters the
    encoding lacks (an undecodable file name) are escaped; with
    ``best_effort``, write errors (a closed or broken stderr) are dropped.
    With ``plugins_to``, what plugin code writes goes there instead: standard
    output carries only the program's own output."""

    def __init__(self, stream: TextIO, best_effort: bool, plugins_to: Any = None) -> None:
        self._stream = stream
        self._best_effort = best_effort
        self._plugins_to = plugins_to

    def write(self, text: str) -> int:
        if self._plugins_to is not None and called_from_plugin(sys._getframe(1)):
            return self._plugins_to.write(text)
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self._stream, "encoding", None) or "utf-8"
                return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except (OSError, ValueError):
            if not self._best_effort:
                raise
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            if not self._best_effort:
                raise

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _standard_streams() -> Iterator[None]:
    """Make stdout and stderr safe to print to for the run, and put them back after.

    A descriptor 0-2 that was closed at start-up is opened on /dev/null, so
    no file refkmeans opens takes its number; a closed stderr swallows what
    is printed (never onto stdout); a closed stdout stays None, so writing
    the output there is an error.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    saved = sys.stdout, sys.stderr
    sys.stderr = _Text(sys.stderr if sys.stderr is not None else open(os.devnull, "w"), best_effort=True)  # type: ignore[assignment]
    if sys.stdout is not None:
        sys.stdout = _Text(sys.stdout, best_effort=False, plugins_to=sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so temporary files are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        hangup = signum == signal.SIGHUP
        self.word = "hung up" if hangup else "terminated"
        self.code = ExitCode.HANGUP if hangup else ExitCode.TERMINATED


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """While running a command, turn SIGTERM and SIGHUP into an exception (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise _Terminated(signum)

    previous = {number: signal.signal(number, terminate) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
        if sys.stdout is not None:
            sys.stdout.flush()  # here, not at exit, where a closed pipe is no longer ours to report
    except BrokenPipeError:
        print("refkmeans: error: standard output was closed before everything was written", file=sys.stderr)
        code = ExitCode.OUTPUT
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    if code == ExitCode.OUTPUT:
        # Nothing more can reach a broken stdout: silence the interpreter's own flush at exit.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    sys.exit(code)
