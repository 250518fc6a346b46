"""``--seed FILE``: an admin seed file read and checked before any of it reaches an emulator.

The file is JSON, ``{"salesforce": {"objects": {...}}, "hubspot": {"objects": {...}}}``, each part
in the format of that emulator's ``POST /__emulator__/seed``. A mistake is reported with the file,
the line and column, the key path, and what was expected there, because the person reading it is
editing the file by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from connector.emulators.demo.salesforce_ids import KEY_PREFIXES
from connector.errors import ConfigError

SALESFORCE_OBJECTS: Final = tuple(KEY_PREFIXES)
HUBSPOT_OBJECTS: Final = ("owners", "contacts", "deals")
_SHAPE: Final = (
    'an object {"salesforce": {"objects": {"Lead": [...], ...}}, '
    '"hubspot": {"objects": {"contacts": [...], ...}}}'
)

KeyPath = list[str | int]


def load_seed_file(path: Path) -> dict[str, Any]:
    """Read and check a seed file; answer ``{"salesforce": {...}, "hubspot": {...}}``.

    A part left out of the file is answered as ``{"objects": {}}``. Every problem is a
    ``ConfigError`` whose place is ``file:line`` and whose message names the column.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), f"seed file not found; expected {_SHAPE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            str(path), f"cannot read the seed file ({exc.__class__.__name__})"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}",
            f"JSON syntax error: {exc.msg} (column {exc.colno}); expected {_SHAPE}",
        ) from None
    return _SeedChecker(path, text).check(data)


class _SeedChecker:
    """Walks the parsed file; on the first problem, finds where it stands in the text."""

    def __init__(self, path: Path, text: str) -> None:
        self._path = path
        self._text = text

    def check(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self._error([], f"expected {_SHAPE}, found {_kind(data)}")
        unknown = [key for key in data if key not in ("salesforce", "hubspot")]
        if unknown:
            raise self._error(
                [unknown[0]], 'unknown part; expected "salesforce" and/or "hubspot"', at_key=True
            )
        if not data:
            raise self._error([], f"the file seeds nothing; expected {_SHAPE}")
        return {
            "salesforce": self._part(data, "salesforce", SALESFORCE_OBJECTS),
            "hubspot": self._part(data, "hubspot", HUBSPOT_OBJECTS),
        }

    def _part(self, data: dict[str, Any], system: str, known: tuple[str, ...]) -> dict[str, Any]:
        if system not in data:
            return {"objects": {}}
        part = data[system]
        expected = f'{{"objects": {{"{known[0]}": [...], ...}}}}'
        if not isinstance(part, dict):
            raise self._error([system], f"expected {expected}, found {_kind(part)}")
        extra = [key for key in part if key != "objects"]
        if extra:
            raise self._error(
                [system, extra[0]], 'unknown key; expected only "objects"', at_key=True
            )
        objects = part.get("objects", {})
        if not isinstance(objects, dict):
            raise self._error(
                [system, "objects"], f"expected an object of record lists, found {_kind(objects)}"
            )
        for name, records in objects.items():
            where: KeyPath = [system, "objects", name]
            if name not in known:
                raise self._error(
                    where, f"unknown object; expected one of {', '.join(known)}", at_key=True
                )
            if not isinstance(records, list):
                raise self._error(where, f"expected a list of records, found {_kind(records)}")
            for index, record in enumerate(records):
                self._record(system, name, [*where, index], record)
        return {"objects": objects}

    def _record(self, system: str, name: str, where: KeyPath, record: Any) -> None:
        if not isinstance(record, dict):
            raise self._error(where, f"expected a record (an object), found {_kind(record)}")
        if system == "hubspot" and name != "owners":
            properties = record.get("properties")
            if not isinstance(properties, dict):
                raise self._error(
                    where,
                    'expected {"properties": {...}}, found '
                    + ("no properties" if properties is None else _kind(properties)),
                )
        if system == "hubspot" and name == "owners":
            owner_id = record.get("id")
            if owner_id is not None and not (isinstance(owner_id, str) and owner_id.isdigit()):
                raise self._error([*where, "id"], "expected an owner id as a string of digits")

    def _error(self, keys: KeyPath, message: str, at_key: bool = False) -> ConfigError:
        """The error, placed at the value of ``keys`` (or at the key itself, for unknown keys)."""
        line, column = _position(self._text, keys, at_key)
        key = _format_key(keys) or None
        return ConfigError(f"{self._path}:{line}", f"{message} (column {column})", key=key)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number"
    )


def _format_key(keys: KeyPath) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


_WHITESPACE: Final = " \t\r\n"


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def _position(text: str, keys: KeyPath, at_key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at ``keys`` (or its key) in a valid JSON text.

    ``json`` forgets positions once parsing succeeded, so this walks the text again, skipping
    every sibling value with the standard decoder. Only called on an error, so speed is moot.
    """
    decoder = json.JSONDecoder()
    at = _skip(text, 0)
    for step, key in enumerate(keys, start=1):
        at = _enter(text, at, key, decoder, at_key and step == len(keys))
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def _enter(
    text: str, at: int, key: str | int, decoder: json.JSONDecoder, at_key: bool = False
) -> int:
    """Where member ``key`` of the object or array at ``at`` starts (its value, or its key)."""
    opener = text[at]
    at = _skip(text, at + 1)
    index = 0
    while at < len(text) and text[at] not in "]}":
        if opener == "{":
            name_at = at
            name, at = decoder.raw_decode(text, at)
            at = _skip(text, _skip(text, at) + 1)  # past the colon
            if name == key:
                return name_at if at_key else at
        elif index == key:
            return at
        _, at = decoder.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        index += 1
    return at
