"""Salesforce record ids: key prefixes, the 15-character form and its 18-character case-safe twin.

A Salesforce id is case-sensitive in its 15-character form. The API answers the 18-character form,
which appends three characters encoding where the upper-case letters are, so that tools that fold
case (spreadsheets, some databases) can still tell ids apart. Emulated records must carry ids
whose suffix is right, or a connector that restores or compares ids would be tested against a lie.
"""

from __future__ import annotations

import random
import string
from typing import Final

KEY_PREFIXES: Final[dict[str, str]] = {
    "User": "005",
    "Lead": "00Q",
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
}

# Salesforce numbers records in base 62, digits first, then upper case, then lower case.
_BASE62: Final = string.digits + string.ascii_uppercase + string.ascii_lowercase
# Each 5-bit chunk of the case-safe suffix indexes this 32-character alphabet.
_SUFFIX_ALPHABET: Final = string.ascii_uppercase + "012345"
_ALPHANUMERIC: Final = frozenset(_BASE62)


def case_safe_id(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id.

    Each block of five characters contributes one suffix character: bit ``i`` is set when the
    block's ``i``-th character is an upper-case letter. An 18-character input is recomputed from
    its first 15 characters, so a wrong suffix is corrected rather than passed on.
    """
    if len(record_id) not in (15, 18) or not _ALPHANUMERIC.issuperset(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r} (expected 15 or 18 letters/digits)")
    stem = record_id[:15]
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for offset, char in enumerate(stem[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        suffix += _SUFFIX_ALPHABET[bits]
    return stem + suffix


def is_case_safe_id(record_id: str) -> bool:
    """True for an 18-character id whose suffix matches its first 15 characters."""
    if len(record_id) != 18:
        return False
    try:
        return case_safe_id(record_id) == record_id
    except ValueError:
        return False


def object_of(record_id: str) -> str | None:
    """The object an id belongs to, by key prefix (None for a prefix not in ``KEY_PREFIXES``)."""
    prefix = record_id[:3]
    for name, known in KEY_PREFIXES.items():
        if known == prefix:
            return name
    return None


def _base62(number: int, width: int) -> str:
    digits: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits)).rjust(width, "0")


class SalesforceIds:
    """Hands out unique 18-character ids per object, deterministically for a given ``rng``.

    The layout follows real ids: key prefix (3), instance (2), a reserved ``0``, then a 9-character
    base-62 record number. Each object's numbers start at a random offset large enough to mix
    letter cases, so the case-safe suffix is exercised rather than always ``AAA``.
    """

    INSTANCE: Final = "Dm"

    def __init__(self, rng: random.Random) -> None:
        self._next: dict[str, int] = {name: rng.randrange(62**5, 62**6) for name in KEY_PREFIXES}

    def new(self, object_name: str) -> str:
        number = self._next[object_name]
        self._next[object_name] = number + 1
        stem = f"{KEY_PREFIXES[object_name]}{self.INSTANCE}0{_base62(number, 9)}"
        return case_safe_id(stem)
