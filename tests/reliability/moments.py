"""Crash moments: which API call of which run a process dies at, and how, chosen from a seed.

A moment names a command (``sync``, ``backfill``, ``backfill --resume``), the system and the
call (method, path, and its ordinal ``n`` among the run's calls to that path), and a mode:

- ``before``: the call is held by the emulator and the process is killed while it waits; the
  call is never applied (the emulator drops it once the hold ends);
- ``lost``: the emulator applies the call while the process is frozen (SIGSTOP) and answers
  into a process that never reads the answer; then SIGKILL. The emulator delays a call before
  its handler runs, and a handler whose client is already gone gets no body (the write is not
  applied), so the freeze is what lets a write land whose answer is lost;
- ``after``: the call is answered; the process is killed at its very next API call to either
  system, before that call is applied. After a chunk's last write the next call is the next
  chunk's first read, so these moments fall between chunk commits too.

Candidates come from a reference run of the same command on the same data: every call it made,
in each mode that applies (``lost`` only for writes that wrote records, ``after`` only when
the same system was called again later). ``choose`` picks from them with ``random.Random(seed)``:
one moment per (kind of call, mode) stratum, the strata that matter most first (``tier``),
then at random.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from connector.model import Side
from tests.e2e.sync.harness import is_write


class Mode(StrEnum):
    """How the process dies at its moment."""

    BEFORE = "before"
    LOST = "lost"
    AFTER = "after"


@dataclass(frozen=True)
class Moment:
    """One crash moment: the ``n``-th ``method path`` call to ``side`` in a ``command`` run."""

    command: tuple[str, ...]
    side: Side
    method: str
    path: str
    n: int
    mode: Mode
    kind: str

    @property
    def pattern(self) -> str:
        """The fault rule's path regex: this exact path."""
        return f"^{re.escape(self.path)}$"

    @property
    def is_write(self) -> bool:
        return is_write({"method": self.method, "path": self.path})

    def label(self) -> str:
        return f"{self.side.value} {self.method} {short_path(self.path)} #{self.n}"

    def sort_key(self) -> tuple[str, ...]:
        return (
            " ".join(self.command),
            self.side.value,
            self.path,
            self.method,
            f"{self.n:06d}",
            self.mode.value,
        )


def short_path(path: str) -> str:
    """A path without its API version prefix, for tables."""
    for prefix in ("/services/data/", "/crm/v3/objects/", "/crm/v3/", "/crm/v4/"):
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if prefix == "/services/data/":
                rest = rest.split("/", 1)[1] if "/" in rest else rest
            return rest.rstrip("/")
    return path


def call_kind(side: Side, method: str, path: str, query: str = "") -> str:
    """What a call does, in the suite's vocabulary (the strata moments are chosen over).

    Salesforce reads all go to ``/query``; their SOQL (in ``query``) tells them apart. HubSpot's
    reads of partners by id and its e-mail matches are both ``batch/read`` with the difference
    in the body, which the request log does not keep: they are one kind.
    """
    if side is Side.SALESFORCE:
        if "/oauth2/" in path or "/Soap/" in path:
            return "sf-login"
        if "/composite/sobjects/" in path and method == "PATCH":
            return "sf-upsert"
        if path.rstrip("/").endswith("/composite/sobjects"):
            return "sf-update" if method == "PATCH" else "sf-create"
        if "/query" in path:
            return _soql_kind(" ".join(parse_qs(query).get("q", [])))
        return "sf-other"
    if "/owners" in path:
        return "hs-owners"
    if path.endswith("/search"):
        return "hs-search"
    if "/batch/" in path:
        return "hs-" + path.rsplit("/", 1)[1]
    if method == "GET":
        return "hs-list"
    return "hs-other"


def _soql_kind(soql: str) -> str:
    if "COUNT()" in soql:
        return "sf-count"
    if " FROM User" in soql:
        return "sf-owners"
    if "ORDER BY SystemModstamp" in soql:
        return "sf-changes"
    if " WHERE Id IN " in soql:
        return "sf-by-id"
    if " IN (" in soql:
        return "sf-match"
    # A whole object in id order (a backfill), or the next page of any query.
    return "sf-all"


def candidates(
    command: Sequence[str], calls: Mapping[Side, Sequence[Mapping[str, Any]]]
) -> list[Moment]:
    """Every moment a run that makes ``calls`` offers (``calls``: each system's request log)."""
    found: list[Moment] = []
    for side, log in calls.items():
        seen: Counter[tuple[str, str]] = Counter()
        for index, call in enumerate(log):
            method, path = str(call["method"]), str(call["path"])
            seen[(method, path)] += 1
            kind = call_kind(side, method, path, str(call.get("query", "")))
            before = Moment(
                tuple(command), side, method, path, seen[(method, path)], Mode.BEFORE, kind
            )
            found.append(before)
            if is_write(call) and 200 <= int(call["status"]) < 300 and int(call["records"]) > 0:
                found.append(replace(before, mode=Mode.LOST))
            if index < len(log) - 1:
                found.append(replace(before, mode=Mode.AFTER))
    return found


# How a run reads a side's records (its changes, or everything for a backfill) ...
SIDE_READS = frozenset({"sf-changes", "sf-all", "hs-search", "hs-list"})
# ... and how it reads the partners of those records, by id or by e-mail.
PARTNER_READS = frozenset({"sf-match", "sf-by-id", "hs-read"})


def tier(moment: Moment) -> int:
    """Which pass of ``choose`` covers a moment's stratum; lower passes come first.

    0: every write in every mode (never applied, applied with its answer lost, answered), and
    each side's read and each partner or e-mail read killed while held; 1: right after a
    read, and the login, owners and counts killed while held; 2: the rest.
    """
    reads = SIDE_READS | PARTNER_READS
    if moment.is_write or (moment.kind in reads and moment.mode is Mode.BEFORE):
        return 0
    if moment.kind in reads or moment.mode is Mode.BEFORE:
        return 1
    return 2


def choose(pool: Iterable[Moment], count: int, rng: random.Random) -> list[Moment]:
    """``count`` distinct moments: one per (kind, mode) stratum, pass by pass, then any."""
    shuffled = sorted(pool, key=Moment.sort_key)
    rng.shuffle(shuffled)
    chosen: list[Moment] = []
    strata: set[tuple[str, Mode]] = set()
    for level in range(3):
        for moment in shuffled:
            stratum = (moment.kind, moment.mode)
            if tier(moment) == level and stratum not in strata and len(chosen) < count:
                chosen.append(moment)
                strata.add(stratum)
    for moment in shuffled:
        if len(chosen) >= count:
            break
        if moment not in chosen:
            chosen.append(moment)
    return chosen
