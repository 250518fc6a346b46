r"""SOQL tokens, and the error Salesforce answers when a query is wrong, caret and all.

Salesforce reports every query error as a code plus a message that quotes the offending part of
the query, puts a caret under the spot, and names its row and column::

    \nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' ...

The quoted part is a window of the offending line, not the whole query: it starts at the first
token at least 30 characters before the spot and ends with the first token reaching 30 characters
past it (read off recorded Salesforce errors). ``SoqlError.at`` builds exactly that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ErrorCode = Literal[
    "MALFORMED_QUERY",
    "INVALID_FIELD",
    "INVALID_TYPE",
    "INVALID_QUERY_FILTER_OPERATOR",
    "NUMBER_OUTSIDE_VALID_RANGE",
]

TokenKind = Literal["ident", "string", "number", "date", "datetime", "op", "punct", "eof"]

# How far the quoted window of an error message reaches on each side of the caret.
_WINDOW = 30
# Anything that reads as one word to a person: quoted strings, names, paths, numbers, dates.
_SPAN = re.compile(r"'(?:\\.|[^'\\])*'?|[\w.:+\-]+|[<>!]=|<>|\S")

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})(?![\w:.])"
)
_DATETIME_START = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:.])")
_DATE_PREFIX = re.compile(r"\d{4}-\d")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OP = re.compile(r"!=|<>|<=|>=|=|<|>")
_SPACE = re.compile(r"\s+")

# The escape sequences SOQL defines inside a quoted string; \% and \_ only mean something to LIKE.
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}


class SoqlError(Exception):
    """A query Salesforce would refuse: ``code`` is its errorCode, ``message`` its text."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: ErrorCode = code
        self.message = message

    @classmethod
    def at(cls, code: ErrorCode, text: str, pos: int, detail: str) -> SoqlError:
        """The error with Salesforce's located message for the spot ``pos`` of ``text``."""
        return cls(code, located(text, pos, detail))


def located(text: str, pos: int, detail: str) -> str:
    """Salesforce's message layout: a window of the line, a caret, the row and column, detail."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    spot = pos - line_start
    spans = [(m.start(), m.end()) for m in _SPAN.finditer(line)]
    before = [start for start, _ in spans if start < spot]
    first = next(
        (s for s in reversed(before) if spot - s >= _WINDOW), before[0] if before else spot
    )
    last = spot
    for start, end in spans:
        if start >= spot:
            last = end
            if end >= spot + _WINDOW:
                break
    row = text.count("\n", 0, pos) + 1
    return (
        f"\n{line[first:last]}\n{' ' * (spot - first)}^\n"
        f"ERROR at Row:{row}:Column:{spot + 1}\n{detail}"
    )


@dataclass(frozen=True, slots=True)
class Token:
    r"""One token: its kind, its source text and where it sits; strings carry their decoding.

    ``value`` is a string literal with its escapes resolved (``\%`` read as ``%``); ``pattern``
    is the same literal as a regular expression for LIKE, where ``%`` and ``_`` are wildcards
    unless escaped; ``like_escape`` says the literal used ``\%`` or ``\_``, which SOQL allows
    in a LIKE pattern only.
    """

    kind: TokenKind
    text: str
    start: int
    value: str = ""
    pattern: str = ""
    like_escape: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def keyword(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``eof`` token; raises MALFORMED_QUERY on junk."""
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while pos < size:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        char = text[pos]
        if char == "'":
            token = _string(text, pos)
        elif char.isdigit() or (char in "+-" and text[pos + 1 : pos + 2].isdigit()):
            token = _numeric(text, pos)
        elif char.isalpha() or char == "_":
            match = _IDENT.match(text, pos)
            assert match is not None
            token = Token("ident", match.group(), pos)
        elif char in "(),:":
            token = Token("punct", char, pos)
        else:
            match = _OP.match(text, pos)
            if match is None:
                raise _no_viable(text, pos)
            token = Token("op", match.group(), pos)
        tokens.append(token)
        pos = token.end
    tokens.append(Token("eof", "", size))
    return tokens


def _numeric(text: str, pos: int) -> Token:
    match = _DATETIME.match(text, pos)
    if match:
        return Token("datetime", match.group(), pos)
    partial = _DATETIME_START.match(text, pos)
    if partial:
        # A datetime with its time zone missing or mangled: Salesforce's lexer gives up where
        # the text stops making sense.
        raise _no_viable(text, partial.end())
    match = _DATE.match(text, pos)
    if match:
        return Token("date", match.group(), pos)
    match = _NUMBER.match(text, pos)
    if match and not _DATE_PREFIX.match(text, pos):
        return Token("number", match.group(), pos)
    stop = pos + 1
    while stop < len(text) and (text[stop].isdigit() or text[stop] == "-"):
        stop += 1
    raise _no_viable(text, stop)


def _string(text: str, start: int) -> Token:
    decoded: list[str] = []
    pattern: list[str] = []
    like_escape = False
    pos = start + 1
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "'":
            return Token(
                "string",
                text[start : pos + 1],
                start,
                value="".join(decoded),
                pattern="".join(pattern),
                like_escape=like_escape,
            )
        if char == "\\":
            escape = text[pos + 1 : pos + 2]
            if escape in ("%", "_"):
                like_escape = True
                decoded.append(escape)
                pattern.append(re.escape(escape))
                pos += 2
                continue
            if escape.lower() == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[pos + 2 : pos + 6]):
                char = chr(int(text[pos + 2 : pos + 6], 16))
                pos += 6
            elif escape.lower() in _ESCAPES or escape in _ESCAPES:
                char = _ESCAPES.get(escape, _ESCAPES.get(escape.lower(), ""))
                pos += 2
            else:
                end = text.find("'", pos + 2)
                literal = text[start : size if end < 0 else end + 1]
                raise SoqlError.at(
                    "MALFORMED_QUERY",
                    text,
                    start,
                    f"Invalid string literal {literal}. Illegal character sequence "
                    f"'\\{escape}' in string literal.",
                )
            decoded.append(char)
            pattern.append(re.escape(char))
            continue
        decoded.append(char)
        pattern.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        pos += 1
    raise SoqlError.at(
        "MALFORMED_QUERY",
        text,
        size,
        f"line {text.count(chr(10), 0, size) + 1}:{_column0(text, size)} "
        "mismatched character '<EOF>' expecting '''",
    )


def _no_viable(text: str, pos: int) -> SoqlError:
    char = text[pos] if pos < len(text) else "<EOF>"
    row = text.count("\n", 0, pos) + 1
    return SoqlError.at(
        "MALFORMED_QUERY",
        text,
        pos,
        f"line {row}:{_column0(text, pos)} no viable alternative at character '{char}'",
    )


def _column0(text: str, pos: int) -> int:
    return pos - (text.rfind("\n", 0, pos) + 1)
