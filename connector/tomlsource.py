"""TOML files as admins write them: parsed, and every error pointed at a file, a line and a key.

``tomllib`` reports syntax errors with a line and column but forgets where each key stood. Admins
need "crmsync.toml:14: [hubspot] access_token_env: ..." rather than a pydantic dump, so this
module keeps the source text and finds the line of a key path in it when validation fails.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connector.errors import ConfigError

KeyPath = Sequence[str | int]

M = TypeVar("M", bound=BaseModel)

_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_TABLE_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


@dataclass(frozen=True)
class TomlDoc:
    """A parsed TOML file and the text it came from."""

    path: Path
    text: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.path)

    def line_of(self, keys: KeyPath) -> int | None:
        """The 1-based line where ``keys`` is set, or its nearest enclosing table's header."""
        return _locate(self.text, list(keys))

    def where(self, keys: KeyPath) -> str:
        line = self.line_of(keys)
        return f"{self.name}:{line}" if line else self.name

    def error(self, keys: KeyPath, message: str) -> ConfigError:
        """A ``ConfigError`` naming this file, the line of ``keys`` and the key itself."""
        return ConfigError(self.where(keys), message, key=format_key(keys))

    def validate(self, model: type[M], data: Any | None = None) -> M:
        """Validate against ``model``; the first problem becomes a ConfigError."""
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise self.validation_error(exc) from None

    def validation_error(self, exc: ValidationError, prefix: KeyPath = ()) -> ConfigError:
        first = exc.errors(include_url=False)[0]
        keys = [*prefix, *first["loc"]]
        message = describe_problem(first)
        if first.get("type") == "extra_forbidden":
            message = f"{message[:-1]}; {self.reference_hint()})"
        return self.error(keys, message)

    def reference_hint(self) -> str:
        """Where an admin finds the keys this kind of file takes."""
        if self.path.parent.name == "mappings" or "version" in self.data:
            return f"the shipped mappings/{self.path.name} shows the keys there are"
        return "see config.example.toml for the keys there are"


def load_toml(path: Path) -> TomlDoc:
    """Read and parse ``path``; a missing file or a syntax error is a ``ConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the file ({exc.__class__.__name__})") from None
    return parse_toml(text, path)


def parse_toml(text: str, path: Path) -> TomlDoc:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _SYNTAX_POSITION.search(message)
        where = f"{path}:{match.group(1)}" if match else str(path)
        detail = _SYNTAX_POSITION.sub("", message).strip()
        col = f" (column {match.group(2)})" if match else ""
        raise ConfigError(where, f"TOML syntax error: {detail}{col}") from None
    return TomlDoc(path=path, text=text, data=data)


def format_key(keys: KeyPath) -> str:
    """``["hubspot", "access_token_env"]`` → ``[hubspot] access_token_env``."""
    if not keys:
        return ""
    *tables, last = keys
    parts: list[str] = []
    for key in tables:
        if isinstance(key, int) and parts:
            parts[-1] = f"{parts[-1]} #{key + 1}"
        else:
            parts.append(str(key))
    if isinstance(last, int):
        return f"[{'.'.join(parts)} #{last + 1}]" if parts else f"#{last + 1}"
    return f"[{'.'.join(parts)}] {last}" if parts else str(last)


def describe_problem(error: Any) -> str:
    """Say what pydantic found in words an admin reads, with what was expected."""
    kind = error.get("type", "")
    given = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "required key is missing"
    msg = str(error.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if given is not None and not isinstance(given, dict | list):
        return f"{msg} (got {given!r})"
    return msg


def _locate(text: str, keys: list[str | int]) -> int | None:
    """Best-effort line of a key path: find its table header, then the key below it."""
    names = [k for k in keys if isinstance(k, str)]
    if not names:
        return None
    lines = text.splitlines()
    # Walk down table by table: the deepest header that matches a prefix of the path.
    best_line: int | None = None
    start = 0
    depth = 0
    for cut in range(len(names), 0, -1):
        header = ".".join(names[:cut])
        index = _find_header(lines, header, keys)
        if index is not None:
            best_line, start, depth = index + 1, index + 1, cut
            break
    remaining = names[depth:]
    for name in remaining:
        found = _find_key(lines, name, start)
        if found is None:
            break
        best_line, start = found + 1, found + 1
    return best_line


def _find_header(lines: list[str], header: str, keys: list[str | int]) -> int | None:
    """The index of ``[header]``, or of the n-th ``[[header]]`` when the path carries an index."""
    wanted_index = next((k for k in keys if isinstance(k, int)), None)
    seen = 0
    for i, line in enumerate(lines):
        match = _TABLE_HEADER.match(line)
        if not match or match.group(2).replace(" ", "") != header:
            continue
        if match.group(1) == "[[":
            if wanted_index is None or seen == wanted_index:
                return i
            seen += 1
        else:
            return i
    return None


def _find_key(lines: list[str], name: str, start: int) -> int | None:
    pattern = re.compile(rf"^\s*\"?{re.escape(name)}\"?\s*=")
    for i in range(start, len(lines)):
        if _TABLE_HEADER.match(lines[i]) and i > start:
            return None
        if pattern.match(lines[i]):
            return i
    return None
