"""``mappings/<pipeline>.toml``: its schema, its checks, and compiling it into a ``FieldMap``.

Every mistake an admin can make is caught here, once, naming file, line and key: an unknown
rule or transform, a field mapped twice, a row writing a read-only field or a field the
taxonomy owns, a missing identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict

from connector.lead_rule import LeadDefinition, load_lead_definition
from connector.mapping.field_map import FieldMap, SalesforceStage
from connector.mapping.rows import FieldRow, Identity
from connector.mapping.rules import SYSTEM_NAMES, SyncRule
from connector.model import Side
from connector.taxonomy import Taxonomy, load_taxonomy
from connector.tomlsource import KeyPath, TomlDoc, load_toml
from connector.transforms import (
    Transform,
    TransformSpecError,
    ValueMaps,
    chain,
    compile_transform,
    translates,
)

SUPPORTED_VERSION = 1


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
        system = SYSTEM_NAMES[side]
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
                f"rule '{rule}' writes into {SYSTEM_NAMES[side]} '{name}', which is read-only "
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
