"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form.

An id is a 3-character key prefix naming the object (``00Q`` Lead, ``003`` Contact, ...), a
2-character pod code, one reserved character and a 9-character base-62 record number. The
18-character form appends a 3-character checksum that encodes which of the first 15 characters
are upper case, so the id survives case-insensitive systems (spreadsheets, some databases).
The API always answers 18-character ids and accepts either form.
"""

from __future__ import annotations

import itertools
import re
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_ID15 = re.compile(r"^[0-9A-Za-z]{15}$")
_ID18 = re.compile(r"^[0-9A-Za-z]{15}[A-Z0-5a-z]{3}$")

# The emulator's own "pod" code; real ids carry the instance that created them here.
POD = "Em"


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character id."""
    suffix = []
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, char in enumerate(chunk) if char.isupper())
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to_18(id15: str) -> str:
    return id15 + checksum(id15)


def normalize(text: str) -> str | None:
    """The canonical 18-character id for a 15- or 18-character id, or ``None`` if malformed.

    An 18-character id is case-insensitive: its suffix says which letters are upper case, so
    ``001em0000000001aaa`` and ``001Em0000000001AAA`` name the same record.
    """
    if _ID15.match(text):
        return to_18(text)
    if not _ID18.match(text):
        return None
    suffix = text[15:].upper()
    chars = list(text[:15])
    for block, code in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.index(code)
        for offset in range(5):
            index = block * 5 + offset
            upper = bool(bits & (1 << offset))
            if upper and not chars[index].isalpha():
                return None
            chars[index] = chars[index].upper() if upper else chars[index].lower()
    id15 = "".join(chars)
    return id15 + suffix


def to_15(id18: str) -> str:
    return id18[:15]


def key_prefix(record_id: str) -> str:
    return record_id[:3]


def encode62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    if number:
        raise ValueError("number too large for the id width")
    return "".join(reversed(digits))


class IdFactory:
    """Hands out fresh ids per key prefix, in increasing order (so ids sort by creation)."""

    def __init__(self, start: int = 1) -> None:
        self._start = start
        self._counters: dict[str, itertools.count[int]] = {}

    def new(self, prefix: str) -> str:
        counter = self._counters.setdefault(prefix, itertools.count(self._start))
        return to_18(f"{prefix}{POD}0{encode62(next(counter), 9)}")
