"""What a real org refuses on create and update, refused the same way.

Two kinds of refusal, as in the real API. A body that cannot be read into the object (an
unknown field, a value of the wrong JSON type) fails the whole request with HTTP 400. A record
that reads fine but breaks a rule (a required field left blank, a value too long, a bad e-mail,
a value outside a restricted picklist, a field that cannot be written, a broken reference)
fails on its own, with the error in its save result, so its siblings in a collection go on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.emulators.salesforce import ids
from connector.emulators.salesforce.errors import (
    RequestFailed,
    SfError,
    invalid_field,
    json_parse_error,
    malformed_id,
    not_writable,
    required_missing,
)
from connector.emulators.salesforce.schema import FieldDef, ObjectDef
from connector.emulators.salesforce.store import RecordStore, Row
from connector.emulators.salesforce.timestamps import format_datetime, parse_date, parse_datetime

# Salesforce's e-mail check is permissive about the local part and strict about the domain.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Keys a record may carry besides fields: the type marker and, in collections, its id.
_META_KEYS = frozenset({"attributes"})


@dataclass
class Checked:
    """A body read into field values, and the first rule it breaks (``None`` if it is fine)."""

    values: dict[str, Any]
    error: SfError | None = None


def read_body(obj: ObjectDef, body: Mapping[str, Any], *, allow_id: bool = False) -> dict[str, Any]:
    """Read a JSON body into ``{canonical field: value}``; unreadable bodies fail the request.

    Values are coerced as the real deserializer does (a number sent as a string is read as a
    number, ``""`` is null); values that cannot be read at all raise ``JSON_PARSER_ERROR``.
    """
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key in _META_KEYS:
            continue
        f = obj.field(key)
        if f is None:
            raise RequestFailed(400, [invalid_field(key, obj.name)])
        if f.type == "id" and allow_id:
            continue
        values[f.name] = _coerce(f, raw)
    return values


def _coerce(f: FieldDef, raw: Any) -> Any:
    if raw is None:
        # A checkbox has no null: clearing it unchecks it.
        return False if f.type == "boolean" else None
    if isinstance(raw, (dict, list)):
        raise RequestFailed(400, [json_parse_error(_java_type(f), raw)])
    if f.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise RequestFailed(400, [json_parse_error("boolean", raw)])
    if f.type in ("double", "currency", "percent", "int"):
        return _number(f, raw)
    if f.type == "date":
        if isinstance(raw, str) and parse_date(raw) is not None:
            return raw
        raise RequestFailed(400, [json_parse_error("date", raw)])
    if f.type == "datetime":
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
        if parsed is None:
            raise RequestFailed(400, [json_parse_error("datetime", raw)])
        return format_datetime(parsed)
    text = raw if isinstance(raw, str) else _json_scalar_text(raw)
    return text or None


def _json_scalar_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _number(f: FieldDef, raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise RequestFailed(400, [json_parse_error(_java_type(f), raw)])
    if isinstance(raw, (int, float)):
        number = float(raw)
    else:
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise RequestFailed(400, [json_parse_error(_java_type(f), raw)]) from None
    if math.isnan(number) or math.isinf(number):
        raise RequestFailed(400, [json_parse_error(_java_type(f), raw)])
    if f.type == "int":
        return int(number)
    return round(number, f.scale)


def _java_type(f: FieldDef) -> str:
    return {"int": "int", "boolean": "boolean", "date": "date", "datetime": "datetime"}.get(
        f.type, "double" if f.type in ("double", "currency", "percent") else "string"
    )


def check(
    store: RecordStore,
    obj: ObjectDef,
    values: dict[str, Any],
    existing: Row | None,
) -> SfError | None:
    """The first rule ``values`` break when creating (``existing`` None) or updating a record."""
    creating = existing is None
    if creating and "Id" in values:
        return SfError(
            "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ("Id",)
        )
    locked = [
        name
        for name in values
        if not ((f := obj.field(name)) and (f.createable if creating else f.updateable))
    ]
    if locked:
        return not_writable(locked)
    for name, value in values.items():
        f = obj.field(name)
        if f is None or value is None:
            continue
        error = _check_value(store, f, value)
        if error is not None:
            return error
    missing = _missing(obj, values, existing)
    if missing:
        return required_missing(missing)
    return None


def _check_value(store: RecordStore, f: FieldDef, value: Any) -> SfError | None:
    if f.type in ("double", "currency", "percent"):
        integer_digits = f.precision - f.scale
        if abs(value) >= 10**integer_digits:
            return SfError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {value}",
                (f.name,),
            )
        return None
    if f.type == "reference":
        return _check_reference(store, f, value)
    if not isinstance(value, str):
        return None
    if f.length and len(value) > f.length:
        return SfError(
            "STRING_TOO_LONG",
            f"{f.label}: data value too large: {value} (max length={f.length})",
            (f.name,),
        )
    if f.type == "email" and not _EMAIL.match(value):
        return SfError(
            "INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {value}", (f.name,)
        )
    if f.type == "picklist" and f.restricted and not f.allows(value):
        return SfError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{f.label}: bad value for restricted picklist field: {value}",
            (f.name,),
        )
    return None


def _check_reference(store: RecordStore, f: FieldDef, value: Any) -> SfError | None:
    text = str(value)
    canonical = ids.normalize(text)
    if canonical is None:
        return malformed_id(f.label, text, f.name)
    target = store.object_of(canonical)
    if target is None or target.name not in f.reference_to:
        return SfError(
            "FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {text}", (f.name,)
        )
    row = store.find(target.name, canonical)
    if row is None:
        return SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    if row.get("IsDeleted"):
        return SfError("ENTITY_IS_DELETED", "entity is deleted")
    return None


def _missing(obj: ObjectDef, values: Mapping[str, Any], existing: Row | None) -> list[str]:
    missing = []
    for f in obj.fields:
        if f.nillable or f.type == "boolean":
            continue
        if existing is None:
            if f.required and values.get(f.name) is None:
                missing.append(f.name)
        elif f.name in values and values[f.name] is None:
            missing.append(f.name)
    return missing


def canonical_reference(value: Any) -> Any:
    """References are stored as 18-character ids whatever form was written."""
    if isinstance(value, str):
        return ids.normalize(value) or value
    return value
