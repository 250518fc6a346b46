"""Mapping files: a pipeline's field rows and sync rules, compiled once into a ``FieldMap``.

``mappings/<pipeline>.toml`` names, row by row, a Salesforce field, a HubSpot property, a sync
rule (the names admins know from HubSpot's own integration) and the transforms between them.
:func:`compile_mapping` checks the whole file and turns every transform name into a function,
so a mistake fails in ``crmsync validate`` with file, line and key, never mid-sync.

At sync time a row compares both sides in one form (``comparable``), and :func:`decide` says,
from the row's rule, the last-synced snapshot and each side's modification time, which side
wins and which side must be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from connector.errors import InvariantBroken
from connector.lead_rule import LeadDefinition, load_lead_definition
from connector.model import Side
from connector.taxonomy import Taxonomy, load_taxonomy
from connector.tomlsource import KeyPath, TomlDoc, load_toml
from connector.transforms import (
    Comparable,
    Transform,
    TransformContext,
    TransformSpecError,
    ValueMaps,
    ValueRejected,
    chain,
    comparable,
    compile_transform,
    hubspot_wire,
    salesforce_wire,
    translates,
)

SUPPORTED_VERSION = 1

_SYSTEM = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}


class SyncRule(StrEnum):
    """Which way a field flows, as HubSpot's own Salesforce integration names it."""

    TWO_WAY = "two_way"
    PREFER_SALESFORCE_UNLESS_BLANK = "prefer_salesforce_unless_blank"
    ALWAYS_SALESFORCE = "always_salesforce"
    ALWAYS_HUBSPOT = "always_hubspot"
    PREFER_HUBSPOT_UNLESS_BLANK = "prefer_hubspot_unless_blank"
    NONE = "none"

    def writes(self, side: Side) -> bool:
        """Whether this rule can ever write into ``side``."""
        return side in _WRITES[self]


_BOTH = frozenset(Side)
_WRITES: Final[dict[SyncRule, frozenset[Side]]] = {
    SyncRule.TWO_WAY: _BOTH,
    SyncRule.PREFER_SALESFORCE_UNLESS_BLANK: _BOTH,
    SyncRule.PREFER_HUBSPOT_UNLESS_BLANK: _BOTH,
    SyncRule.ALWAYS_SALESFORCE: frozenset({Side.HUBSPOT}),
    SyncRule.ALWAYS_HUBSPOT: frozenset({Side.SALESFORCE}),
    SyncRule.NONE: frozenset(),
}


class NoSnapshot(Enum):
    """The pair was never synced: there is no last-synced value to tell what changed."""

    NO_SNAPSHOT = "no snapshot"


NO_SNAPSHOT: Final = NoSnapshot.NO_SNAPSHOT
Snapshot = Comparable | Literal[NoSnapshot.NO_SNAPSHOT]


@dataclass(frozen=True)
class Decision:
    """What one row of one matched pair needs.

    ``winner`` is the side whose value stands and ``write`` the side to write (the other one),
    both ``None`` when there is nothing to do. ``snapshot`` is the value both sides hold
    afterwards, to remember as last synced (``NO_SNAPSHOT`` for rule ``none``: remember nothing).
    ``reason`` says why, for ``--dry-run``.
    """

    winner: Side | None
    write: Side | None
    snapshot: Snapshot
    reason: str


def decide(
    rule: SyncRule,
    salesforce: Comparable,
    hubspot: Comparable,
    snapshot: Snapshot,
    salesforce_modified: datetime | None,
    hubspot_modified: datetime | None,
) -> Decision:
    """Resolve one row from both sides' values, already in one comparable form.

    ``two_way``: only a side whose value differs from the snapshot has changed; if both have,
    the newer modification wins. Without a snapshot (first sync of a matched pair) the newer
    record wins, except that a blank never overwrites a value. ``prefer_X_unless_blank``: X's
    value unless it is blank. ``always_X``: X's value, even blank. ``none``: never written.
    Ties in time go to Salesforce, the CRM of record.
    """
    if rule is SyncRule.NONE:
        return Decision(None, None, NO_SNAPSHOT, "rule none: never written")
    if salesforce == hubspot:
        return Decision(None, None, salesforce, "both sides agree")
    if rule is SyncRule.ALWAYS_SALESFORCE:
        return _wins(Side.SALESFORCE, salesforce, "always_salesforce")
    if rule is SyncRule.ALWAYS_HUBSPOT:
        return _wins(Side.HUBSPOT, hubspot, "always_hubspot")
    if rule is SyncRule.PREFER_SALESFORCE_UNLESS_BLANK:
        if salesforce is not None:
            return _wins(Side.SALESFORCE, salesforce, "prefer_salesforce_unless_blank")
        return _wins(Side.HUBSPOT, hubspot, "prefer_salesforce_unless_blank: Salesforce is blank")
    if rule is SyncRule.PREFER_HUBSPOT_UNLESS_BLANK:
        if hubspot is not None:
            return _wins(Side.HUBSPOT, hubspot, "prefer_hubspot_unless_blank")
        return _wins(Side.SALESFORCE, salesforce, "prefer_hubspot_unless_blank: HubSpot is blank")
    return _two_way(salesforce, hubspot, snapshot, salesforce_modified, hubspot_modified)


def _two_way(
    salesforce: Comparable,
    hubspot: Comparable,
    snapshot: Snapshot,
    salesforce_modified: datetime | None,
    hubspot_modified: datetime | None,
) -> Decision:
    values = {Side.SALESFORCE: salesforce, Side.HUBSPOT: hubspot}
    if snapshot is NoSnapshot.NO_SNAPSHOT:
        if hubspot is None:
            return _wins(Side.SALESFORCE, salesforce, "first sync: HubSpot is blank")
        if salesforce is None:
            return _wins(Side.HUBSPOT, hubspot, "first sync: Salesforce is blank")
        newer = _newer(salesforce_modified, hubspot_modified)
        return _wins(newer, values[newer], f"first sync: the newer record ({_SYSTEM[newer]}) wins")
    salesforce_changed = salesforce != snapshot
    hubspot_changed = hubspot != snapshot
    if salesforce_changed and not hubspot_changed:
        return _wins(Side.SALESFORCE, salesforce, "two_way: changed in Salesforce")
    if hubspot_changed and not salesforce_changed:
        return _wins(Side.HUBSPOT, hubspot, "two_way: changed in HubSpot")
    newer = _newer(salesforce_modified, hubspot_modified)
    return _wins(
        newer, values[newer], f"two_way: changed on both sides, the newer ({_SYSTEM[newer]}) wins"
    )


def _newer(salesforce_modified: datetime | None, hubspot_modified: datetime | None) -> Side:
    if hubspot_modified is None:
        return Side.SALESFORCE
    if salesforce_modified is None or hubspot_modified > salesforce_modified:
        return Side.HUBSPOT
    return Side.SALESFORCE


def _wins(side: Side, value: Comparable, reason: str) -> Decision:
    return Decision(side, side.other, value, reason)


@dataclass(frozen=True)
class Resolution:
    """A row resolved for one matched pair.

    Both sides in comparable form, the decision, and the value to write into ``decision.write``
    in that system's wire form (``None`` when there is nothing to write).
    """

    row: FieldRow
    salesforce: Comparable
    hubspot: Comparable
    decision: Decision
    value: Any = None


@dataclass(frozen=True)
class FieldRow:
    """One compiled ``[[fields]]`` row: its rule and its transforms in each direction.

    Values are compared in the form of the side the rule writes (HubSpot's when it can write
    both), so that what was written reads back equal and nothing is written twice.
    """

    salesforce: str
    hubspot: str
    rule: SyncRule
    label: str
    _to_hubspot: Transform | None = field(repr=False, compare=False)
    _to_salesforce: Transform | None = field(repr=False, compare=False)
    _hubspot_form: Transform = field(repr=False, compare=False)
    _salesforce_form: Transform = field(repr=False, compare=False)

    def writes(self, side: Side) -> bool:
        return self.rule.writes(side)

    def to_hubspot(self, value: Any, ctx: TransformContext) -> str:
        """A Salesforce value as HubSpot is to be sent it (text; ``""`` clears)."""
        transform = self._direction(self._to_hubspot, Side.HUBSPOT)
        try:
            return hubspot_wire(transform(value, ctx))
        except ValueRejected as exc:
            raise self._blame(exc, Side.SALESFORCE) from None

    def to_salesforce(self, value: Any, ctx: TransformContext) -> Any:
        """A HubSpot value as Salesforce is to be sent it (``None`` clears)."""
        transform = self._direction(self._to_salesforce, Side.SALESFORCE)
        try:
            return salesforce_wire(transform(value, ctx))
        except ValueRejected as exc:
            raise self._blame(exc, Side.HUBSPOT) from None

    def value_for(self, target: Side, value: Any, ctx: TransformContext) -> Any:
        """The other side's ``value`` as ``target`` is to be sent it."""
        if target is Side.HUBSPOT:
            return self.to_hubspot(value, ctx)
        return self.to_salesforce(value, ctx)

    @staticmethod
    def comparable(value: Any) -> Comparable:
        return comparable(value)

    def comparable_pair(
        self, salesforce: Any, hubspot: Any, ctx: TransformContext
    ) -> tuple[Comparable, Comparable]:
        """Both sides' values in the one form this row compares them in."""
        resolution = self._forms(salesforce, hubspot, ctx)
        return resolution[0], resolution[1]

    def resolve(
        self,
        salesforce: Any,
        hubspot: Any,
        snapshot: Snapshot,
        salesforce_modified: datetime | None,
        hubspot_modified: datetime | None,
        ctx: TransformContext,
    ) -> Resolution:
        """Compare, decide, and produce the value to write, for one matched pair.

        Raises a ``ValueRejected`` (dead letter) when a value cannot be converted, an owner has
        no counterpart, or a value is missing from a value map.
        """
        sf_form, hs_form, converted = self._forms(salesforce, hubspot, ctx)
        decision = decide(
            self.rule, sf_form, hs_form, snapshot, salesforce_modified, hubspot_modified
        )
        value: Any = None
        if decision.write in converted:
            value = converted[decision.write]
        elif decision.write is not None:
            source = hubspot if decision.write is Side.SALESFORCE else salesforce
            value = self.value_for(decision.write, source, ctx)
        return Resolution(self, sf_form, hs_form, decision, value)

    def _forms(
        self, salesforce: Any, hubspot: Any, ctx: TransformContext
    ) -> tuple[Comparable, Comparable, dict[Side, Any]]:
        if self.rule.writes(Side.HUBSPOT):
            as_hubspot = self.to_hubspot(salesforce, ctx)
            hubspot_form = self._canonical(self._hubspot_form, hubspot, ctx)
            return comparable(as_hubspot), hubspot_form, {Side.HUBSPOT: as_hubspot}
        if self.rule.writes(Side.SALESFORCE):
            as_salesforce = self.to_salesforce(hubspot, ctx)
            salesforce_form = self._canonical(self._salesforce_form, salesforce, ctx)
            return salesforce_form, comparable(as_salesforce), {Side.SALESFORCE: as_salesforce}
        return comparable(salesforce), comparable(hubspot), {}

    @staticmethod
    def _canonical(form: Transform, value: Any, ctx: TransformContext) -> Comparable:
        # The side about to be overwritten may hold anything; a value that does not parse simply
        # compares unequal, and is overwritten.
        try:
            return comparable(form(value, ctx))
        except ValueRejected:
            return comparable(value)

    def _direction(self, transform: Transform | None, target: Side) -> Transform:
        if transform is None:
            raise InvariantBroken(
                f"{self.label}: rule {self.rule} never writes {_SYSTEM[target]}, "
                "so this row has no transform towards it"
            )
        return transform

    def _blame(self, exc: ValueRejected, source: Side) -> ValueRejected:
        names = {Side.SALESFORCE: self.salesforce, Side.HUBSPOT: self.hubspot}
        target = source.other
        context = f"{_SYSTEM[source]} {names[source]} → {_SYSTEM[target]} {names[target]}"
        return exc.for_field(names[source], context)


@dataclass(frozen=True)
class Identity:
    """How two records are matched when no id link exists yet: one field on each side."""

    salesforce: str
    hubspot: str
    _normalize: Transform = field(repr=False, compare=False)

    def key(self, value: Any) -> str | None:
        """``value`` as a match key (``None`` when blank: a blank matches nothing)."""
        return comparable(self._normalize(value, TransformContext()))


class SalesforceStage(StrEnum):
    """Where a pipeline's Salesforce records keep their stage."""

    LEAD_STATUS = "lead_status"  # Status and Disposition_Reason__c, as on Lead
    CONVERSION = "conversion"  # read from conversion and the opportunity, as for Contact


@dataclass(frozen=True)
class FieldMap:
    """A compiled mapping file: what to read on each side, and each row's rule and transforms."""

    path: Path
    version: int
    salesforce_object: str
    hubspot_object: str
    identity: Identity
    rows: tuple[FieldRow, ...]
    taxonomy: Taxonomy | None = None
    salesforce_stage: SalesforceStage | None = None
    lead_definition: LeadDefinition | None = None
    salesforce_modified_field: str = "SystemModstamp"
    hubspot_modified_field: str = "lastmodifieddate"

    def salesforce_fields(self) -> tuple[str, ...]:
        """Every Salesforce field a cycle reads: id, modstamp, identity, rows, taxonomy."""
        names = ["Id", self.salesforce_modified_field, self.identity.salesforce]
        names += [row.salesforce for row in self.rows]
        if self.taxonomy is not None and self.salesforce_stage is SalesforceStage.LEAD_STATUS:
            names += self.taxonomy.salesforce_fields.read()
        return tuple(dict.fromkeys(names))

    def hubspot_fields(self) -> tuple[str, ...]:
        """Every HubSpot property a cycle reads, the lead definition's included."""
        names = [self.hubspot_modified_field, self.identity.hubspot]
        names += [row.hubspot for row in self.rows]
        if self.taxonomy is not None:
            names += self.taxonomy.hubspot_fields.read()
        if self.lead_definition is not None:
            names += self.lead_definition.properties()
        return tuple(dict.fromkeys(names))

    def rows_writing(self, side: Side) -> tuple[FieldRow, ...]:
        return tuple(row for row in self.rows if row.writes(side))

    def row(self, side: Side, name: str) -> FieldRow | None:
        """The row mapping field ``name`` of ``side``, if any."""
        for row in self.rows:
            if (row.salesforce if side is Side.SALESFORCE else row.hubspot) == name:
                return row
        return None

    @staticmethod
    def comparable(value: Any) -> Comparable:
        return comparable(value)


# --- the file --------------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentitySpec(_Spec):
    """``[identity]``: the match key tried after the id link table."""

    salesforce: str
    hubspot: str
    normalize: tuple[str, ...] = ("trim", "lower")


class FieldSpec(_Spec):
    """One ``[[fields]]`` row."""

    salesforce: str
    hubspot: str
    rule: str
    transforms: tuple[str, ...] = ()
    to_hubspot: tuple[str, ...] = ()
    to_salesforce: tuple[str, ...] = ()


class TaxonomySwitchSpec(_Spec):
    """``[taxonomy]``: this pipeline's records carry the lead-status taxonomy."""

    file: str
    lead_definition: str | None = None
    salesforce_stage: SalesforceStage = SalesforceStage.LEAD_STATUS


class MappingSpec(_Spec):
    """The whole mapping file."""

    version: int
    salesforce_object: str
    hubspot_object: str
    identity: IdentitySpec | None = None
    taxonomy: TaxonomySwitchSpec | None = None
    fields: tuple[FieldSpec, ...] = ()
    value_maps: dict[str, dict[str, str]] = {}


# Salesforce sets these itself; a row may read them, never write them.
SALESFORCE_READ_ONLY: Final = frozenset(
    {
        "Id",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "IsDeleted",
        "IsConverted",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
        "MasterRecordId",
    }
)
HUBSPOT_READ_ONLY: Final = {
    "hs_object_id": "HubSpot's record id",
    "createdate": "set by HubSpot",
    "lastmodifieddate": "set by HubSpot",
    "hs_lastmodifieddate": "set by HubSpot",
    "hs_createdate": "set by HubSpot",
    "hubspotscore": "calculated by HubSpot from its scoring rules",
}


def salesforce_read_only(object_name: str, field_name: str) -> str | None:
    """Why ``field_name`` cannot be written on ``object_name``, or ``None`` if it can be."""
    if "." in field_name:
        return "a field of a related record (read through the relationship, never written)"
    if field_name in SALESFORCE_READ_ONLY or field_name.startswith("Converted"):
        return "set by Salesforce"
    if field_name == "Name" and object_name in ("Lead", "Contact"):
        return "a compound of FirstName and LastName on a person"
    return None


def compile_mapping(path: Path) -> FieldMap:
    """Read, check and compile a mapping file (and the taxonomy and lead definition it names)."""
    doc = load_toml(path)
    spec = doc.validate(MappingSpec)
    if spec.version != SUPPORTED_VERSION:
        raise doc.error(
            ["version"],
            f"unsupported version {spec.version} (this crmsync reads version {SUPPORTED_VERSION})",
        )
    taxonomy, lead_definition = _load_taxonomy(doc, spec)
    return FieldMap(
        path=path,
        version=spec.version,
        salesforce_object=spec.salesforce_object,
        hubspot_object=spec.hubspot_object,
        identity=_identity(doc, spec),
        rows=_Rows(doc, spec, taxonomy).compile(),
        taxonomy=taxonomy,
        salesforce_stage=spec.taxonomy.salesforce_stage if spec.taxonomy else None,
        lead_definition=lead_definition,
        hubspot_modified_field=(
            # Contacts carry lastmodifieddate; deals, companies and the rest hs_lastmodifieddate.
            "lastmodifieddate" if spec.hubspot_object == "contacts" else "hs_lastmodifieddate"
        ),
    )


def _load_taxonomy(
    doc: TomlDoc, spec: MappingSpec
) -> tuple[Taxonomy | None, LeadDefinition | None]:
    if spec.taxonomy is None:
        return None, None
    taxonomy = load_taxonomy(_sibling(doc, ["taxonomy", "file"], spec.taxonomy.file))
    lead_definition = None
    if spec.taxonomy.lead_definition is not None:
        where = ["taxonomy", "lead_definition"]
        lead_definition = load_lead_definition(_sibling(doc, where, spec.taxonomy.lead_definition))
    return taxonomy, lead_definition


def _sibling(doc: TomlDoc, keys: KeyPath, name: str) -> Path:
    """A file named relative to the mapping file, which must exist."""
    path = doc.path.parent / name
    if not path.is_file():
        raise doc.error(keys, f"no such file: {path}")
    return path


def _identity(doc: TomlDoc, spec: MappingSpec) -> Identity:
    if spec.identity is None:
        raise doc.error(
            ["identity"],
            "[identity] is missing: records are matched by their id link first, then by this key "
            '(for example salesforce = "Email", hubspot = "email")',
        )
    steps: list[Transform] = []
    for name in spec.identity.normalize:
        if translates(name):
            raise doc.error(
                ["identity", "normalize"], f"'{name}' translates values; a match key only formats"
            )
        try:
            steps.append(compile_transform(name, Side.HUBSPOT))
        except TransformSpecError as exc:
            raise doc.error(["identity", "normalize"], str(exc)) from None
    return Identity(spec.identity.salesforce, spec.identity.hubspot, chain(steps))


class _Rows:
    """Compiles ``[[fields]]``, checking each row against the others and the taxonomy."""

    def __init__(self, doc: TomlDoc, spec: MappingSpec, taxonomy: Taxonomy | None) -> None:
        self.doc = doc
        self.spec = spec
        self.value_maps: ValueMaps = spec.value_maps
        self.owned: dict[Side, frozenset[str]] = {
            Side.SALESFORCE: frozenset(),
            Side.HUBSPOT: frozenset(),
        }
        if taxonomy is not None:
            self.owned[Side.SALESFORCE] = frozenset(taxonomy.salesforce_fields.written())
            self.owned[Side.HUBSPOT] = frozenset(taxonomy.hubspot_fields.written())
        self.seen: dict[Side, dict[str, int]] = {Side.SALESFORCE: {}, Side.HUBSPOT: {}}

    def compile(self) -> tuple[FieldRow, ...]:
        for name, table in self.value_maps.items():
            if not table:
                raise self.doc.error(["value_maps", name], f"value map '{name}' is empty")
        return tuple(self._row(index, row) for index, row in enumerate(self.spec.fields))

    def _row(self, index: int, row: FieldSpec) -> FieldRow:
        keys: list[str | int] = ["fields", index]
        try:
            rule = SyncRule(row.rule)
        except ValueError:
            known = ", ".join(r.value for r in SyncRule)
            raise self.doc.error(
                [*keys, "rule"], f"unknown rule '{row.rule}' (known: {known})"
            ) from None
        names = {Side.SALESFORCE: row.salesforce, Side.HUBSPOT: row.hubspot}
        for side, name in names.items():
            self._check_field(keys, side, name, index)
            if rule.writes(side):
                self._check_writable(keys, rule, side, name)
        full: dict[Side, Transform | None] = {}
        formatting: dict[Side, Transform] = {}
        for target in Side:
            steps = self._steps(keys, rule, target, row)
            full[target] = chain([t for t, _ in steps]) if rule.writes(target) else None
            formatting[target] = chain([t for t, formats in steps if formats])
        return FieldRow(
            salesforce=row.salesforce,
            hubspot=row.hubspot,
            rule=rule,
            label=f"{self.doc.where(keys)} [fields #{index + 1}]",
            _to_hubspot=full[Side.HUBSPOT],
            _to_salesforce=full[Side.SALESFORCE],
            _hubspot_form=formatting[Side.HUBSPOT],
            _salesforce_form=formatting[Side.SALESFORCE],
        )

    def _check_field(self, keys: list[str | int], side: Side, name: str, index: int) -> None:
        key = side.value
        system = _SYSTEM[side]
        if not name.strip():
            raise self.doc.error([*keys, key], f"the {system} field name is empty")
        if name in self.owned[side]:
            raise self.doc.error(
                [*keys, key],
                f"{system} '{name}' holds the lead stage and is written by the taxonomy "
                f"({self.spec.taxonomy.file if self.spec.taxonomy else 'taxonomy.toml'}); "
                "remove this row",
            )
        first = self.seen[side].get(name)
        if first is not None:
            line = self.doc.line_of(["fields", first])
            at = f" (line {line})" if line else ""
            raise self.doc.error(
                [*keys, key],
                f"{system} '{name}' is mapped twice: also by [fields #{first + 1}]{at}",
            )
        self.seen[side][name] = index

    def _check_writable(self, keys: list[str | int], rule: SyncRule, side: Side, name: str) -> None:
        if side is Side.SALESFORCE:
            why = salesforce_read_only(self.spec.salesforce_object, name)
            fix = "always_salesforce or none"
        else:
            why = HUBSPOT_READ_ONLY.get(name)
            fix = "always_hubspot or none"
        if why is not None:
            raise self.doc.error(
                [*keys, "rule"],
                f"rule '{rule}' writes into {_SYSTEM[side]} '{name}', which is read-only "
                f"({why}); use {fix}",
            )

    def _steps(
        self, keys: list[str | int], rule: SyncRule, target: Side, row: FieldSpec
    ) -> list[tuple[Transform, bool]]:
        """The transforms towards ``target``, each with whether it only formats the value.

        Names are checked even for a direction the rule never writes; a value map's inverse is
        only required where the rule writes Salesforce.
        """
        if target is Side.HUBSPOT:
            specific = ("to_hubspot", row.to_hubspot)
        else:
            specific = ("to_salesforce", row.to_salesforce)
        steps: list[tuple[Transform, bool]] = []
        for list_key, names in (("transforms", row.transforms), specific):
            for name in names:
                build_for = target if rule.writes(target) else Side.HUBSPOT
                try:
                    transform = compile_transform(name, build_for, self.value_maps)
                except TransformSpecError as exc:
                    raise self.doc.error([*keys, list_key], str(exc)) from None
                steps.append((transform, not translates(name)))
        return steps


def read_only_reason(side: Side, object_name: str, field_name: str) -> str | None:
    """Why a field cannot be written on ``side`` (for ``validate --remote`` messages too)."""
    if side is Side.SALESFORCE:
        return salesforce_read_only(object_name, field_name)
    return HUBSPOT_READ_ONLY.get(field_name)
