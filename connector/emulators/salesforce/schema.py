"""The shape of an org's data: objects, their fields and the facts a describe call reports.

``FieldDef`` carries exactly the facts the real describe gives for a field (type, length,
nillable, createable, updateable, picklist values, references); validation, the store and the
describe renderer all read them from here, so a describe never disagrees with what a write
enforces. Field lookups are case-insensitive, as in the real API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal[
    "id",
    "boolean",
    "string",
    "textarea",
    "email",
    "phone",
    "url",
    "picklist",
    "reference",
    "double",
    "currency",
    "percent",
    "int",
    "date",
    "datetime",
]

TEXT_TYPES: frozenset[str] = frozenset({"string", "textarea", "email", "phone", "url", "picklist"})
NUMBER_TYPES: frozenset[str] = frozenset({"double", "currency", "percent", "int"})


@dataclass(frozen=True)
class PicklistValue:
    """One entry of a picklist, as describe lists it."""

    value: str
    default: bool = False
    active: bool = True


@dataclass(frozen=True)
class FieldDef:
    """One field of an object with the describe facts that govern reads and writes."""

    name: str
    type: FieldType
    label: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    id_lookup: bool = False
    name_field: bool = False
    custom: bool = False
    calculated: bool = False
    picklist: tuple[PicklistValue, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    precision: int = 0
    scale: int = 0
    digits: int = 0
    extra_type_info: str | None = None
    polymorphic: bool = False

    @property
    def required(self) -> bool:
        """Required on create: not nillable, settable, and not filled in by the server."""
        return (
            not self.nillable
            and self.createable
            and not self.defaulted_on_create
            and self.type != "boolean"
        )

    @property
    def default_value(self) -> str | None:
        for entry in self.picklist:
            if entry.default:
                return entry.value
        return None

    def allows(self, value: str) -> bool:
        return any(entry.value == value and entry.active for entry in self.picklist)


@dataclass(frozen=True)
class ChildRelationship:
    """A lookup from another object to this one, as describe lists it."""

    child: str
    field: str
    relationship_name: str | None
    cascade_delete: bool = False


@dataclass
class ObjectDef:
    """One sObject: its fields in describe order, indexed case-insensitively."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    children: list[ChildRelationship] = field(default_factory=list)
    _by_name: dict[str, FieldDef] = field(init=False, repr=False)
    _by_relationship: dict[str, FieldDef] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {f.name.lower(): f for f in self.fields}
        self._by_relationship = {
            f.relationship_name.lower(): f for f in self.fields if f.relationship_name
        }

    def field(self, name: str) -> FieldDef | None:
        return self._by_name.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        return self._by_relationship.get(name.lower())

    @property
    def lookup_fields(self) -> tuple[FieldDef, ...]:
        """Fields a record can be found by besides its id (upsert keys and unique checks)."""
        return tuple(
            f for f in self.fields if f.type != "id" and (f.external_id or f.id_lookup or f.unique)
        )

    def has(self, name: str) -> bool:
        return name.lower() in self._by_name


class Schema:
    """All objects of the org, by case-insensitive name."""

    def __init__(self, objects: Iterable[ObjectDef]) -> None:
        self.objects: dict[str, ObjectDef] = {}
        for obj in objects:
            self.objects[obj.name.lower()] = obj
        self._by_prefix = {obj.key_prefix: obj for obj in self.objects.values()}
        self._link_children()

    def _link_children(self) -> None:
        for obj in self.objects.values():
            obj.children.clear()
        for child in self.objects.values():
            for f in child.fields:
                if f.type != "reference" or f.name in ("CreatedById", "LastModifiedById"):
                    continue
                for target in f.reference_to:
                    parent = self.get(target)
                    if parent is None:
                        continue
                    parent.children.append(
                        ChildRelationship(
                            child=child.name,
                            field=f.name,
                            relationship_name=CHILD_RELATIONSHIP_NAMES.get((child.name, f.name)),
                            cascade_delete=(child.name, f.name) in CASCADE_DELETES,
                        )
                    )

    def get(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower())

    def by_prefix(self, prefix: str) -> ObjectDef | None:
        return self._by_prefix.get(prefix)

    def names(self) -> list[str]:
        return sorted(obj.name for obj in self.objects.values())


# Child relationship names are facts of the standard objects (e.g. Account.Contacts).
CHILD_RELATIONSHIP_NAMES: Mapping[tuple[str, str], str] = {
    ("Contact", "AccountId"): "Contacts",
    ("Opportunity", "AccountId"): "Opportunities",
    ("OpportunityContactRole", "OpportunityId"): "OpportunityContactRoles",
    ("OpportunityContactRole", "ContactId"): "OpportunityContactRoles",
}
CASCADE_DELETES: frozenset[tuple[str, str]] = frozenset(
    {
        ("Contact", "AccountId"),
        ("Opportunity", "AccountId"),
        ("OpportunityContactRole", "OpportunityId"),
        ("OpportunityContactRole", "ContactId"),
    }
)
