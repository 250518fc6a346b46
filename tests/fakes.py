"""Test doubles for the system layer: an in-memory ``CrmSystem``, simulated time, emulator admin.

``FakeSystem`` is what engine tests run against when real HTTP would only slow them down. It
keeps the promises the contract suite checks of the real adapters (``tests/contract/
test_crm_system_contract.py`` runs the same class against it): modification times that tie,
inclusive reads oldest first, case-insensitive matching, per-record results in order, and the
batch limits, which it enforces, so an engine that exceeds them fails loudly. Failures can be
planted per record, and every call is recorded.

``FakeTime`` stands in for ``time.sleep``/``time.monotonic``/the clock: sleeping is recorded
and moves time on at once (and can move an emulator's clock with it).

``EmulatorAdmin`` is a small client for the emulators' ``/__emulator__/`` API.
"""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from connector.errors import InvariantBroken
from connector.model import (
    CallStats,
    FieldInfo,
    Owner,
    Record,
    Side,
    WriteKind,
    WriteOp,
    WriteResult,
)
from connector.systems.base import SystemLimits

FAKE_LIMITS = {
    Side.SALESFORCE: SystemLimits(write_batch=200, read_page=2000, read_by_ids_batch=200),
    Side.HUBSPOT: SystemLimits(
        write_batch=100, read_page=200, read_by_ids_batch=100, search_cap=10_000
    ),
}


class FakeTime:
    """Simulated time: ``sleep`` records the wait and moves every clock on by it at once."""

    def __init__(
        self,
        start: datetime = datetime(2024, 1, 5, 10, 0, tzinfo=UTC),
        on_sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._on_sleep = on_sleep

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        if self._on_sleep is not None:
            self._on_sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)


@dataclass
class Call:
    """One method call made on a ``FakeSystem``."""

    method: str
    object: str
    count: int


@dataclass
class PlantedFailure:
    """Ops matching ``match`` fail with this code and message (``times`` times, or always)."""

    match: Callable[[WriteOp], bool]
    code: str
    message: str
    fields: tuple[str, ...] = ()
    times: int | None = None


@dataclass
class _Stored:
    fields: dict[str, Any]
    modified_at: datetime


@dataclass
class FakeSystem:
    """A dict-backed ``CrmSystem`` for one side."""

    side: Side
    clock: Callable[[], datetime] = field(default_factory=lambda: FakeTime().now)
    owners: list[Owner] = field(default_factory=list)
    schema: dict[str, list[FieldInfo]] = field(default_factory=dict)
    limits: SystemLimits = field(init=False)
    calls: list[Call] = field(default_factory=list)
    failures: list[PlantedFailure] = field(default_factory=list)
    _tables: dict[str, dict[str, _Stored]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.limits = FAKE_LIMITS[self.side]

    # -- test set-up --------------------------------------------------------------------------

    def seed(
        self, object: str, fields: Mapping[str, Any], modified_at: datetime | None = None
    ) -> str:
        """Store a record as if it had always been there; answer its new id."""
        record_id = self._new_id(object)
        self._table(object)[record_id] = _Stored(dict(fields), modified_at or self.clock())
        return record_id

    def fail(
        self,
        match: Callable[[WriteOp], bool],
        code: str,
        message: str = "refused",
        *,
        fields: Sequence[str] = (),
        times: int | None = None,
    ) -> None:
        """Plant a per-record failure for the ops ``match`` picks."""
        self.failures.append(PlantedFailure(match, code, message, tuple(fields), times))

    def stored(self, object: str, record_id: str) -> dict[str, Any] | None:
        found = self._table(object).get(record_id)
        return dict(found.fields) if found else None

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # -- CrmSystem ----------------------------------------------------------------------------

    def read_changes(
        self, object: str, fields: Sequence[str], since: datetime | None
    ) -> Iterator[Record]:
        self.calls.append(Call("read_changes", object, 0))
        rows = sorted(self._table(object).items(), key=lambda item: (item[1].modified_at, item[0]))
        for record_id, stored in rows:
            if since is None or stored.modified_at >= since:
                yield self._record(object, record_id, stored, fields)

    def read_all(
        self, object: str, fields: Sequence[str], since: datetime | None = None
    ) -> Iterator[Record]:
        self.calls.append(Call("read_all", object, 0))
        for record_id, stored in sorted(self._table(object).items()):
            if since is None or stored.modified_at >= since:
                yield self._record(object, record_id, stored, fields)

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        self._within(len(ids), self.limits.read_by_ids_batch, "read_by_ids")
        self.calls.append(Call("read_by_ids", object, len(ids)))
        table = self._table(object)
        return [self._record(object, i, table[i], fields) for i in dict.fromkeys(ids) if i in table]

    def find_by_values(
        self, object: str, field: str, values: Sequence[str], fields: Sequence[str]
    ) -> list[Record]:
        self._within(len(values), self.limits.read_by_ids_batch, "find_by_values")
        self.calls.append(Call("find_by_values", object, len(values)))
        wanted = {_key(v) for v in values if v}
        return [
            self._record(object, record_id, stored, [*fields, field])
            for record_id, stored in sorted(self._table(object).items())
            if _key(stored.fields.get(field)) in wanted
        ]

    def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        self._within(len(ops), self.limits.write_batch, "write_batch")
        objects = {op.object for op in ops}
        self.calls.append(Call("write_batch", ",".join(sorted(objects)), len(ops)))
        return [self._write(op) for op in ops]

    def describe(self, object: str) -> list[FieldInfo]:
        self.calls.append(Call("describe", object, 0))
        if object in self.schema:
            return list(self.schema[object])
        names = sorted({name for row in self._table(object).values() for name in row.fields})
        return [FieldInfo(name=name, type="string") for name in names]

    def list_owners(self) -> list[Owner]:
        self.calls.append(Call("list_owners", "", 0))
        return list(self.owners)

    def stats(self) -> CallStats:
        return CallStats(calls=len(self.calls))

    # -- inside -------------------------------------------------------------------------------

    def _write(self, op: WriteOp) -> WriteResult:
        failure = self._planted(op)
        if failure is not None:
            return WriteResult(
                op,
                ok=False,
                error_code=failure.code,
                error_message=failure.message,
                error_fields=failure.fields,
            )
        table = self._table(op.object)
        now = self.clock()
        if op.kind is WriteKind.UPDATE:
            if op.id is None or op.id not in table:
                return WriteResult(
                    op, ok=False, error_code="NOT_FOUND", error_message=f"no record {op.id}"
                )
            table[op.id].fields.update(op.fields)
            table[op.id].modified_at = now
            return WriteResult(op, ok=True, id=op.id, modified_at=now)
        if op.kind is WriteKind.UPSERT:
            if not op.key_field or not op.key_value:
                return WriteResult(op, ok=False, error_code="MISSING_ARGUMENT", error_message="key")
            for record_id, stored in table.items():
                if _key(stored.fields.get(op.key_field)) == _key(op.key_value):
                    stored.fields.update(op.fields)
                    stored.modified_at = now
                    return WriteResult(op, ok=True, id=record_id, modified_at=now)
            fields = {op.key_field: op.key_value, **op.fields}
        else:
            fields = dict(op.fields)
        record_id = self._new_id(op.object)
        table[record_id] = _Stored(fields, now)
        return WriteResult(op, ok=True, id=record_id, created=True, modified_at=now)

    def _planted(self, op: WriteOp) -> PlantedFailure | None:
        for failure in self.failures:
            if failure.times is not None and failure.times <= 0:
                continue
            if failure.match(op):
                if failure.times is not None:
                    failure.times -= 1
                return failure
        return None

    def _record(
        self, object: str, record_id: str, stored: _Stored, fields: Sequence[str]
    ) -> Record:
        values = {name: stored.fields.get(name) for name in fields}
        return Record(self.side, object, record_id, values, stored.modified_at)

    def _table(self, object: str) -> dict[str, _Stored]:
        return self._tables.setdefault(object, {})

    def _new_id(self, object: str) -> str:
        number = next(self._ids)
        if self.side is Side.SALESFORCE:
            return f"00Q{number:012d}AAA"
        return str(100_000_000_000 + number)

    def _within(self, count: int, limit: int, what: str) -> None:
        if count > limit:
            raise InvariantBroken(f"{what} given {count} items; the {self.side} limit is {limit}")


def _key(value: object) -> str | None:
    return str(value).strip().casefold() if value not in (None, "") else None


class EmulatorAdmin:
    """The ``/__emulator__/`` admin API of one running emulator."""

    def __init__(self, base_url: str, ca_path: Path) -> None:
        self.client = httpx.Client(
            base_url=f"{base_url}/__emulator__",
            verify=ssl.create_default_context(cafile=str(ca_path)),
            timeout=60.0,
        )

    def post(self, path: str, body: Any = None) -> Any:
        response = self.client.post(path, json=body if body is not None else {})
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.post("/reset")

    def seed(self, objects: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        return dict(self.post("/seed", {"objects": objects})["ids"])

    def requests(self) -> list[dict[str, Any]]:
        return list(self.get("/requests"))

    def clear_requests(self) -> None:
        self.post("/requests/clear")

    def faults(self, *rules: dict[str, Any]) -> None:
        self.post("/faults", {"rules": list(rules)})

    def calls(self, method: str, path_pattern: str) -> list[dict[str, Any]]:
        """Logged API calls with this method whose path contains ``path_pattern``."""
        return [
            entry
            for entry in self.requests()
            if entry["method"] == method and path_pattern in entry["path"]
        ]

    def close(self) -> None:
        self.client.close()
