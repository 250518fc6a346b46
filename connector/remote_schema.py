"""The org's and the portal's own field descriptions, as ``validate --remote`` compares against.

A :class:`RemoteField` is one Salesforce field (from the raw describe, which also says whether
a field can be set on create and where a relationship leads) or one HubSpot property (from its
definition), reduced to a :class:`Kind` of value. :data:`ACCEPTS` is the compatibility table:
which kinds of value a field of each kind can be written with. Paths through relationships
(``ConvertedOpportunity.StageName``) are followed by ``relationshipName`` and ``referenceTo``.
A :class:`Carried` is what crmsync writes into a field, and :class:`Problems` the lines found.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from connector.errors import ConfigError
from connector.model import FieldInfo, Side
from connector.systems import soql
from connector.systems.hubspot import HubSpotSystem
from connector.systems.salesforce import SalesforceSystem


class Kind(StrEnum):
    """What a field holds, as far as writing a value into it goes (the value is its wording)."""

    TEXT = "text"
    NUMBER = "a number"
    DATE = "a date"
    DATETIME = "a date-time"
    BOOLEAN = "true/false"
    CHOICE = "picklist values"
    REFERENCE = "a record id"
    OWNER = "an owner"
    TIME = "a time of day"
    OTHER = "a compound value"


_SALESFORCE_KINDS: Final = {
    "string": Kind.TEXT,
    "textarea": Kind.TEXT,
    "email": Kind.TEXT,
    "phone": Kind.TEXT,
    "url": Kind.TEXT,
    "encryptedstring": Kind.TEXT,
    # A combobox offers values but takes any text.
    "combobox": Kind.TEXT,
    "picklist": Kind.CHOICE,
    "multipicklist": Kind.CHOICE,
    "double": Kind.NUMBER,
    "currency": Kind.NUMBER,
    "percent": Kind.NUMBER,
    "int": Kind.NUMBER,
    "long": Kind.NUMBER,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "boolean": Kind.BOOLEAN,
    "id": Kind.REFERENCE,
    "reference": Kind.REFERENCE,
    "time": Kind.TIME,
}
_HUBSPOT_KINDS: Final = {
    "string": Kind.TEXT,
    "phone_number": Kind.TEXT,
    "number": Kind.NUMBER,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "enumeration": Kind.CHOICE,
    "bool": Kind.BOOLEAN,
}

# Which kinds of value a field of each kind can be written with. Text takes anything (a number
# or a date written into a text field reads back as its text); the other kinds take only their
# own, so a row that crosses kinds needs a transform (number, date, date_as_datetime, boolean,
# value_map, owner_by_email) that produces the target's kind. Values of a restricted picklist are
# checked separately, against its options.
ACCEPTS: Final[Mapping[Kind, frozenset[Kind]]] = {
    Kind.TEXT: frozenset(Kind),
    Kind.NUMBER: frozenset({Kind.NUMBER}),
    Kind.DATE: frozenset({Kind.DATE}),
    Kind.DATETIME: frozenset({Kind.DATETIME}),
    Kind.BOOLEAN: frozenset({Kind.BOOLEAN}),
    Kind.CHOICE: frozenset({Kind.CHOICE, Kind.OWNER}),
    Kind.REFERENCE: frozenset({Kind.REFERENCE, Kind.OWNER, Kind.TEXT}),
    Kind.TIME: frozenset({Kind.TIME}),
    Kind.OTHER: frozenset(),
}
# An unrestricted Salesforce picklist stores any value it is sent, as text.
UNRESTRICTED_CHOICE_ACCEPTS: Final = frozenset({Kind.TEXT, Kind.NUMBER, Kind.BOOLEAN})

# The transform that turns a value into each kind, for the fix hints.
TRANSFORM_FOR: Final = {
    Kind.NUMBER: "number",
    Kind.DATE: "date",
    Kind.DATETIME: "datetime",
    Kind.BOOLEAN: "boolean",
    Kind.CHOICE: "value_map:NAME",
}


@dataclass(frozen=True)
class RemoteField:
    """One field or property as the system describes it; ``object`` is the object holding it."""

    side: Side
    object: str
    name: str
    type: str
    label: str
    options: tuple[str, ...] = ()
    restricted: bool = False
    external_id: bool = False
    unique: bool = False
    updateable: bool = True
    createable: bool = True
    required_on_create: bool = False
    relationship: str | None = None
    reference_to: tuple[str, ...] = ()

    @property
    def kind(self) -> Kind:
        table = _SALESFORCE_KINDS if self.side is Side.SALESFORCE else _HUBSPOT_KINDS
        return table.get(self.type, Kind.OTHER)

    def accepts(self, kind: Kind) -> bool:
        """Whether a value of ``kind`` can be written into this field (see :data:`ACCEPTS`)."""
        if kind in ACCEPTS[self.kind]:
            if kind is Kind.OWNER and self.kind is Kind.REFERENCE:
                return "User" in self.reference_to
            return True
        return (
            self.kind is Kind.CHOICE and not self.restricted and kind in UNRESTRICTED_CHOICE_ACCEPTS
        )

    @property
    def noun(self) -> str:
        return "field" if self.side is Side.SALESFORCE else "property"

    @property
    def settings(self) -> str:
        """Where an admin edits this field in the system's own setup pages."""
        if self.side is Side.SALESFORCE:
            return f"Setup > Object Manager > {self.object} > Fields & Relationships > {self.label}"
        return f"Settings > Data Management > Properties > {self.label} ({self.object})"


@dataclass(frozen=True)
class Missing:
    """A name the system does not have: where the lookup stopped, and the nearest spellings."""

    holder: str
    name: str
    relationship: bool = False
    spelt: str | None = None
    near: str | None = None
    object_missing: bool = False
    # A polymorphic relationship: the objects it can lead to.
    targets: tuple[str, ...] = ()


Found = RemoteField | Missing


@dataclass(frozen=True)
class Carried:
    """What is written into a field: a kind of value, where it comes from, its values if known.

    ``values`` pairs each value with why it is written (for the message); ``alternative`` is
    the other fix offered when the target lacks one of them.
    """

    kind: Kind
    source: str
    values: tuple[tuple[str, str], ...] = ()
    alternative: str = ""


class Problems:
    """The lines found so far, each once, in the order found."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._seen: set[str] = set()
        self.missing: set[str] = set()

    def add(self, subject: str, what: str, fix: str) -> None:
        line = f"{subject}: {what} — {fix}"
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)


def salesforce_field(object_name: str, raw: Mapping[str, Any]) -> RemoteField:
    """A Salesforce field from one entry of ``/sobjects/{O}/describe``'s ``fields``."""
    picklist = tuple(
        str(entry["value"])
        for entry in raw.get("picklistValues") or ()
        if entry.get("active", True) and entry.get("value") is not None
    )
    createable = bool(raw.get("createable", False))
    required = (
        createable
        and not raw.get("nillable", True)
        and not raw.get("defaultedOnCreate", False)
        # A checkbox is never null: Salesforce stores false when it is left out.
        and raw.get("type") != "boolean"
    )
    return RemoteField(
        side=Side.SALESFORCE,
        object=object_name,
        name=str(raw["name"]),
        type=str(raw.get("type", "")),
        label=str(raw.get("label") or raw["name"]),
        options=picklist,
        restricted=bool(raw.get("restrictedPicklist", False)),
        external_id=bool(raw.get("externalId", False)),
        unique=bool(raw.get("unique", False)),
        updateable=bool(raw.get("updateable", False)),
        createable=createable,
        required_on_create=required,
        relationship=raw.get("relationshipName") or None,
        reference_to=tuple(str(name) for name in raw.get("referenceTo") or ()),
    )


def hubspot_field(object_name: str, info: FieldInfo) -> RemoteField:
    """A HubSpot property from the adapter's description of it."""
    return RemoteField(
        side=Side.HUBSPOT,
        object=object_name,
        name=info.name,
        type=info.type,
        label=info.label or info.name,
        options=info.picklist,
        restricted=info.restricted,
        unique=info.unique,
        updateable=info.updateable,
        createable=info.updateable,
    )


class SalesforceSchema:
    """Describes of a Salesforce org, one call per object, followed along relationships."""

    side = Side.SALESFORCE

    def __init__(self, system: SalesforceSystem) -> None:
        self.system = system
        self._objects: dict[str, dict[str, RemoteField] | None] = {}
        self.described: list[str] = []

    def fields(self, object_name: str) -> dict[str, RemoteField] | None:
        """The object's fields by name, ``None`` when the org has no such object."""
        key = object_name.lower()
        if key not in self._objects:
            self._objects[key] = self._describe(object_name)
        return self._objects[key]

    def _describe(self, object_name: str) -> dict[str, RemoteField] | None:
        system = self.system
        try:
            # The raw describe, not the adapter's FieldInfo: it also carries createable,
            # defaultedOnCreate, relationshipName and referenceTo.
            answer = system._sdk(
                lambda: system.sf.restful(f"sobjects/{soql.name(object_name)}/describe"),
                f"describe {object_name}",
            )
        except ConfigError:
            # NOT_FOUND (or a name that is no API name): the org has no such object.
            return None
        holder = str((answer or {}).get("name") or object_name)
        self.described.append(holder)
        raw_fields = (answer or {}).get("fields") or ()
        return {str(raw["name"]): salesforce_field(holder, raw) for raw in raw_fields}

    def resolve(self, object_name: str, path: str) -> Found:
        """The field ``path`` names on ``object_name``, through any relationships it crosses."""
        *relationships, last = path.split(".")
        holder = object_name
        for relationship in relationships:
            fields = self.fields(holder)
            if fields is None:
                return Missing(holder, relationship, object_missing=True)
            by_relationship = {f.relationship: f for f in fields.values() if f.relationship}
            found = _lookup(by_relationship, holder, relationship, relationship=True)
            if isinstance(found, Missing):
                return found
            if len(found.reference_to) != 1:
                # A polymorphic lookup (Owner: User or Group) has no one object to read from.
                return Missing(holder, relationship, relationship=True, targets=found.reference_to)
            holder = found.reference_to[0]
        fields = self.fields(holder)
        if fields is None:
            return Missing(holder, last, object_missing=True)
        return _lookup(fields, holder, last)


class HubSpotSchema:
    """Property definitions of a HubSpot portal, one call per object type."""

    side = Side.HUBSPOT

    def __init__(self, system: HubSpotSystem) -> None:
        self.system = system
        self._objects: dict[str, dict[str, RemoteField] | None] = {}
        self.described: list[str] = []

    def fields(self, object_name: str) -> dict[str, RemoteField] | None:
        """The object type's properties by name, ``None`` when the portal has no such type."""
        if object_name not in self._objects:
            try:
                infos = self.system.describe(object_name)
            except ConfigError:
                # HubSpot answers 400 "Unable to infer object type" for an unknown type.
                self._objects[object_name] = None
            else:
                self.described.append(object_name)
                self._objects[object_name] = {
                    info.name: hubspot_field(object_name, info) for info in infos
                }
        return self._objects[object_name]

    def resolve(self, object_name: str, path: str) -> Found:
        fields = self.fields(object_name)
        if fields is None:
            return Missing(object_name, path, object_missing=True)
        return _lookup(fields, object_name, path)


Schema = SalesforceSchema | HubSpotSchema


def _lookup(
    fields: Mapping[str, RemoteField], holder: str, name: str, *, relationship: bool = False
) -> Found:
    found = fields.get(name)
    if found is not None:
        return found
    # Salesforce matches names in any case, but answers records keyed by the describe's
    # spelling, so a mapping must use that spelling to find its values.
    folded = {key.lower(): key for key in fields}
    spelt = folded.get(name.lower())
    near = None
    if spelt is None:
        close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.8)
        near = close[0] if close else None
    return Missing(holder, name, relationship=relationship, spelt=spelt, near=near)
