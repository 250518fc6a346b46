"""The one definition of a sales-ready lead: fit criteria and an engagement threshold.

``mappings/lead_definition.toml`` holds it; the connector evaluates it against a HubSpot
contact's properties and moves matching prospects to ``mql`` in both systems. Every criterion
must hold (they are ANDed), and a verdict says which ones failed, for ``--dry-run`` and reports.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.tomlsource import KeyPath, TomlDoc, load_toml
from connector.transforms import comparable, is_blank, number_text

SUPPORTED_VERSION = 1

Scalar = str | int | float | bool


class Operator(StrEnum):
    """What a criterion checks of its property."""

    NOT_BLANK = "not_blank"
    EQUALS = "equals"
    IN = "in"
    NOT_IN = "not_in"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    CONTAINS = "contains"


class CriterionSpec(BaseModel):
    """One ``[engagement]`` or ``[[fit]]`` table: a property and exactly one operator."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    property: str
    not_blank: Literal[True] | None = None
    equals: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    at_least: float | None = None
    at_most: float | None = None
    contains: str | None = None


class LeadDefinitionSpec(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    engagement: CriterionSpec
    fit: tuple[CriterionSpec, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Whether a contact is sales-ready; ``reasons`` name each criterion that failed."""

    matches: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    """A compiled criterion: ``check`` answers ``None`` when it holds, else why not."""

    property: str
    operator: Operator
    operand: Any
    check: Callable[[Any], str | None]

    def describe(self) -> str:
        if self.operator is Operator.NOT_BLANK:
            return f"{self.property} is not blank"
        return f"{self.property} {self.operator.value.replace('_', ' ')} {self.operand!r}"


@dataclass(frozen=True)
class LeadDefinition:
    """The compiled definition; ``evaluate`` is pure."""

    path: Path
    version: int
    engagement: Criterion
    fit: tuple[Criterion, ...]

    def criteria(self) -> tuple[Criterion, ...]:
        return (*self.fit, self.engagement)

    def properties(self) -> tuple[str, ...]:
        """The HubSpot properties the definition reads, so the engine fetches them."""
        return tuple(dict.fromkeys(c.property for c in self.criteria()))

    def evaluate(self, properties: Mapping[str, Any]) -> Verdict:
        failures = tuple(
            failure
            for criterion in self.criteria()
            if (failure := criterion.check(properties.get(criterion.property))) is not None
        )
        return Verdict(matches=not failures, reasons=failures)


def load_lead_definition(
    path: Path, known_properties: Collection[str] | None = None
) -> LeadDefinition:
    """Read and compile a lead definition file.

    A criterion on a property outside ``known_properties`` (when given, e.g. HubSpot's property
    list) is a ``ConfigError`` naming file, line and key.
    """
    doc = load_toml(path)
    spec = doc.validate(LeadDefinitionSpec)
    if spec.version != SUPPORTED_VERSION:
        raise doc.error(
            ["version"],
            f"unsupported version {spec.version} (this crmsync reads version {SUPPORTED_VERSION})",
        )
    known = frozenset(known_properties) if known_properties is not None else None
    engagement = _compile(doc, ["engagement"], spec.engagement, known)
    fit = tuple(_compile(doc, ["fit", i], c, known) for i, c in enumerate(spec.fit))
    return LeadDefinition(path=path, version=spec.version, engagement=engagement, fit=fit)


_OPERAND_KEYS = {op: ("in_" if op is Operator.IN else op.value) for op in Operator}


def _compile(
    doc: TomlDoc, keys: KeyPath, spec: CriterionSpec, known: frozenset[str] | None
) -> Criterion:
    where = [*keys]
    if known is not None and spec.property not in known:
        hint = difflib.get_close_matches(spec.property, known, n=1)
        did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
        raise doc.error(
            [*where, "property"], f"unknown HubSpot property '{spec.property}'{did_you_mean}"
        )
    given = [op for op in Operator if getattr(spec, _OPERAND_KEYS[op]) is not None]
    if not given:
        names = ", ".join(op.value for op in Operator)
        raise doc.error(
            [*where, "property"], f"say what to check of '{spec.property}': one of {names}"
        )
    if len(given) > 1:
        raise doc.error(
            [*where, given[1].value],
            f"one check per criterion (found {given[0].value} and {given[1].value}); "
            "split them into two [[fit]] tables",
        )
    operator = given[0]
    operand = getattr(spec, _OPERAND_KEYS[operator])
    return Criterion(spec.property, operator, operand, _checker(spec.property, operator, operand))


def _fold(value: Any) -> str | None:
    text = comparable(value)
    return text.casefold() if text is not None else None


def _number(value: Any) -> Decimal | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _checker(name: str, operator: Operator, operand: Any) -> Callable[[Any], str | None]:
    """Case-insensitive text checks and numeric thresholds, with the failure in words."""

    def shown(value: Any) -> str:
        return "blank" if is_blank(value) else repr(value)

    if operator is Operator.NOT_BLANK:
        return lambda value: f"{name} is blank" if is_blank(value) else None
    if operator in (Operator.AT_LEAST, Operator.AT_MOST):
        limit = Decimal(str(operand))
        at_least = operator is Operator.AT_LEAST
        need = f"needs at least {operand:g}" if at_least else f"needs at most {operand:g}"

        def threshold(value: Any) -> str | None:
            number = _number(value)
            if number is None:
                return f"{name} is {shown(value)}, not a number; {need}"
            ok = number >= limit if at_least else number <= limit
            return None if ok else f"{name} is {number_text(number)}, {need}"

        return threshold
    if operator is Operator.EQUALS:
        expected = _fold(operand)
        return lambda value: (
            None if _fold(value) == expected else f"{name} is {shown(value)}, must be {operand!r}"
        )
    if operator in (Operator.IN, Operator.NOT_IN):
        options = frozenset(_fold(o) for o in operand)
        listed = ", ".join(repr(o) for o in operand)
        if operator is Operator.IN:
            return lambda value: (
                None
                if _fold(value) in options
                else f"{name} is {shown(value)}, must be one of {listed}"
            )
        return lambda value: (
            f"{name} is {shown(value)}, must not be one of {listed}"
            if _fold(value) in options
            else None
        )
    needle = str(operand).casefold()
    return lambda value: (
        None
        if not is_blank(value) and needle in str(value).casefold()
        else f"{name} is {shown(value)}, must contain {operand!r}"
    )
