"""The error tree, grouped by who has to act, and the exit code each maps to.

::

    CrmsyncError
    ├── ConfigError            exit 2  the admin fixes a file or a variable
    ├── SystemUnreachable      exit 3  the network or the service is down
    ├── CredentialsRefused     exit 3  the admin fixes the credentials
    ├── RecordRejected                 one record: dead letter, the run goes on, exit 1
    ├── Transient                      the retry layer tries again
    │   └── RateLimited                ... after the wait the service asked for
    ├── LimitExhausted         exit 3  a daily allocation is spent; resume after it resets
    └── InvariantBroken                a bug in crmsync; never caught on purpose

Messages name the file, line, key, record or field. They never carry a secret: a secret only
lives in a ``SecretStr`` and is never formatted into text.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes of every verb."""

    OK = 0
    DEAD_LETTERS = 1
    BAD_CONFIG = 2
    UNREACHABLE = 3


class CrmsyncError(Exception):
    """Base of every error crmsync raises on purpose."""

    exit_code: ExitCode = ExitCode.DEAD_LETTERS


class ConfigError(CrmsyncError):
    """A config, mapping or taxonomy file, or an environment variable, is wrong.

    ``where`` is the place ("crmsync.toml:12" or "mappings/leads.toml") and ``key`` the dotted key
    ("[hubspot] access_token_env"), so the message reads ``where: key: what was expected``.
    """

    exit_code = ExitCode.BAD_CONFIG

    def __init__(self, where: str, message: str, key: str | None = None) -> None:
        self.where = where
        self.key = key
        self.detail = message
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        super().__init__(text)


class SystemUnreachable(CrmsyncError):
    """A system (or the state database) could not be reached."""

    exit_code = ExitCode.UNREACHABLE


class CredentialsRefused(CrmsyncError):
    """A system refused the credentials it was given."""

    exit_code = ExitCode.UNREACHABLE


class LimitExhausted(CrmsyncError):
    """A daily API allocation is spent: the run stops cleanly and says when it can resume."""

    exit_code = ExitCode.UNREACHABLE

    def __init__(self, system: str, message: str, resume_after_s: float | None = None) -> None:
        self.system = system
        self.resume_after_s = resume_after_s
        super().__init__(f"{system}: {message}")


class RecordRejected(CrmsyncError):
    """One record cannot be written or mapped; it becomes a dead letter with this reason."""

    exit_code = ExitCode.DEAD_LETTERS

    def __init__(self, message: str, *, code: str = "REJECTED", field: str | None = None) -> None:
        self.code = code
        self.field = field
        super().__init__(message)


class Transient(CrmsyncError):
    """A failure that may succeed when tried again (5xx, dropped connection, lock contention)."""


class RateLimited(Transient):
    """The service asked us to slow down; ``retry_after_s`` is how long it asked for."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class InvariantBroken(CrmsyncError):
    """Something that cannot happen happened: a bug in crmsync."""
