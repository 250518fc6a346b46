"""Search filters: the operators HubSpot accepts and how each one matches a record.

Comparisons are typed by the property definition: ``number``, ``date`` and ``datetime``
properties compare numerically (instants as epoch milliseconds, given as digits or ISO 8601
text); text compares ignore case; enumeration values are compared exactly as stored.
``CONTAINS_TOKEN`` matches whole words of the value, with ``*`` as a wildcard, as the search
guide describes. A property the portal does not have matches nothing.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connector.emulators.hubspot.errors import validation_error
from connector.emulators.hubspot.schema import PropertyDef
from connector.emulators.hubspot.store import ObjectStore, Version
from connector.emulators.hubspot.values import parse_instant_text, parse_number_text

OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)

# Properties the free-text ``query`` looks in, per the search guide.
Predicate = Callable[[Version], bool]
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Filter:
    """One filter of a search request, as sent."""

    property_name: str
    operator: str
    value: Any = None
    high_value: Any = None
    values: tuple[Any, ...] = ()


class Compiler:
    """Turns filters into predicates over a record version, typed by the schema."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def group(self, filters: Iterable[Filter]) -> Predicate:
        predicates = [self.one(item) for item in filters]
        if len(predicates) == 1:
            return predicates[0]
        return lambda view: all(predicate(view) for predicate in predicates)

    def one(self, item: Filter) -> Predicate:
        name, op = item.property_name, item.operator
        definition = self.store.schema.get(name)
        if op == "HAS_PROPERTY":
            return lambda view: name in view.properties
        if op == "NOT_HAS_PROPERTY":
            return lambda view: name not in view.properties
        if definition is None:
            # A property the portal does not have matches nothing (NEQ and NOT_* everything).
            negative = op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
            return lambda view: negative
        if definition.type in ("number", "date", "datetime"):
            return self._numeric(definition, item)
        return self._textual(definition, item)

    def _numeric(self, definition: PropertyDef, item: Filter) -> Predicate:
        name, op = definition.name, item.operator

        def number(raw: object) -> float:
            text = str(raw).strip()
            if definition.type == "number":
                parsed = parse_number_text(text)
            else:
                ms = parse_instant_text(text)
                parsed = None if ms is None else float(ms)
            if parsed is None:
                raise validation_error(f"{raw} was not a valid long.", {"propertyName": [name]})
            return parsed

        if op in ("IN", "NOT_IN"):
            wanted = {number(value) for value in item.values}
            if op == "IN":
                return lambda view: view.numbers.get(name) in wanted
            return lambda view: view.numbers.get(name) not in wanted
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            return self._textual(definition, item)
        low = number(item.value)
        if op == "BETWEEN":
            high = number(item.high_value)
            return lambda view: _within(view.numbers.get(name), low, high)
        compare: dict[str, Callable[[float], bool]] = {
            "EQ": lambda v: v == low,
            "LT": lambda v: v < low,
            "LTE": lambda v: v <= low,
            "GT": lambda v: v > low,
            "GTE": lambda v: v >= low,
        }
        if op == "NEQ":
            return lambda view: view.numbers.get(name) != low
        check = compare[op]

        def predicate(view: Version) -> bool:
            value = view.numbers.get(name)
            return value is not None and check(value)

        return predicate

    def _textual(self, definition: PropertyDef, item: Filter) -> Predicate:
        name, op = definition.name, item.operator
        # Text compares ignore case; enumeration values are compared as stored.
        fold: Callable[[str], str] = (
            (lambda text: text) if definition.type == "enumeration" else str.lower
        )
        if op in ("IN", "NOT_IN"):
            wanted = {fold(str(value)) for value in item.values}
            inside = op == "IN"

            def in_values(view: Version) -> bool:
                value = view.properties.get(name)
                return (value is not None and fold(value) in wanted) == inside

            return in_values
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = str(item.value).lower()
            positive = op == "CONTAINS_TOKEN"

            def tokens(view: Version) -> bool:
                value = view.properties.get(name)
                return (value is not None and _has_token(value, pattern)) == positive

            return tokens
        target = fold(str(item.value if item.value is not None else ""))
        if op == "BETWEEN":
            high = fold(str(item.high_value))
            return lambda view: _within_text(view.properties.get(name), fold, target, high)
        checks: dict[str, Callable[[str], bool]] = {
            "EQ": lambda v: v == target,
            "NEQ": lambda v: v != target,
            "LT": lambda v: v < target,
            "LTE": lambda v: v <= target,
            "GT": lambda v: v > target,
            "GTE": lambda v: v >= target,
        }
        check = checks[op]
        if op == "NEQ":
            return lambda view: (
                view.properties.get(name) is None or check(fold(view.properties[name]))
            )

        def predicate(view: Version) -> bool:
            value = view.properties.get(name)
            return value is not None and check(fold(value))

        return predicate


def _within(value: float | None, low: float, high: float) -> bool:
    return value is not None and low <= value <= high


def _within_text(value: str | None, fold: Callable[[str], str], low: str, high: str) -> bool:
    return value is not None and low <= fold(value) <= high


def _has_token(value: str, pattern: str) -> bool:
    """HubSpot's token match: whole words of the value, ``*`` as a wildcard."""
    lowered = value.lower()
    if pattern == lowered:
        return True
    words = [word for word in _TOKEN_SPLIT.split(lowered) if word]
    if "*" in pattern:
        return fnmatch.fnmatchcase(lowered, pattern) or any(
            fnmatch.fnmatchcase(word, pattern) for word in words
        )
    return pattern in words
