"""The errors that end a command, and the exit code each one gives.

Exit codes (the contract scripts rely on): 0 success; 1 the hub refused or could not be reached, or the
user declined a confirmation (the message is printed on stderr); 2 a usage error (the parser's own, and
``UsageError`` raised by our commands: contradictory options, a prompt needed without a terminal).
"""

from __future__ import annotations

EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report on stderr with exit code 1 (never a traceback)."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HubError(CliError):
    """The hub answered with an error status; ``message`` is its X-Error-Message (or body ``error``)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class UsageError(CliError):
    """Wrong use of a command found after parsing (exit code 2).

    Not click's UsageError: typer may bundle its own copy of click, whose handler would not know ours.
    """

    exit_code = EXIT_USAGE
