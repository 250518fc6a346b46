"""The one interface the engine knows a system by, and the limits it must respect.

No SDK is imported here: the engine depends on this Protocol alone, and each adapter
(``salesforce.py``, ``hubspot.py``) and the in-memory fake of the tests implement it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from connector.model import CallStats, FieldInfo, Owner, Record, Side, WriteOp, WriteResult


@dataclass(frozen=True)
class SystemLimits:
    """Sizes a system imposes; the engine batches to these and never beyond."""

    write_batch: int
    read_page: int
    read_by_ids_batch: int
    search_cap: int | None = None
    # Calls the engine may have in flight at once (the batches of one chunk): enough to hide
    # latency, few enough that a service's rate window, not a flood, paces them.
    in_flight: int = 1


class CrmSystem(Protocol):
    """A CRM or marketing system seen as records, changes and batched writes."""

    side: Side
    limits: SystemLimits

    def read_changes(
        self, object: str, fields: Sequence[str], since: datetime | None
    ) -> Iterator[Record]:
        """Records of ``object`` modified at or after ``since`` (all when ``None``), oldest first.

        Inclusive on purpose: the caller dedupes ties with its cursor's ``seen_ids``.
        """
        ...

    def read_all(
        self, object: str, fields: Sequence[str], since: datetime | None = None
    ) -> Iterator[Record]:
        """Every record of ``object`` (modified at or after ``since`` if given), streamed."""
        ...

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The records with these ids; missing ids are simply absent from the answer."""
        ...

    def find_by_values(
        self, object: str, field: str, values: Sequence[str], fields: Sequence[str]
    ) -> list[Record]:
        """Records whose ``field`` equals one of ``values`` (e-mail matching; case-insensitive)."""
        ...

    def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Write up to ``limits.write_batch`` ops of one object; one result per op, in order."""
        ...

    def describe(self, object: str) -> list[FieldInfo]:
        """The fields of ``object`` as the system describes them."""
        ...

    def list_owners(self) -> list[Owner]:
        """Users (Salesforce) or owners (HubSpot) who can own records."""
        ...

    def stats(self) -> CallStats:
        """API calls spent so far by this adapter."""
        ...


T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split ``items`` into lists of at most ``size``."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
