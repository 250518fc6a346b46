"""Planning and applying record writes: validation, identity conflicts, defaults, links.

One ``Writer`` serves one request. Each input is planned (validated, checked against the
e-mail and unique-value indexes, and against what earlier inputs of the same batch claimed),
then applied. A plan that fails raises the ``HubSpotError`` a single-record call would answer;
batch routes restate it as a per-record error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.emulators.hubspot.associations import ASSOCIATION_TYPES
from connector.emulators.hubspot.errors import (
    HubSpotError,
    contact_exists,
    error_body,
    property_problems,
    unique_value_taken,
    validation_error,
)
from connector.emulators.hubspot.schema import OBJECT_TYPE_IDS, SINGULAR
from connector.emulators.hubspot.store import ObjectStore, StoredRecord
from connector.emulators.hubspot.validation import check_properties, hold_lifecycle

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

# What an API create adds on its own, as the recorded create answers show: a new contact or
# company starts as a lead (the portal's default stage) and is marked as made by an integration.
_CREATE_DEFAULTS = {"hs_object_source": "INTEGRATION", "hs_object_source_label": "INTEGRATION"}
_DEFAULT_STAGE = "lead"


@dataclass
class Plan:
    """One validated write, ready to apply; ``target`` is ``None`` for a create."""

    target: StoredRecord | None
    changes: dict[str, str | None]
    written: list[str]
    links: list[tuple[int, int]] = field(default_factory=list)
    trace_id: str | None = None


class Writer:
    """Plans and applies the writes of one request to one object type."""

    def __init__(self, portal: Portal, store: ObjectStore) -> None:
        self.portal = portal
        self.store = store
        self._claims: dict[tuple[str, str], int] = {}

    def plan_create(
        self,
        index: int,
        raw_properties: object,
        raw_associations: object = None,
        trace_id: str | None = None,
    ) -> Plan:
        properties = _properties_of(raw_properties)
        checked = check_properties(self.store.schema, properties, self.portal.owners.active_ids())
        if checked.problems:
            raise property_problems(checked.problems, self.portal.settings.portal_id)
        changes = dict(checked.changes)
        self._check_identity(index, None, changes)
        links = self._links(raw_associations)
        return Plan(None, changes, list(properties), links, trace_id)

    def plan_update(
        self,
        index: int,
        record: StoredRecord,
        raw_properties: object,
        trace_id: str | None = None,
    ) -> Plan:
        properties = _properties_of(raw_properties)
        checked = check_properties(self.store.schema, properties, self.portal.owners.active_ids())
        if checked.problems:
            raise property_problems(checked.problems, self.portal.settings.portal_id)
        changes = dict(checked.changes)
        hold_lifecycle(self.store.schema, record.properties, changes)
        effective = {
            name: value
            for name, value in changes.items()
            if record.properties.get(name) != (value or None)
        }
        self._check_identity(index, record, effective)
        return Plan(record, effective, list(properties), [], trace_id)

    def apply(self, plan: Plan) -> StoredRecord:
        now_ms = self.portal.now_ms()
        if plan.target is None:
            values: dict[str, str] = dict(_CREATE_DEFAULTS)
            if "lifecyclestage" in self.store.schema and "lifecyclestage" not in plan.changes:
                values["lifecyclestage"] = _DEFAULT_STAGE
            values.update({k: v for k, v in plan.changes.items() if v is not None})
            record = self.store.create(values, now_ms)
            for to_id, type_id in plan.links:
                self.portal.links.add(record.id, to_id, type_id)
            return record
        if plan.changes:
            self.store.update(plan.target, plan.changes, now_ms)
        return plan.target

    def _check_identity(
        self, index: int, record: StoredRecord | None, changes: Mapping[str, str | None]
    ) -> None:
        for name, value in changes.items():
            if value is None or not self._identifying(name):
                continue
            key = value.lower() if name == "email" else value
            existing = self.store.find_by(name, key)
            if existing is not None and existing is not record:
                raise self._conflict(name, value, str(existing.id))
            claimant = self._claims.get((name, key))
            if claimant is not None and claimant != index:
                raise validation_error(
                    f"Duplicate {name} found in batch input: [{value}]", {name: [value]}
                )
            self._claims[(name, key)] = index

    def _identifying(self, name: str) -> bool:
        if name == "email":
            return self.store.object_type == "contacts"
        definition = self.store.schema.get(name)
        return definition is not None and definition.has_unique_value

    def _conflict(self, name: str, value: str, existing_id: str) -> HubSpotError:
        if name == "email":
            return contact_exists(existing_id)
        return unique_value_taken(SINGULAR[self.store.object_type], name, value, existing_id)

    def _links(self, raw: object) -> list[tuple[int, int]]:
        """Associations given with a create: ``[{"to": {"id"}, "types": [{...}]}]``."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise validation_error("Invalid input JSON on line 1, column 1: associations")
        links: list[tuple[int, int]] = []
        own_type_id = OBJECT_TYPE_IDS[self.store.object_type]
        for item in raw:
            to_id = _target_id(item)
            types = item.get("types") if isinstance(item, dict) else None
            if to_id is None or not isinstance(types, list) or not types:
                raise validation_error("One or more associations are invalid")
            for spec in types:
                type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
                kind = ASSOCIATION_TYPES.get(type_id) if isinstance(type_id, int) else None
                if kind is None:
                    raise validation_error(f"{type_id} is not a valid association type id")
                if kind.from_type != self.store.object_type:
                    expected = OBJECT_TYPE_IDS[kind.from_type]
                    raise validation_error(
                        f"invalid from object type {own_type_id} for associations to be "
                        f"created. expected: {expected}"
                    )
                target = self.portal.stores[kind.to_type].get(to_id)
                if target is None or target.archived:
                    raise HubSpotError(
                        400,
                        error_body(
                            "One or more associations are invalid",
                            "VALIDATION_ERROR",
                            context={"objectId": [str(to_id)], "objectType": [kind.to_type]},
                            sub_category="INVALID_OBJECT_IDS",
                        ),
                    )
                links.append((to_id, kind.type_id))
        return links


def _properties_of(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise validation_error(
            "Invalid input JSON on line 1, column 1: properties must be an object"
        )
    return raw


def _target_id(item: object) -> int | None:
    if not isinstance(item, dict) or not isinstance(item.get("to"), dict):
        return None
    raw = item["to"].get("id")
    try:
        return int(str(raw))
    except ValueError:
        return None
