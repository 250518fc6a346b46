"""The org's records in memory, with the indexes the API needs to stay fast at 100,000 per object.

Each object keeps its records by 18-character id (deleted ones too, flagged ``IsDeleted`` as in
the recycle bin, so ``queryAll`` still sees them) and, for every field a record can be found by
(external ids, ``Email``, ``Username``...), an index from the normalised value to the ids of the
live records holding it. Records are stored complete (every field present, ``None`` when unset)
in the JSON form the API answers: strings, floats, booleans, ISO date strings.

The store applies changes without judging them; ``validation`` and ``dml`` decide what may be
written. It also answers the SOQL engine's questions about the schema (``SoqlSchema``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from connector.emulators.salesforce import ids
from connector.emulators.salesforce.schema import FieldDef, ObjectDef, Schema
from connector.emulators.salesforce.timestamps import stamp

Row = dict[str, Any]


class ObjectTable:
    """The records of one object, the lookup indexes over them and its delete log."""

    def __init__(self, definition: ObjectDef) -> None:
        self.definition = definition
        self.rows: dict[str, Row] = {}
        self._indexed: tuple[FieldDef, ...] = definition.lookup_fields
        self.indexes: dict[str, dict[str, set[str]]] = {f.name: {} for f in self._indexed}
        self.deleted_log: list[tuple[str, str]] = []

    def blank(self) -> Row:
        return dict.fromkeys(f.name for f in self.definition.fields)

    def _index_key(self, f: FieldDef, value: Any) -> str | None:
        if value is None or value == "":
            return None
        text = value if isinstance(value, str) else str(value)
        return text if f.case_sensitive else text.lower()

    def index_add(self, row: Row) -> None:
        if row.get("IsDeleted"):
            return
        for f in self._indexed:
            key = self._index_key(f, row.get(f.name))
            if key is not None:
                self.indexes[f.name].setdefault(key, set()).add(row["Id"])

    def index_remove(self, row: Row) -> None:
        for f in self._indexed:
            key = self._index_key(f, row.get(f.name))
            if key is None:
                continue
            holders = self.indexes[f.name].get(key)
            if holders is not None:
                holders.discard(row["Id"])
                if not holders:
                    del self.indexes[f.name][key]

    def find_by(self, f: FieldDef, value: Any) -> list[str]:
        """Ids of live records whose ``f`` equals ``value`` (case-insensitively unless not)."""
        key = self._index_key(f, value)
        if key is None:
            return []
        if f.name in self.indexes:
            return sorted(self.indexes[f.name].get(key, ()))
        return [
            row_id
            for row_id, row in self.rows.items()
            if not row.get("IsDeleted") and self._index_key(f, row.get(f.name)) == key
        ]


class RecordStore:
    """Every object's table, the id factory and the server clock; implements ``SoqlSchema``."""

    def __init__(self, schema: Schema, now: Callable[[], datetime]) -> None:
        self.schema = schema
        self._now = now
        self.ids = ids.IdFactory()
        # The integration user API calls run as; set by the service when it seeds its org.
        self.api_user_id = ""
        self.tables: dict[str, ObjectTable] = {
            key: ObjectTable(obj) for key, obj in schema.objects.items()
        }

    # -- time -------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self._now()

    def stamp(self) -> str:
        return stamp(self._now())

    # -- the SoqlSchema protocol -------------------------------------------------------------
    def has_object(self, object_name: str) -> bool:
        return object_name.lower() in self.tables

    def field_type(self, object_name: str, field: str) -> str | None:
        obj = self.schema.get(object_name)
        f = obj.field(field) if obj else None
        return f.type if f else None

    def canonical_field(self, object_name: str, field: str) -> str:
        obj = self.schema.get(object_name)
        f = obj.field(field) if obj else None
        return f.name if f else field

    def relationship(self, object_name: str, name: str) -> tuple[str, str] | None:
        obj = self.schema.get(object_name)
        f = obj.relationship(name) if obj else None
        targets = [t for t in f.reference_to if self.schema.get(t)] if f else []
        if f is None or not targets:
            return None
        # A polymorphic lookup (Lead.Owner: Group or User) resolves to the object the org has.
        return f.name, targets[0]

    def canonical_object(self, object_name: str) -> str:
        obj = self.schema.get(object_name)
        return obj.name if obj else object_name

    def field_names(self, object_name: str) -> list[str]:
        obj = self.schema.get(object_name)
        return [f.name for f in obj.fields] if obj else []

    def get(self, object_name: str, record_id: str) -> Row | None:
        """A live record by 15- or 18-character id (deleted records are gone for lookups)."""
        row = self.find(object_name, record_id)
        return None if row is None or row.get("IsDeleted") else row

    # -- reads -------------------------------------------------------------------------------
    def table(self, object_name: str) -> ObjectTable | None:
        return self.tables.get(object_name.lower())

    def find(self, object_name: str, record_id: str) -> Row | None:
        """A stored record by id, deleted or not."""
        table = self.table(object_name)
        canonical = ids.normalize(record_id)
        if table is None or canonical is None:
            return None
        return table.rows.get(canonical)

    def rows(self, object_name: str) -> Iterable[Row]:
        table = self.table(object_name)
        return table.rows.values() if table else ()

    def object_of(self, record_id: str) -> ObjectDef | None:
        return self.schema.by_prefix(ids.key_prefix(record_id))

    # -- writes, unjudged --------------------------------------------------------------------
    def new_id(self, obj: ObjectDef) -> str:
        return self.ids.new(obj.key_prefix)

    def insert(self, object_name: str, row: Row) -> None:
        table = self._table(object_name)
        table.rows[row["Id"]] = row
        table.index_add(row)

    def replace(self, object_name: str, row: Row) -> Row:
        """Store ``row`` in place of the record with its id; answer the previous version."""
        table = self._table(object_name)
        old = table.rows[row["Id"]]
        table.index_remove(old)
        table.rows[row["Id"]] = row
        table.index_add(row)
        return old

    def remove(self, object_name: str, record_id: str) -> None:
        """Forget a record entirely (undoing an insert; real deletes only flag ``IsDeleted``)."""
        table = self._table(object_name)
        row = table.rows.pop(record_id)
        table.index_remove(row)

    def log_delete(self, object_name: str, record_id: str, when: str) -> None:
        self._table(object_name).deleted_log.append((record_id, when))

    def unlog_delete(self, object_name: str, record_id: str) -> None:
        log = self._table(object_name).deleted_log
        for index in range(len(log) - 1, -1, -1):
            if log[index][0] == record_id:
                del log[index]
                return

    def _table(self, object_name: str) -> ObjectTable:
        table = self.table(object_name)
        if table is None:
            raise KeyError(f"unknown object {object_name}")
        return table
