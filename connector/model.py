"""The engine's vocabulary: sides, records, cursors, write operations and their results.

Everything here is a frozen value. Adapters translate SDK payloads into these; the engine never
sees an SDK type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Side(StrEnum):
    """The two systems crmsync keeps in agreement."""

    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"

    @property
    def other(self) -> Side:
        return Side.HUBSPOT if self is Side.SALESFORCE else Side.SALESFORCE


@dataclass(frozen=True)
class Record:
    """One record as a system holds it: its id, its field values and when it last changed.

    ``modified_at`` is the system's own modification time (Salesforce ``SystemModstamp``,
    HubSpot ``lastmodifieddate``); two-way conflicts are decided on it.
    """

    side: Side
    object: str
    id: str
    fields: Mapping[str, Any]
    modified_at: datetime | None = None

    def get(self, name: str) -> Any:
        return self.fields.get(name)


@dataclass(frozen=True)
class Cursor:
    """How far a pipeline has read one object of one system.

    ``position`` is the greatest modification time fully processed; ``seen_ids`` are the record
    versions (``id:digest`` tokens, see ``engine/cursors.py``) already processed *at* that time,
    because both systems give equal timestamps to different records and a read must overlap that
    instant without processing the same version twice.
    """

    position: datetime | None = None
    seen_ids: frozenset[str] = frozenset()


class WriteKind(StrEnum):
    """What a write operation asks of the target system."""

    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"


@dataclass(frozen=True)
class WriteOp:
    """One record to write.

    ``UPDATE`` needs ``id``. ``UPSERT`` needs ``key_field`` and ``key_value`` (an external id or
    a unique property such as e-mail), so a retried create cannot create twice.
    """

    kind: WriteKind
    object: str
    fields: Mapping[str, Any]
    id: str | None = None
    key_field: str | None = None
    key_value: str | None = None
    ref: str = ""
    # What the caller read from the target just before planning this write: its field values
    # for an update, ``{}`` for a record it looked for and did not find. ``None``: unknown.
    # Lets an adapter skip reading the record again (HubSpot's lifecycle-stage check).
    known: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class WriteResult:
    """What the target said about one ``WriteOp``, in the order the ops were given."""

    op: WriteOp
    ok: bool
    id: str | None = None
    created: bool = False
    error_code: str | None = None
    error_message: str | None = None
    error_fields: tuple[str, ...] = ()
    modified_at: datetime | None = None


@dataclass(frozen=True)
class FieldInfo:
    """A field as the system describes it (Salesforce describe, HubSpot properties)."""

    name: str
    type: str
    label: str = ""
    length: int | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    external_id: bool = False
    unique: bool = False
    updateable: bool = True
    nillable: bool = True


@dataclass(frozen=True)
class Owner:
    """A user who can own records; matched across systems by e-mail."""

    id: str
    email: str
    name: str = ""
    active: bool = True


@dataclass(frozen=True)
class CallStats:
    """API calls spent by one system during a run, for the summary and the metrics."""

    calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    extra: Mapping[str, int] = field(default_factory=dict)
