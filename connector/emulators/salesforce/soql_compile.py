"""WHERE clauses and ORDER BY keys compiled to Python functions, once per query.

A sync reads by ``SystemModstamp >= X ORDER BY SystemModstamp, Id`` over every record of an
object, so the per-row cost is what matters. Rather than walk a tree of small closures for each
row, the filter becomes one generated list comprehension and each sort key one generated lambda,
with the common conversions (stored timestamp, id, lower-cased text) written inline.

The generated source is built only from fixed templates: field names, literals and helper
functions reach it as names bound in its namespace (``c0``, ``c1``, ...), never as text, so no
value in a query can change what the code does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from connector.emulators.salesforce.soql_dates import stamp

Row = dict[str, Any]
Getter = Callable[[Row], Any]
Filter = Callable[[Iterable[Row]], list[Row]]
SortKey = Callable[[Row], Any]

# How each category's stored value becomes comparable, with the stored form's fast path inline.
_FILTER_KEYS = {
    "text": "({v}.lower() if {v}.__class__ is str else _text({v}))",
    "id": "({v}[:15] if {v}.__class__ is str and len({v}) == 18 else _id({v}))",
    "date": "({v} if {v}.__class__ is str and len({v}) == 10 else _date({v}))",
    "datetime": "({v} if {v}.__class__ is str and len({v}) == 28 and {v}[23:] == '+0000' "
    "else stamp({v}))",
    "double": "({v} if {v}.__class__ is float or {v}.__class__ is int else _num({v}))",
    "int": "({v} if {v}.__class__ is int or {v}.__class__ is float else _num({v}))",
    "boolean": "bool({v})",
}
# Ids sort by their case-sensitive value; everything else sorts as it filters.
_SORT_KEYS = {**_FILTER_KEYS, "id": "{v}"}
_TEXTUAL = frozenset({"text", "id"})


class _Extreme:
    """Sorts before (or after) every value: where nulls go in an ORDER BY."""

    __slots__ = ("low",)

    def __init__(self, low: bool) -> None:
        self.low = low

    def __lt__(self, other: object) -> bool:
        return self.low and other is not self

    def __gt__(self, other: object) -> bool:
        return not self.low and other is not self

    def __le__(self, other: object) -> bool:
        return self.low or other is self

    def __ge__(self, other: object) -> bool:
        return not self.low or other is self

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)


LOW = _Extreme(low=True)
HIGH = _Extreme(low=False)


def text_key(value: Any) -> str:
    return str(value).lower()


def id_key(value: Any) -> str:
    text = str(value)
    return text[:15] if len(text) == 18 else text


def date_key(value: Any) -> str:
    return str(value)[:10]


def number_key(value: Any) -> float:
    # Seeded records skip validation, so a number field may hold text; unreadable text is NaN,
    # which no comparison matches.
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def value_key(category: str) -> Callable[[Any], Any]:
    """The same conversion as the inline templates, as a function (for IN lists)."""
    keys: dict[str, Callable[[Any], Any]] = {
        "text": text_key,
        "id": id_key,
        "date": date_key,
        "datetime": stamp,
        "double": number_key,
        "int": number_key,
    }
    return keys.get(category, bool)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a comparison reads its value: a field of the row, or a function following lookups."""

    name: str
    getter: Getter | None
    category: str


class Emitter:
    """Builds the source of one generated function and the namespace its names refer to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "stamp": stamp,
            "_text": text_key,
            "_id": id_key,
            "_date": date_key,
            "_num": number_key,
        }
        self.count = 0

    def bind(self, value: object) -> str:
        name = f"c{self.count}"
        self.count += 1
        self.namespace[name] = value
        return name

    def variable(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def read(self, source: Source) -> str:
        if source.getter is None:
            return f"row.get({self.bind(source.name)})"
        return f"{self.bind(source.getter)}(row)"

    # -- comparisons ---------------------------------------------------------------------

    def compare(self, source: Source, op: str, literal: Any) -> str:
        """``field op literal``; the literal is a key, a (low, high) range, or None for null."""
        v = self.variable()
        assign = f"({v} := {self.read(source)})"
        textual = source.category in _TEXTUAL
        present = f"{assign} is not None" + (f" and {v} != ''" if textual else "")
        absent = f"{assign} is None" + (f" or {v} == ''" if textual else "")
        key = _FILTER_KEYS[source.category].format(v=v)
        if literal is None:
            return f"({absent})" if op == "=" else f"({present})"
        if isinstance(literal, tuple):
            low, high = self.bind(literal[0]), self.bind(literal[1])
            # A relative date literal is a range: = inside, < before it, > after it.
            ranged = {
                "=": f"{low} <= {key} < {high}",
                "<": f"{key} < {low}",
                "<=": f"{key} < {high}",
                ">": f"{key} >= {high}",
                ">=": f"{key} >= {low}",
            }
            if op == "!=":
                return f"({absent} or not {low} <= {key} < {high})"
            return f"({present} and {ranged[op]})"
        bound = self.bind(literal)
        if op == "!=":
            # SOQL has no three-valued logic: a null field is "not equal" to any value.
            return f"({absent} or {key} != {bound})"
        python_op = "==" if op == "=" else op
        return f"({present} and {key} {python_op} {bound})"

    def member(self, source: Source, literals: list[Any], negate: bool) -> str:
        test = self.bind(membership(value_key(source.category), literals))
        return f"({'not ' if negate else ''}{test}({self.read(source)}))"

    def like(self, source: Source, pattern: str) -> str:
        match = self.bind(re.compile(pattern, re.IGNORECASE | re.DOTALL).fullmatch)
        v = self.variable()
        present = f"({v} := {self.read(source)}) is not None and {v} != ''"
        return f"({present} and {match}(str({v})) is not None)"

    def boolean(self, source: Source, wanted: frozenset[bool], negate: bool) -> str:
        # A checkbox is never null in Salesforce: a missing value reads as false.
        return f"(bool({self.read(source)}) {'not in' if negate else 'in'} {self.bind(wanted)})"

    # -- whole functions -----------------------------------------------------------------

    def filter(self, condition: str | None, include_deleted: bool) -> Filter:
        tests = [] if include_deleted else ["not row.get('IsDeleted')"]
        if condition is not None:
            tests.append(condition)
        if not tests:
            return list
        body = f"lambda rows: [row for row in rows if {' and '.join(tests)}]"
        return cast(Filter, self.function(body))

    def sort_key(self, parts: list[tuple[Source, bool]]) -> SortKey:
        """A key over ``(source, nulls_low)`` parts; ``nulls_low`` puts nulls before values."""
        exprs = []
        for source, nulls_low in parts:
            v = self.variable()
            null = self.bind(LOW if nulls_low else HIGH)
            blank = f" or {v} == ''" if source.category in _TEXTUAL else ""
            key = _SORT_KEYS[source.category].format(v=v)
            exprs.append(f"({null} if ({v} := {self.read(source)}) is None{blank} else {key})")
        body = exprs[0] if len(exprs) == 1 else f"({', '.join(exprs)})"
        return cast(SortKey, self.function(f"lambda row: {body}"))

    def function(self, source: str) -> Any:
        # Safe: ``source`` comes from the templates above; query values are namespace bindings.
        return eval(compile(source, "<soql>", "eval"), self.namespace)


def membership(key: Callable[[Any], Any], literals: list[Any]) -> Callable[[Any], bool]:
    """IN (...): a value matches a listed key, a listed range, or null if null is listed."""
    has_null = any(lit is None for lit in literals)
    keys = frozenset(lit for lit in literals if lit is not None and not isinstance(lit, tuple))
    ranges = [lit for lit in literals if isinstance(lit, tuple)]

    def test(value: Any) -> bool:
        if value is None or value == "":
            return has_null
        k = key(value)
        return k in keys or any(low <= k < high for low, high in ranges)

    return test
