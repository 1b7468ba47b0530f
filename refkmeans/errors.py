"""One error hierarchy for everything refkmeans reports to a user.

Every failure that crosses a boundary (a codec, the command line, plugin
loading) becomes a :class:`RefKMeansError` with a one-line message.  The CLI
turns it into that line on stderr and the subclass's ``exit_code``.
"""

from __future__ import annotations


class RefKMeansError(Exception):
    """Base class: a failure with a plain one-line message."""

    exit_code = 1


class UsageError(RefKMeansError, ValueError):
    """The caller asked for something that cannot be done (bad k, unknown name...)."""

    exit_code = 2


class ImageError(RefKMeansError, ValueError):
    """An image file is malformed, truncated, or beyond a limit."""

    exit_code = 3


class PluginError(RefKMeansError):
    """A plugin failed to load, clashed with another, or misbehaved in a hook."""

    exit_code = 4


class OutputError(RefKMeansError, OSError):
    """The output could not be written (exists, is a directory, disk full...)."""

    exit_code = 5


class EmptyClusterError(RefKMeansError):
    """A cluster went empty under the ``error`` empty-cluster policy."""

    exit_code = 6


#: Exit code for a run stopped by Ctrl-C (the shell convention 128 + SIGINT).
EXIT_INTERRUPTED = 130
#: Exit code for a run stopped by SIGTERM (128 + SIGTERM), after cleaning up.
EXIT_TERMINATED = 143
