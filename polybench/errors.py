"""Errors that reach the user as one line instead of a traceback."""


class PolybenchError(Exception):
    """A failure the user can act on; the CLI prints its message and exits 1."""

    exit_code = 1


class UsageError(PolybenchError):
    """Bad command-line input (unknown name, missing folder); exit status 2."""

    exit_code = 2


class DataError(PolybenchError):
    """Input data missing, corrupt or unreadable; the message names the file and the fix."""


class UnsupportedError(PolybenchError):
    """The framework cannot run this model in the requested mode; the message says why.
    The run is recorded as unsupported, never silently run another way."""


class DiskFullError(PolybenchError):
    """No space left on the device while writing a file; the previous file is intact."""
