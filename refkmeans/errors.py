"""One error hierarchy for everything refkmeans reports to a user.

Every failure that crosses a boundary (a codec, the command line, plugin
loading) becomes a :class:`RefKMeansError` with a one-line message.  The CLI
turns it into that line on stderr and the subclass's ``exit_code``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status of ``refkmeans`` (README's table lists them all)."""

    OK = 0
    #: A bug: an exception that is not a RefKMeansError.
    INTERNAL = 1
    USAGE = 2
    INPUT = 3
    PLUGIN = 4
    OUTPUT = 5
    EMPTY_CLUSTER = 6
    #: ``conform``: the candidate is not conformant; ``vectors --check``: out of date.
    NOT_CONFORMANT = 7
    #: Out of memory, wherever it happens (reading, clustering, a plugin, writing).
    NO_MEMORY = 8
    #: SIGHUP (128 + SIGHUP): the terminal went away; cleaned up like SIGTERM.
    HANGUP = 129
    #: Ctrl-C (the shell convention 128 + SIGINT).
    INTERRUPTED = 130
    #: SIGTERM (128 + SIGTERM), after cleaning up.
    TERMINATED = 143


class RefKMeansError(Exception):
    """Base class: a failure with a plain one-line message."""

    exit_code = ExitCode.INTERNAL


class UsageError(RefKMeansError, ValueError):
    """The caller asked for something that cannot be done (bad k, unknown name...)."""

    exit_code = ExitCode.USAGE


class ImageError(RefKMeansError, ValueError):
    """An image file is malformed, truncated, or beyond a limit."""

    exit_code = ExitCode.INPUT


class PluginError(RefKMeansError):
    """A plugin failed to load, clashed with another, or misbehaved in a hook."""

    exit_code = ExitCode.PLUGIN


class OutputError(RefKMeansError, OSError):
    """The output could not be written (exists, is a directory, disk full...)."""

    exit_code = ExitCode.OUTPUT


class EmptyClusterError(RefKMeansError):
    """A cluster went empty under the ``error`` empty-cluster policy."""

    exit_code = ExitCode.EMPTY_CLUSTER

