"""What a transform raises: a record's value it cannot convert, or a wrong name in a file.

A bad value is the record's problem (a ``RecordRejected``: dead letter, the run goes on); a bad
transform name or argument is the file's (the mapping compiler turns it into a ``ConfigError``).
"""

from __future__ import annotations

from connector.errors import RecordRejected


class ValueRejected(RecordRejected):
    """A record's value cannot be converted; the message names the value and what was expected."""

    default_code = "BAD_VALUE"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, code=self.default_code, field=field)
        self.detail = message

    def for_field(self, field: str, context: str) -> ValueRejected:
        """The same problem, naming the ``field`` it was found in; ``context`` leads the message."""
        clone = type(self)(f"{context}: {self.detail}", field=field)
        clone.detail = self.detail
        return clone


class UnmappedValue(ValueRejected):
    """A value has no counterpart in a value map or the taxonomy: never written through."""

    default_code = "UNMAPPED_VALUE"


class OwnerNotMatched(ValueRejected):
    """An owner has no counterpart with the same e-mail in the other system: not guessed."""

    default_code = "OWNER_NOT_MATCHED"


class TransformSpecError(ValueError):
    """A transform name or argument in a mapping file is wrong (the caller adds file and line)."""
