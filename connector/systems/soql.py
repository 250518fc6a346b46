"""SOQL text built from names and values, with no way for a value to become query syntax.

Values are quoted and escaped by simple-salesforce's ``quote_soql_value`` (backslash, quotes,
control characters), datetimes are written as UTC literals, and names (objects, fields,
relationship paths) must look like Salesforce API names, since SOQL cannot quote them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from simple_salesforce.format import quote_soql_value

from connector.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$")


def name(value: str) -> str:
    """An object, field or relationship path, refused unless it is a plain API name."""
    if not _NAME.match(value):
        raise ConfigError("Salesforce", f"'{value}' is not a Salesforce object or field name")
    return value


def literal(value: Any) -> str:
    """A value as a SOQL literal: strings quoted and escaped, datetimes in UTC to the second."""
    if isinstance(value, datetime):
        instant = value if value.tzinfo else value.replace(tzinfo=UTC)
        # SOQL datetime literals take no fraction; Salesforce keeps system stamps to the second,
        # so dropping the fraction of an inclusive lower bound never skips a record.
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "(" + ",".join(literal(item) for item in value) + ")"
    return str(quote_soql_value(value))


def select(
    object_name: str,
    fields: Sequence[str],
    where: str | None = None,
    order_by: Sequence[str] = (),
) -> str:
    """``SELECT fields FROM object [WHERE ...] [ORDER BY ...]``.

    ``where`` must be built by ``condition``/``literal``, never from raw input.
    """
    text = f"SELECT {', '.join(name(f) for f in fields)} FROM {name(object_name)}"
    if where:
        text += f" WHERE {where}"
    if order_by:
        text += f" ORDER BY {', '.join(name(f) for f in order_by)}"
    return text


def condition(field: str, operator: str, value: Any) -> str:
    """One comparison, such as ``SystemModstamp >= 2024-01-05T10:11:12Z``."""
    if operator not in {"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"}:
        raise ValueError(f"unsupported SOQL operator {operator!r}")
    return f"{name(field)} {operator} {literal(value)}"
