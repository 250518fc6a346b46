"""The parsed form of a SOQL query: what was asked, with where each part sits in the text.

Every node keeps its offset in the query text, because every error Salesforce answers about a
query (unknown field, wrong literal type, bad id) points a caret at the offending spot. Nodes are
frozen and hashable, so a parsed query can be cached by its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN"]


@dataclass(frozen=True, slots=True)
class Path:
    """A field reference as written: ``Email``, ``Owner.Email``, ``ConvertedOpportunity.Name``."""

    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class StringValue:
    """A quoted string; ``pattern`` is its LIKE reading (``%`` and ``_`` as wildcards)."""

    value: str
    pattern: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class NumberValue:
    """An unquoted number, integral or decimal."""

    value: int | float
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class BoolValue:
    """``true`` or ``false``."""

    value: bool
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class NullValue:
    """``null``."""

    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date literal; ``iso`` is ``YYYY-MM-DD``, the way dates are stored."""

    iso: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class DateTimeValue:
    """A datetime literal; ``stamp`` is the instant in the stored form, in UTC, to the ms."""

    stamp: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class DateConstant:
    """A relative date range such as ``TODAY`` or ``LAST_N_DAYS:30`` (``n`` for the latter)."""

    name: str
    n: int | None
    text: str
    pos: int


Value = StringValue | NumberValue | BoolValue | NullValue | DateValue | DateTimeValue | DateConstant


@dataclass(frozen=True, slots=True)
class Comparison:
    """``path op value``; ``values`` holds one value, or the list of an IN / NOT IN."""

    path: Path
    op: Operator
    values: tuple[Value, ...]
    op_pos: int


@dataclass(frozen=True, slots=True)
class And:
    """Every item holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one item holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The item does not hold."""

    item: Condition


Condition = Comparison | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY key; nulls come first unless ``nulls_last`` (the default for DESC)."""

    path: Path
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    """A parsed SELECT. ``fields`` are the select items as written (paths, or ``FIELDS(ALL)``).

    ``text`` and the positions are kept for error messages; ``count_only`` is ``SELECT COUNT()``.
    """

    object_name: str
    fields: tuple[str, ...]
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    count_only: bool
    text: str = ""
    object_pos: int = 0
    field_positions: tuple[int, ...] = ()
