"""The registry of transform names, and compiling one name into a function for one direction."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.model import Side
from connector.transforms.builtin import (
    blank_to_null,
    boolean,
    date_as_datetime,
    date_only,
    datetime_utc,
    integer,
    number,
    owner_by_email,
    text,
    truncate,
    value_map,
)
from connector.transforms.context import Transform, TransformContext, ValueMaps
from connector.transforms.rejections import TransformSpecError

Builder = Callable[[Side, str | None, ValueMaps], Transform]


@dataclass(frozen=True)
class TransformDef:
    """One named transform: what it does, whether it takes ``:argument``, how to build it."""

    name: str
    summary: str
    build: Builder
    argument: str | None = None
    argument_required: bool = False
    translates: bool = False


def _no_arg(fn: Callable[[Side], Transform]) -> Builder:
    return lambda target, arg, maps: fn(target)


def _zone_arg(fn: Callable[[Side, tzinfo | None], Transform]) -> Builder:
    return lambda target, arg, maps: fn(target, _zone(arg) if arg else None)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformSpecError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)"
        ) from None


def _truncate_arg(target: Side, arg: str | None, maps: ValueMaps) -> Transform:
    if arg is None or not arg.isdigit() or int(arg) < 1:
        raise TransformSpecError(
            f"truncate needs a positive whole number, e.g. truncate:80 (got {arg!r})"
        )
    return truncate(int(arg))


def _value_map_arg(target: Side, arg: str | None, maps: ValueMaps) -> Transform:
    if arg is None or arg not in maps:
        known = ", ".join(sorted(maps)) or "none defined"
        raise TransformSpecError(
            f"value_map:{arg or ''} names no [value_maps.{arg or 'NAME'}] table in this file "
            f"(defined: {known})"
        )
    return value_map(arg, maps[arg], target)


REGISTRY: Mapping[str, TransformDef] = MappingProxyType(
    {
        d.name: d
        for d in (
            TransformDef(
                "trim", "strip spaces at both ends", _no_arg(lambda t: text("trim", str.strip))
            ),
            TransformDef("lower", "lower-case text", _no_arg(lambda t: text("lower", str.lower))),
            TransformDef("upper", "upper-case text", _no_arg(lambda t: text("upper", str.upper))),
            TransformDef("title", "Title-Case Text", _no_arg(lambda t: text("title", str.title))),
            TransformDef(
                "blank_to_null", "empty text becomes no value", _no_arg(lambda t: blank_to_null)
            ),
            TransformDef("number", "a number (text in HubSpot)", _no_arg(number)),
            TransformDef("integer", "a whole number; a fraction is rejected", _no_arg(integer)),
            TransformDef("boolean", "true/false (yes/no, 1/0 accepted)", _no_arg(boolean)),
            TransformDef("date", "a calendar date, YYYY-MM-DD", _no_arg(date_only)),
            TransformDef(
                "datetime",
                "an instant in UTC; datetime:ZONE reads offset-less values in ZONE",
                _zone_arg(datetime_utc),
                argument="ZONE",
            ),
            TransformDef(
                "date_as_datetime",
                "a Salesforce date as a HubSpot datetime at midnight UTC",
                _zone_arg(date_as_datetime),
                argument="ZONE",
            ),
            TransformDef(
                "value_map",
                "translate values through [value_maps.NAME] (Salesforce = HubSpot)",
                _value_map_arg,
                argument="NAME",
                argument_required=True,
                translates=True,
            ),
            TransformDef(
                "truncate", "cut text to N characters", _truncate_arg, "N", argument_required=True
            ),
            TransformDef(
                "owner_by_email",
                "Salesforce user id ↔ HubSpot owner id, matched by e-mail",
                _no_arg(owner_by_email),
                translates=True,
            ),
        )
    }
)


def known_transforms() -> tuple[str, ...]:
    return tuple(REGISTRY)


def translates(spec: str) -> bool:
    """Whether a (valid) transform turns one system's vocabulary into the other's.

    ``value_map`` and ``owner_by_email`` do; the others only format a value, so applying them to
    a value already in the target's form gives that value's canonical form.
    """
    definition = REGISTRY.get(spec.strip().partition(":")[0])
    return definition is not None and definition.translates


def compile_transform(spec: str, target: Side, value_maps: ValueMaps | None = None) -> Transform:
    """``"truncate:80"`` → the function that applies it on the way to ``target``.

    Raises :class:`TransformSpecError` for an unknown name or a bad argument.
    """
    name, sep, arg = spec.strip().partition(":")
    definition = REGISTRY.get(name)
    if definition is None:
        hint = difflib.get_close_matches(name, REGISTRY, n=1)
        did_you_mean = f"did you mean '{hint[0]}'? " if hint else ""
        raise TransformSpecError(
            f"unknown transform '{spec}' ({did_you_mean}known: {', '.join(REGISTRY)})"
        )
    if sep and definition.argument is None:
        raise TransformSpecError(f"transform '{name}' takes no argument (got '{spec}')")
    if definition.argument_required and not arg:
        raise TransformSpecError(
            f"transform '{name}' needs an argument: {name}:{definition.argument}"
        )
    return definition.build(target, arg or None, value_maps or {})


def chain(transforms: Sequence[Transform]) -> Transform:
    """Apply ``transforms`` in order."""

    def chained(value: Any, ctx: TransformContext) -> Any:
        for transform in transforms:
            value = transform(value, ctx)
        return value

    return chained
