"""Records written out as the API answers them: which properties, in which shape.

A read returns the properties asked for (unset ones as ``null``, unknown ones left out) plus
``createdate``, ``hs_object_id`` and the last-modified property; with none asked for, the
object type's default set. Keys come sorted by name and each record carries ``url``, as in
every recorded answer (``{id, properties, createdAt, updatedAt, archived, url}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connector.emulators.hubspot.associations import ASSOCIATION_TYPES
from connector.emulators.hubspot.schema import DEFAULT_READ, LAST_MODIFIED, OBJECT_TYPE_IDS
from connector.emulators.hubspot.store import ObjectStore, StoredRecord
from connector.emulators.hubspot.values import format_instant

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal


def read_names(store: ObjectStore, requested: Sequence[str] | None) -> list[str]:
    """The property names a read answers with, sorted."""
    if not requested:
        return sorted(DEFAULT_READ[store.object_type])
    names = {name for name in requested if name in store.schema}
    names.update(("createdate", "hs_object_id", LAST_MODIFIED[store.object_type]))
    return sorted(names)


def pick(properties: Mapping[str, str], names: Iterable[str]) -> dict[str, str | None]:
    return {name: properties.get(name) for name in names}


def record_json(
    portal: Portal,
    store: ObjectStore,
    record: StoredRecord,
    properties: Mapping[str, str | None],
    associations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One record in the ``SimplePublicObject`` shape."""
    body: dict[str, Any] = {
        "id": str(record.id),
        "properties": dict(properties),
        "createdAt": format_instant(record.created_ms),
        "updatedAt": format_instant(record.updated_ms),
        "archived": record.archived,
    }
    if record.archived and record.archived_ms is not None:
        body["archivedAt"] = format_instant(record.archived_ms)
    if associations:
        body["associations"] = dict(associations)
    body["url"] = portal.record_url(OBJECT_TYPE_IDS[store.object_type], record.id)
    return body


def read_json(
    portal: Portal,
    store: ObjectStore,
    record: StoredRecord,
    names: Sequence[str],
    association_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A record as GET, list and batch read answer it."""
    associations = None
    if association_types:
        associations = v3_associations(portal, store, record, association_types)
    return record_json(portal, store, record, pick(record.properties, names), associations)


def written_json(
    portal: Portal, store: ObjectStore, record: StoredRecord, written: Iterable[str]
) -> dict[str, Any]:
    """A record as an update answers it: what was written plus the server's own properties.

    The recorded PATCH answers list the properties sent and the ones HubSpot maintains, not
    every stored value (the recorded contact update omits the contact's e-mail).
    """
    names = set(written) | {"createdate", "hs_object_id", LAST_MODIFIED[store.object_type]}
    values = {name: record.properties.get(name) for name in sorted(names)}
    return record_json(portal, store, record, values)


def created_json(portal: Portal, store: ObjectStore, record: StoredRecord) -> dict[str, Any]:
    """A record as a create answers it: every value it now has."""
    return record_json(portal, store, record, dict(sorted(record.properties.items())))


def v3_associations(
    portal: Portal, store: ObjectStore, record: StoredRecord, wanted: Sequence[str]
) -> dict[str, Any]:
    """``associations`` of a v3 read: per requested type, each link with its v3 type name."""
    found: dict[str, Any] = {}
    for raw_type in wanted:
        to_type = portal.object_type(raw_type)
        targets = portal.links.targets(store.object_type, record.id, to_type)
        results = [
            {"id": str(to_id), "type": ASSOCIATION_TYPES[type_id].v3_name}
            for to_id, type_ids in targets.items()
            for type_id in sorted(type_ids, key=_primary_first)
        ]
        if results:
            found[to_type] = {"results": results}
    return found


def _primary_first(type_id: int) -> tuple[int, int]:
    return (0 if ASSOCIATION_TYPES[type_id].label else 1, type_id)
