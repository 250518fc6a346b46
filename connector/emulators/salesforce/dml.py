"""Record writes as the org performs them: create, update, upsert and delete, with rollback.

Each write validates, fills what the server fills (defaults, the owner, ``Name``, ``IsWon``,
created/modified stamps) and records how to undo itself in a ``Transaction``, so an
``allOrNone`` collection can roll every change back when one record fails. Deletes only flag
``IsDeleted`` (the recycle bin), as ``queryAll`` and ``/deleted`` expect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connector.emulators.salesforce import ids
from connector.emulators.salesforce.default_schema import CLOSED_STAGES
from connector.emulators.salesforce.errors import (
    CONVERTED_LEAD,
    LOCKED,
    SfError,
    duplicate_value,
    malformed_id,
)
from connector.emulators.salesforce.schema import FieldDef, ObjectDef
from connector.emulators.salesforce.store import RecordStore, Row
from connector.emulators.salesforce.validation import canonical_reference, check

_PERSON_OBJECTS = frozenset({"Lead", "Contact", "User"})
_BOOLEAN_DEFAULTS = {("User", "IsActive"): True}


@dataclass
class Outcome:
    """The result of one record's write: its id, or the error that stopped it."""

    id: str | None
    error: SfError | None = None
    created: bool = False

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass
class Transaction:
    """The undo steps of the writes made so far, newest last."""

    _undo: list[Callable[[], object]] = field(default_factory=list)

    def on_rollback(self, step: Callable[[], object]) -> None:
        self._undo.append(step)

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()


class RowLocks:
    """Records whose next writes fail with ``UNABLE_TO_LOCK_ROW`` (set through the admin API)."""

    def __init__(self) -> None:
        self._remaining: dict[str, int] = {}

    def lock(self, record_id: str, count: int) -> None:
        self._remaining[record_id] = count

    def take(self, record_id: str) -> bool:
        left = self._remaining.get(record_id, 0)
        if left <= 0:
            return False
        if left == 1:
            del self._remaining[record_id]
        else:
            self._remaining[record_id] = left - 1
        return True


class Dml:
    """Validated writes against one store."""

    def __init__(self, store: RecordStore, locks: RowLocks) -> None:
        self.store = store
        self.locks = locks
        self._defaults: dict[str, dict[str, Any]] = {}

    # -- create ------------------------------------------------------------------------------
    def create(self, obj: ObjectDef, values: dict[str, Any], tx: Transaction) -> Outcome:
        error = check(self.store, obj, values, None) or self._duplicate(obj, values, None)
        if error is not None:
            return Outcome(None, error)
        table = self.store.tables[obj.name.lower()]
        row = table.blank()
        record_id = self.store.new_id(obj)
        self.fill_defaults(obj, row)
        for name, value in values.items():
            f = obj.field(name)
            if value is None and f is not None and f.defaulted_on_create:
                continue  # a null for a server-defaulted field leaves the default in place
            row[name] = self._stored(f, value)
        now = self.store.stamp()
        row.update(Id=record_id, CreatedDate=now, LastModifiedDate=now, SystemModstamp=now)
        self._set_if_present(obj, row, "CreatedById", self.store.api_user_id)
        self._set_if_present(obj, row, "LastModifiedById", self.store.api_user_id)
        derive(obj, row)
        self.store.insert(obj.name, row)
        tx.on_rollback(lambda: self.store.remove(obj.name, record_id))
        return Outcome(record_id, created=True)

    # -- update ------------------------------------------------------------------------------
    def update(
        self, obj: ObjectDef, record_id: str, values: dict[str, Any], tx: Transaction
    ) -> Outcome:
        row, error = self._writable_row(obj, record_id)
        if row is None:
            return Outcome(record_id, error)
        error = check(self.store, obj, values, row) or self._duplicate(obj, values, row["Id"])
        if error is not None:
            return Outcome(row["Id"], error)
        self.apply(obj, row, values, tx)
        return Outcome(row["Id"])

    def apply(
        self,
        obj: ObjectDef,
        row: Row,
        values: dict[str, Any],
        tx: Transaction,
        *,
        by: str | None = None,
    ) -> Row:
        """Write ``values`` over ``row`` unjudged, stamping the change (also for admin edits)."""
        new = dict(row)
        for name, value in values.items():
            new[name] = self._stored(obj.field(name), value)
        now = self.store.stamp()
        new["LastModifiedDate"] = now
        new["SystemModstamp"] = now
        self._set_if_present(obj, new, "LastModifiedById", by or self.store.api_user_id)
        derive(obj, new)
        old = self.store.replace(obj.name, new)
        tx.on_rollback(lambda: self.store.replace(obj.name, old))
        return new

    # -- upsert ------------------------------------------------------------------------------
    def upsert(
        self,
        obj: ObjectDef,
        key: FieldDef,
        key_value: str,
        values: dict[str, Any],
        tx: Transaction,
    ) -> Outcome:
        """Create or update by an external id; the caller has ruled out multiple matches."""
        matches = self.matches(obj, key, key_value)
        values = dict(values)
        if not matches:
            if key.type != "id":
                values[key.name] = key_value
            return self.create(obj, values, tx)
        values.pop(key.name, None)
        outcome = self.update(obj, matches[0], values, tx)
        return outcome

    def matches(self, obj: ObjectDef, key: FieldDef, key_value: str) -> list[str]:
        if key.type == "id":
            row = self.store.get(obj.name, key_value)
            return [row["Id"]] if row else []
        return self.store.tables[obj.name.lower()].find_by(key, key_value)

    # -- delete ------------------------------------------------------------------------------
    def delete(self, obj: ObjectDef, record_id: str, tx: Transaction) -> Outcome:
        row, error = self._writable_row(obj, record_id, deleting=True)
        if row is None:
            return Outcome(record_id, error)
        if not obj.deletable:
            return Outcome(
                row["Id"], SfError("INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted")
            )
        new = dict(row)
        now = self.store.stamp()
        new["IsDeleted"] = True
        new["SystemModstamp"] = now
        old = self.store.replace(obj.name, new)
        self.store.log_delete(obj.name, row["Id"], now)

        def undo() -> None:
            self.store.replace(obj.name, old)
            self.store.unlog_delete(obj.name, old["Id"])

        tx.on_rollback(undo)
        return Outcome(row["Id"])

    # -- helpers -----------------------------------------------------------------------------
    def _writable_row(
        self, obj: ObjectDef, record_id: str, *, deleting: bool = False
    ) -> tuple[Row | None, SfError | None]:
        canonical = ids.normalize(record_id)
        if canonical is None or ids.key_prefix(canonical) != obj.key_prefix:
            return None, malformed_id(f"{obj.label} ID", record_id, "Id")
        row = self.store.find(obj.name, canonical)
        if row is None:
            return None, SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if row.get("IsDeleted"):
            return None, SfError("ENTITY_IS_DELETED", "entity is deleted")
        if obj.name == "Lead" and row.get("IsConverted") and not deleting:
            return None, CONVERTED_LEAD
        if self.locks.take(canonical):
            return None, LOCKED
        return row, None

    def _duplicate(
        self, obj: ObjectDef, values: dict[str, Any], self_id: str | None
    ) -> SfError | None:
        table = self.store.tables[obj.name.lower()]
        for name, value in values.items():
            f = obj.field(name)
            if f is None or not f.unique or value is None:
                continue
            holders = [h for h in table.find_by(f, value) if h != self_id]
            if holders:
                return duplicate_value(f.name, holders[0])
        return None

    def fill_defaults(self, obj: ObjectDef, row: Row) -> None:
        defaults = self._defaults.get(obj.name)
        if defaults is None:
            defaults = {}
            for f in obj.fields:
                if f.type == "boolean":
                    defaults[f.name] = _BOOLEAN_DEFAULTS.get((obj.name, f.name), False)
                elif f.default_value is not None:
                    defaults[f.name] = f.default_value
            self._defaults[obj.name] = defaults
        row.update(defaults)
        if "OwnerId" in row:
            row["OwnerId"] = self.store.api_user_id

    @staticmethod
    def _set_if_present(obj: ObjectDef, row: Row, name: str, value: Any) -> None:
        if obj.has(name):
            row[name] = value

    @staticmethod
    def _stored(f: FieldDef | None, value: Any) -> Any:
        if f is not None and f.type == "reference":
            return canonical_reference(value)
        return value


def derive(obj: ObjectDef, row: Row) -> None:
    """Fields the server computes: a person's ``Name``, an opportunity's ``IsClosed``/``IsWon``."""
    if obj.name in _PERSON_OBJECTS:
        parts = [row.get("FirstName"), row.get("LastName")]
        row["Name"] = " ".join(p for p in parts if p) or None
    elif obj.name == "Opportunity":
        stage = row.get("StageName")
        row["IsClosed"] = stage in CLOSED_STAGES
        row["IsWon"] = CLOSED_STAGES.get(stage or "", False)
