"""The record store of one object type: records, their indexes, and what search can see.

A portal holds up to 100,000 contacts in memory, so everything a hot path looks up is indexed:
ids (a dict, in id order), e-mail and every ``hasUniqueValue`` property (dicts of live values),
and the modification time (a sorted list of ``(ms, id)`` pairs, for searches windowed on
``lastmodifieddate``, the way connectors must read past the 10,000-result cap).

Search lags writes on a real portal ("a few moments", HubSpot/hubspot-api-php#59; integrators
report up to 30 s). With a lag configured, every write keeps the record's earlier versions
until they are older than the lag, and search answers from the version that was current
``lag`` milliseconds ago.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from connector.emulators.hubspot.schema import LAST_MODIFIED, ObjectType, PropertyDef
from connector.emulators.hubspot.values import (
    format_instant,
    parse_instant_text,
    parse_number_text,
)


class Version(Protocol):
    """A record as search sees it: the live record, or an earlier ``View`` of it."""

    @property
    def id(self) -> int: ...
    @property
    def properties(self) -> Mapping[str, str]: ...
    @property
    def numbers(self) -> Mapping[str, float]: ...
    @property
    def archived(self) -> bool: ...
    @property
    def created_ms(self) -> int: ...
    @property
    def updated_ms(self) -> int: ...


@dataclass(frozen=True)
class View:
    """A frozen earlier version of a record, kept while search still lags behind it."""

    id: int
    properties: Mapping[str, str]
    numbers: Mapping[str, float]
    archived: bool
    created_ms: int
    updated_ms: int


@dataclass
class StoredRecord:
    """A CRM record: only set properties are kept; ``numbers`` mirrors the numeric ones."""

    id: int
    properties: dict[str, str]
    numbers: dict[str, float]
    created_ms: int
    updated_ms: int
    archived: bool = False
    archived_ms: int | None = None
    versions: list[tuple[int, View]] = field(default_factory=list)

    def view(self) -> View:
        return View(
            self.id,
            dict(self.properties),
            dict(self.numbers),
            self.archived,
            self.created_ms,
            self.updated_ms,
        )


class IdSequence:
    """Record ids shared by every object type of a portal, large like real ones."""

    def __init__(self, start: int = 100_000_000_001) -> None:
        self._next = start

    def take(self) -> int:
        value = self._next
        self._next += 1
        return value

    def observe(self, used: int) -> None:
        """Never hand out an id a seed already used."""
        self._next = max(self._next, used + 1)


class ObjectStore:
    """Records of one object type with their lookup indexes."""

    def __init__(
        self,
        object_type: ObjectType,
        schema: Mapping[str, PropertyDef],
        ids: IdSequence,
    ) -> None:
        self.object_type = object_type
        self.schema = schema
        self.ids = ids
        self.last_modified = LAST_MODIFIED[object_type]
        self.records: dict[int, StoredRecord] = {}
        self.by_email: dict[str, int] = {}
        self.by_unique: dict[str, dict[str, int]] = {}
        self.by_modified: list[tuple[int, int]] = []
        self.recent: dict[int, None] = {}
        self.lag_ms = 0
        self._ordered = True
        self._order_cache: tuple[list[int], list[StoredRecord]] | None = None

    # -- lookups -----------------------------------------------------------------------

    def get(self, record_id: int) -> StoredRecord | None:
        return self.records.get(record_id)

    def find_by(self, property_name: str, value: str) -> StoredRecord | None:
        """The live record holding ``value`` in an identifying property, if any."""
        if property_name == "hs_object_id":
            try:
                record = self.records.get(int(value))
            except ValueError:
                return None
            return record if record and not record.archived else None
        if property_name == "email":
            found = self.by_email.get(value.strip().lower())
        else:
            found = self.by_unique.get(property_name, {}).get(value)
        return self.records.get(found) if found is not None else None

    def ordered(self) -> list[StoredRecord]:
        """Every record in id order (the order of list endpoints and unsorted searches)."""
        return self._order()[1]

    def ordered_from(self, first_id: int) -> Iterator[StoredRecord]:
        """Records with ids from ``first_id`` on, in id order."""
        keys, records = self._order()
        start = bisect.bisect_left(keys, first_id)
        return (records[index] for index in range(start, len(records)))

    def _order(self) -> tuple[list[int], list[StoredRecord]]:
        if self._order_cache is None:
            if not self._ordered:
                self.records = dict(sorted(self.records.items()))
                self._ordered = True
            self._order_cache = (list(self.records), list(self.records.values()))
        return self._order_cache

    def modified_between(self, low: int | None, high: int | None) -> Iterator[int]:
        """Ids whose current modification time is within ``[low, high]``, oldest first."""
        start = 0 if low is None else bisect.bisect_left(self.by_modified, (low, -1))
        if high is None:
            stop = len(self.by_modified)
        else:
            stop = bisect.bisect_right(self.by_modified, (high, 1 << 62))
        for index in range(start, stop):
            yield self.by_modified[index][1]

    # -- search visibility -------------------------------------------------------------

    def settle(self, now_ms: int) -> None:
        """Forget versions that every search can now see past."""
        horizon = now_ms - self.lag_ms
        for record_id in list(self.recent):
            record = self.records.get(record_id)
            if record is None:
                del self.recent[record_id]
                continue
            if record.updated_ms > horizon and self.lag_ms > 0:
                break
            record.versions.clear()
            del self.recent[record_id]

    def visible(self, record: StoredRecord, now_ms: int) -> Version | None:
        """What search sees of ``record`` now, or ``None`` if it is not indexed yet."""
        if record.id not in self.recent:
            return record
        horizon = now_ms - self.lag_ms
        seen: Version | None = None
        for at_ms, version in record.versions:
            if at_ms > horizon:
                break
            seen = version
        return seen

    # -- writes ------------------------------------------------------------------------

    def create(
        self,
        values: Mapping[str, str],
        now_ms: int,
        record_id: int | None = None,
        created_ms: int | None = None,
        updated_ms: int | None = None,
        track: bool = True,
    ) -> StoredRecord:
        """Store a new record; the server-maintained properties are set here."""
        if record_id is None:
            record_id = self.ids.take()
        else:
            self.ids.observe(record_id)
            if self.records and record_id < next(reversed(self.records)):
                self._ordered = False
        created = now_ms if created_ms is None else created_ms
        updated = created if updated_ms is None else updated_ms
        record = StoredRecord(record_id, {}, {}, created, updated)
        properties = {key: value for key, value in values.items() if value != ""}
        properties["hs_object_id"] = str(record_id)
        properties["createdate"] = format_instant(created)
        properties[self.last_modified] = format_instant(updated)
        for name, value in properties.items():
            self._set(record, name, value)
        self.records[record_id] = record
        self._order_cache = None
        bisect.insort(self.by_modified, (updated, record_id))
        if track and self.lag_ms > 0:
            self._remember(record, updated)
        return record

    def update(self, record: StoredRecord, changes: Mapping[str, str | None], now_ms: int) -> None:
        """Apply changes (``None`` or ``""`` clears) and move the modification time."""
        if self.lag_ms > 0 and not record.versions:
            self._keep_settled(record)
        for name, value in changes.items():
            if value is None or value == "":
                self._clear(record, name)
            else:
                self._set(record, name, value)
        self._touch(record, now_ms)

    def archive(self, record: StoredRecord, now_ms: int) -> None:
        if record.archived:
            return
        if self.lag_ms > 0 and not record.versions:
            self._keep_settled(record)
        record.archived = True
        record.archived_ms = now_ms
        self._unindex_identity(record)
        self._touch(record, now_ms)

    def _touch(self, record: StoredRecord, now_ms: int) -> None:
        """Move the modification time; only live records stay in the time index."""
        old = (record.updated_ms, record.id)
        position = bisect.bisect_left(self.by_modified, old)
        if position < len(self.by_modified) and self.by_modified[position] == old:
            del self.by_modified[position]
        record.updated_ms = now_ms
        self._set(record, self.last_modified, format_instant(now_ms))
        if not record.archived:
            bisect.insort(self.by_modified, (now_ms, record.id))
        if self.lag_ms > 0:
            self._remember(record, now_ms)

    def _keep_settled(self, record: StoredRecord) -> None:
        """Keep what search sees of a settled record before it changes.

        Search already shows a settled record's current state, whatever its modification
        time, so that version stays visible (from the epoch) until the new one settles.
        """
        record.versions.append((0, record.view()))

    def _remember(self, record: StoredRecord, at_ms: int) -> None:
        record.versions.append((at_ms, record.view()))
        self.recent.pop(record.id, None)
        self.recent[record.id] = None

    def _set(self, record: StoredRecord, name: str, value: str) -> None:
        if not record.archived:
            if name == "email" and self.object_type == "contacts":
                previous = record.properties.get("email")
                if previous is not None and self.by_email.get(previous.lower()) == record.id:
                    del self.by_email[previous.lower()]
                self.by_email[value.lower()] = record.id
            definition = self.schema.get(name)
            if definition is not None and definition.has_unique_value:
                index = self.by_unique.setdefault(name, {})
                previous = record.properties.get(name)
                if previous is not None and index.get(previous) == record.id:
                    del index[previous]
                index[value] = record.id
        record.properties[name] = value
        number = self._number(name, value)
        if number is None:
            record.numbers.pop(name, None)
        else:
            record.numbers[name] = number

    def _clear(self, record: StoredRecord, name: str) -> None:
        previous = record.properties.pop(name, None)
        record.numbers.pop(name, None)
        if previous is None:
            return
        if name == "email" and self.by_email.get(previous.lower()) == record.id:
            del self.by_email[previous.lower()]
        index = self.by_unique.get(name)
        if index is not None and index.get(previous) == record.id:
            del index[previous]

    def _unindex_identity(self, record: StoredRecord) -> None:
        email = record.properties.get("email")
        if email is not None and self.by_email.get(email.lower()) == record.id:
            del self.by_email[email.lower()]
        for name, index in self.by_unique.items():
            value = record.properties.get(name)
            if value is not None and index.get(value) == record.id:
                del index[value]

    def _number(self, name: str, value: str) -> float | None:
        definition = self.schema.get(name)
        if definition is None:
            return None
        if definition.type == "number":
            return parse_number_text(value)
        if definition.type in ("date", "datetime"):
            ms = parse_instant_text(value)
            return None if ms is None else float(ms)
        return None

    def reindex_numbers(self, name: str) -> None:
        """Recompute a property's numeric view after its definition appeared or changed."""
        for record in self.records.values():
            value = record.properties.get(name)
            if value is not None:
                number = self._number(name, value)
                if number is not None:
                    record.numbers[name] = number
