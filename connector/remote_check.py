"""``crmsync validate --remote``: every mapped field checked against the live org and portal.

For each pipeline, what its mapping, the taxonomy and the lead definition name must exist in
Salesforce (describe) and HubSpot (property definitions), hold a compatible kind of value
(:data:`connector.remote_schema.ACCEPTS`), be writable where something writes it, offer every
picklist value the taxonomy and value maps write, and carry the flags creates rely on: the
Salesforce field holding the HubSpot id is an External ID, a HubSpot identity other than a
contact's e-mail requires unique values. Each problem is one line, ``<system> <Object>.<field>:
what is wrong — how to fix it``; a system that cannot be reached or refuses the credentials
raises (exit 3) instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from connector.config import Config, PipelineConfig
from connector.lead_rule import Criterion, LeadDefinition, Operator
from connector.mapping import FieldMap, FieldRow, SalesforceStage, compile_mapping
from connector.mapping.compiler import FieldSpec, MappingSpec
from connector.model import Side
from connector.remote_schema import (
    Carried,
    Found,
    HubSpotSchema,
    Kind,
    Missing,
    Problems,
    RemoteField,
    SalesforceSchema,
    Schema,
)
from connector.remote_taxonomy import TaxonomyCheck
from connector.systems.retry import RetrySettings
from connector.taxonomy import Taxonomy
from connector.tomlsource import load_toml

HUBSPOT_ID: Final = "hs_object_id"
README: Final = "see README: Running against a real org"
# validate answers in seconds: a system that does not answer after a few quick tries is down.
VALIDATE_RETRY: Final = RetrySettings(
    max_attempts=3, deadline_s=20.0, backoff_initial_s=0.25, backoff_max_s=2.0
)

# The custom fields crmsync's shipped mappings name, as the README tells an admin to create them.
_SALESFORCE_DOCUMENTED: Final = {
    "HubSpot_Contact_Id__c": "Text(32), External ID, Unique",
    "HubSpot_Deal_Id__c": "Text(32), External ID, Unique",
    "Lead_Score__c": "Number(18,0)",
    "Recycle_Date__c": "Date",
    "Contract_End_Date__c": "Date",
    "Loss_Reason__c": "Text(255)",
}
_HUBSPOT_DOCUMENTED: Final = {
    "salesforce_lead_id": "single-line text with unique values",
    "salesforce_contact_id": "single-line text with unique values",
    "salesforce_opportunity_id": "single-line text with unique values",
    "recycle_date": "date picker",
    "contract_end_date": "date picker",
    "closed_loop_date": "date picker",
    "closed_loop_amount": "number",
    "closed_loop_reason": "single-line text",
}
_TYPE_HINTS: Final = {
    Side.SALESFORCE: {
        Kind.TEXT: "Text(255)",
        Kind.NUMBER: "Number(18,2)",
        Kind.DATE: "Date",
        Kind.DATETIME: "Date/Time",
        Kind.BOOLEAN: "Checkbox",
        Kind.CHOICE: "Picklist",
        Kind.REFERENCE: "Text(18)",
        Kind.OWNER: "Lookup(User)",
    },
    Side.HUBSPOT: {
        Kind.TEXT: "single-line text",
        Kind.NUMBER: "number",
        Kind.DATE: "date picker",
        Kind.DATETIME: "date and time picker",
        Kind.BOOLEAN: "single checkbox",
        Kind.CHOICE: "dropdown select",
        Kind.REFERENCE: "single-line text",
        Kind.OWNER: "HubSpot user",
    },
}
_PRODUCES: Final = {
    "number": Kind.NUMBER,
    "integer": Kind.NUMBER,
    "boolean": Kind.BOOLEAN,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "owner_by_email": Kind.OWNER,
}
# Which transform makes a value of the target's kind, and from which kinds it can.
_CONVERSIONS: Final = {
    Kind.NUMBER: ("number", frozenset({Kind.TEXT, Kind.CHOICE})),
    Kind.DATE: ("date", frozenset({Kind.TEXT, Kind.DATETIME})),
    Kind.BOOLEAN: ("boolean", frozenset({Kind.TEXT, Kind.CHOICE, Kind.NUMBER})),
    Kind.CHOICE: ("value_map:NAME", frozenset({Kind.TEXT, Kind.NUMBER, Kind.BOOLEAN})),
}


def check_remote(config: Config) -> list[str]:
    """One line per problem between the config's mappings and the live systems (none: ``[]``).

    Raises ``SystemUnreachable`` or ``CredentialsRefused`` when a system cannot be asked.
    """
    from connector.systems.factory import build_systems

    pipelines = [(p, compile_mapping(config.mapping_path(p))) for p in config.file.pipelines]
    salesforce, hubspot = build_systems(config, retry=VALIDATE_RETRY)
    try:
        problems = Problems()
        schemas = (SalesforceSchema(salesforce), HubSpotSchema(hubspot))
        for pipeline, field_map in pipelines:
            PipelineCheck(pipeline, field_map, *schemas, problems).run()
        return problems.lines
    finally:
        salesforce.close()


class PipelineCheck:
    """Checks one pipeline's mapping (and its taxonomy and lead definition) remotely."""

    def __init__(
        self,
        pipeline: PipelineConfig,
        field_map: FieldMap,
        salesforce: SalesforceSchema,
        hubspot: HubSpotSchema,
        problems: Problems,
    ) -> None:
        self.pipeline = pipeline
        self.map = field_map
        self.doc = load_toml(field_map.path)
        self.spec = self.doc.validate(MappingSpec)
        self.schemas: dict[Side, Schema] = {Side.SALESFORCE: salesforce, Side.HUBSPOT: hubspot}
        self.objects = {
            Side.SALESFORCE: field_map.salesforce_object,
            Side.HUBSPOT: field_map.hubspot_object,
        }
        self.problems = problems
        # As the runner decides: Salesforce records are created only through the handoff gate.
        self.creates_salesforce = (
            field_map.taxonomy is not None
            and field_map.salesforce_stage is SalesforceStage.LEAD_STATUS
        )

    # -- the whole pipeline -------------------------------------------------------------------

    def run(self) -> None:
        present = [side for side in Side if self._object_exists(side)]
        if not present:
            return
        self._rows()
        self._reads()
        if self.map.taxonomy is not None:
            self._taxonomy(self.map.taxonomy)
        if self.map.lead_definition is not None:
            self._lead_definition(self.map.lead_definition)
        self._idempotency()
        if self.creates_salesforce and Side.SALESFORCE in present:
            self._required_on_create()

    def _object_exists(self, side: Side) -> bool:
        name = self.objects[side]
        if self.schemas[side].fields(name) is not None:
            return True
        key = f"{side.value}_object"
        place = "org" if side is Side.SALESFORCE else "portal"
        self.problems.add(
            f"{side.value} {name}",
            f"no such object in your {place} (pipeline '{self.pipeline.name}')",
            f"fix {key} in {self.doc.where([key])} and in the pipeline's config",
        )
        return False

    def subject(self, side: Side, path: str) -> str:
        return f"{side.value} {self.objects[side]}.{path}"

    def resolve(self, side: Side, path: str) -> Found:
        return self.schemas[side].resolve(self.objects[side], path)

    def find(
        self, side: Side, path: str, where: str, hint: str | None = None
    ) -> RemoteField | None:
        """The field, or ``None`` after reporting it missing (once per field)."""
        found = self.resolve(side, path)
        if isinstance(found, Missing):
            self.report_missing(side, path, found, where, hint)
            return None
        return found

    def report_missing(
        self, side: Side, path: str, missing: Missing, where: str, hint: str | None
    ) -> None:
        subject = self.subject(side, path)
        if subject in self.problems.missing or (
            missing.object_missing and missing.holder == self.objects[side]
        ):
            return
        self.problems.missing.add(subject)
        noun, place = ("field", "org") if side is Side.SALESFORCE else ("property", "portal")
        on = "" if missing.holder == self.objects[side] else f" on {missing.holder}"
        if missing.object_missing:
            what = f"your {place} has no object {missing.holder}"
            fix = f"fix the path in {where}"
        elif missing.spelt is not None:
            kind = "relationship" if missing.relationship else noun
            what = f"your {place} spells this {kind} '{missing.spelt}'"
            fix = f"use that spelling in {where}"
        elif missing.targets:
            what = (
                f"{missing.holder}'s relationship '{missing.name}' can lead to "
                f"{' or '.join(missing.targets)}"
            )
            fix = (
                f"crmsync reads through a relationship to one object only; fix the path in {where}"
            )
        elif missing.relationship:
            what = f"{missing.holder} has no relationship '{missing.name}'"
            fix = (
                f"fix the path in {where} (a lookup field's relationship name, as in "
                "ConvertedOpportunity.StageName)"
            )
        else:
            what = f"no such {noun}{on} in your {place}"
            documented = _documented(side, missing.name)
            if documented is not None:
                fix = f"create it as {documented} ({README})"
            elif missing.near is not None:
                fix = f"did you mean '{missing.near}'? Fix the name in {where}"
            elif hint is not None:
                fix = f"create it as {hint}, or fix the name in {where}"
            else:
                fix = f"create it, or fix the name in {where}"
        self.problems.add(subject, what, fix)

    # -- field rows ---------------------------------------------------------------------------

    def _rows(self) -> None:
        for row, spec in zip(self.map.rows, self.spec.fields, strict=True):
            found = {side: self.resolve(side, _name(row, side)) for side in Side}
            for side in Side:
                missing = found[side]
                if isinstance(missing, Missing):
                    hint = self._row_hint(side, row, spec, found[side.other])
                    self.report_missing(side, _name(row, side), missing, row.label, hint)
            for target in Side:
                field, source = found[target], found[target.other]
                if not row.writes(target) or not isinstance(field, RemoteField):
                    continue
                subject = self.subject(target, _name(row, target))
                self.writable(field, subject, f"rule '{row.rule}'", row.label)
                if isinstance(source, RemoteField):
                    carried = self._carried(row, spec, source, target)
                    self.compatible(field, subject, carried, row.label, check_values=False)

    def _carried(
        self, row: FieldRow, spec: FieldSpec, source: RemoteField, target: Side
    ) -> Carried:
        """What the row sends to ``target``: the source's kind and values, then each transform's."""
        source_subject = self.subject(target.other, _name(row, target.other))
        kind = source.kind
        values = tuple((v, f"a value of {source_subject}") for v in source.options)
        alternative = f", or translate values with a value_map in {row.label}"
        from_source = kind is Kind.CHOICE
        specific = spec.to_hubspot if target is Side.HUBSPOT else spec.to_salesforce
        for step in (*spec.transforms, *specific):
            name, _, argument = step.strip().partition(":")
            if name == "value_map":
                table = self.spec.value_maps[argument]
                if from_source:
                    keys = table if target is Side.HUBSPOT else table.values()
                    self._value_map_covers(source, source_subject, argument, set(keys))
                written = table.values() if target is Side.HUBSPOT else table.keys()
                map_where = self.doc.where(["value_maps", argument])
                why = f"[value_maps.{argument}], {map_where}"
                values = tuple((v, why) for v in dict.fromkeys(written))
                kind, alternative = Kind.CHOICE, f", or change [value_maps.{argument}]"
            elif name == "date_as_datetime":
                kind, values = (Kind.DATETIME if target is Side.HUBSPOT else Kind.DATE), ()
            elif name in _PRODUCES:
                kind, values = _PRODUCES[name], ()
            else:
                continue
            from_source = False
        return Carried(kind, source_subject, values, alternative)

    def _value_map_covers(
        self, source: RemoteField, subject: str, name: str, keys: set[str]
    ) -> None:
        where = self.doc.where(["value_maps", name])
        noun = "picklist value" if source.side is Side.SALESFORCE else "option"
        for value in source.options:
            if value not in keys:
                self.problems.add(
                    subject,
                    f"{noun} {value!r} is not in [value_maps.{name}]",
                    f"a record holding it would go to dead letters; add it to the value map in "
                    f"{where}",
                )

    def _row_hint(self, side: Side, row: FieldRow, spec: FieldSpec, other: Found) -> str | None:
        """What to create a missing field as, from what the row keeps in it."""
        if side is Side.SALESFORCE and row.hubspot == HUBSPOT_ID:
            return "Text(32), External ID, Unique"
        if side is Side.HUBSPOT and (
            row.salesforce == "Id" or row.hubspot == self._unique_identity()
        ):
            return "single-line text with unique values"
        if not isinstance(other, RemoteField):
            return None
        if row.writes(side):
            carried = self._carried(row, spec, other, side)
            return _type_hint(side, carried.kind, [v for v, _ in carried.values])
        return _type_hint(side, other.kind, list(other.options))

    # -- what every field must allow ----------------------------------------------------------

    def writable(self, field: RemoteField, subject: str, who: str, where: str) -> None:
        if field.side is Side.HUBSPOT:
            if not field.updateable:
                self.problems.add(
                    subject,
                    f"read-only in your portal, but {who} writes it ({where})",
                    "use a rule that does not write HubSpot (always_hubspot or none)",
                )
            return
        denied = []
        if not field.updateable:
            denied.append("edit")
        if self.creates_salesforce and not field.createable:
            denied.append("set on create")
        if denied:
            self.problems.add(
                subject,
                f"the integration user cannot {' or '.join(denied)} it (a formula or system "
                f"field, or read-only by field-level security), but {who} writes it ({where})",
                f"give the user edit access in {field.settings} > Set Field-Level Security, "
                "or use a rule that does not write Salesforce",
            )

    def compatible(
        self,
        field: RemoteField,
        subject: str,
        carried: Carried,
        where: str,
        *,
        check_values: bool,
    ) -> None:
        """``carried`` fits ``field``: its kind (:data:`ACCEPTS`), then its picklist values.

        Values are checked when the target only takes its options (a HubSpot enumeration, a
        restricted picklist) or ``check_values`` says they must be there anyway (the taxonomy,
        which also reads them back).
        """
        if not field.accepts(carried.kind):
            self.problems.add(
                subject,
                f"{_article(field.type)} {field.type} {field.noun} cannot take {carried.kind} "
                f"from {carried.source} ({where})",
                _kind_fix(field, carried.kind),
            )
            return
        if field.kind is not Kind.CHOICE or not (field.restricted or check_values):
            return
        if carried.kind is Kind.OWNER:
            return  # owner options are the portal's users, matched by e-mail at sync time
        lacks = "picklist lacks" if field.side is Side.SALESFORCE else "has no option"
        for value, why in carried.values:
            if value not in field.options:
                self.problems.add(
                    subject,
                    f"{lacks} {value!r} ({why})",
                    f"add it in {field.settings}{carried.alternative}",
                )

    # -- fields read but not written by rows --------------------------------------------------

    def _reads(self) -> None:
        path = str(self.map.path)
        identity = self.map.identity
        self.find(Side.SALESFORCE, identity.salesforce, self.doc.where(["identity", "salesforce"]))
        self.find(Side.HUBSPOT, identity.hubspot, self.doc.where(["identity", "hubspot"]))
        self.find(Side.SALESFORCE, self.map.salesforce_modified_field, path)
        self.find(Side.HUBSPOT, self.map.hubspot_modified_field, path)

    # -- the taxonomy -------------------------------------------------------------------------

    def _taxonomy(self, taxonomy: Taxonomy) -> None:
        check = TaxonomyCheck(self, taxonomy)
        if self.map.salesforce_stage is SalesforceStage.LEAD_STATUS:
            check.salesforce()
        check.hubspot()

    # -- the lead definition ------------------------------------------------------------------

    def _lead_definition(self, definition: LeadDefinition) -> None:
        doc = load_toml(definition.path)
        located: list[tuple[list[str | int], Criterion]] = [
            (["fit", i], c) for i, c in enumerate(definition.fit)
        ]
        located.append((["engagement"], definition.engagement))
        for keys, criterion in located:
            where = doc.where([*keys, "property"])
            field = self.find(Side.HUBSPOT, criterion.property, where)
            if field is None:
                continue
            subject = self.subject(Side.HUBSPOT, criterion.property)
            operator = criterion.operator
            if operator in (Operator.AT_LEAST, Operator.AT_MOST) and field.kind is not Kind.NUMBER:
                self.problems.add(
                    subject,
                    f"{operator.value} compares numbers, but this is a {field.type} property "
                    f"({where})",
                    "use a number property, or another check (equals, in, not_blank)",
                )
            if operator in (Operator.EQUALS, Operator.IN, Operator.NOT_IN) and field.options:
                operands = [criterion.operand] if operator is Operator.EQUALS else criterion.operand
                folded = {option.casefold() for option in field.options}
                for operand in operands:
                    if str(operand).casefold() not in folded:
                        self.problems.add(
                            subject,
                            f"has no option {operand!r} ({where})",
                            "criteria compare internal values, not labels: use one of "
                            + ", ".join(repr(o) for o in field.options),
                        )

    # -- creates ------------------------------------------------------------------------------

    def _unique_identity(self) -> str | None:
        """The HubSpot property creates upsert by, when it must be unique (not a contact e-mail)."""
        identity = self.map.identity.hubspot
        # HubSpot upserts contacts by e-mail natively; any other idProperty must be unique.
        if self.map.hubspot_object == "contacts" and identity == "email":
            return None
        return identity

    def _idempotency(self) -> None:
        row = self.map.row(Side.HUBSPOT, HUBSPOT_ID)
        if row is not None and row.writes(Side.SALESFORCE):
            field = self.resolve(Side.SALESFORCE, row.salesforce)
            if isinstance(field, RemoteField):
                lacking = [
                    flag
                    for flag, ok in (("External ID", field.external_id), ("Unique", field.unique))
                    if not ok
                ]
                if lacking:
                    flags = " and ".join(lacking)
                    does = "creates and finds" if self.creates_salesforce else "finds"
                    self.problems.add(
                        self.subject(Side.SALESFORCE, row.salesforce),
                        f"is not marked {flags}, but it holds the HubSpot record id crmsync "
                        f"{does} {self.objects[Side.SALESFORCE]} records by ({row.label})",
                        f"tick {flags} in {field.settings}",
                    )
        identity = self._unique_identity()
        if identity is None:
            return
        found = self.resolve(Side.HUBSPOT, identity)
        if isinstance(found, RemoteField) and not found.unique:
            self.problems.add(
                self.subject(Side.HUBSPOT, identity),
                f"does not require unique values, but crmsync creates "
                f"{self.objects[Side.HUBSPOT]} by upsert on it "
                f"([identity] in {self.doc.where(['identity', 'hubspot'])})",
                f"turn on 'Require unique values for this property' in {found.settings}, or "
                "match by a property that requires them",
            )

    def _required_on_create(self) -> None:
        fields = self.schemas[Side.SALESFORCE].fields(self.objects[Side.SALESFORCE]) or {}
        written = {row.salesforce for row in self.map.rows_writing(Side.SALESFORCE)}
        if self.map.taxonomy is not None:
            written.update(self.map.taxonomy.salesforce_fields.written())
        for field in fields.values():
            if field.required_on_create and field.name not in written:
                self.problems.add(
                    self.subject(Side.SALESFORCE, field.name),
                    f"required in your org, but no row writes it, so a "
                    f"{self.objects[Side.SALESFORCE]} created from HubSpot would be refused",
                    f"map it with a rule that writes Salesforce in {self.map.path}, or give it a "
                    "default value",
                )


def _name(row: FieldRow, side: Side) -> str:
    return row.salesforce if side is Side.SALESFORCE else row.hubspot


def _documented(side: Side, name: str) -> str | None:
    table: Mapping[str, str] = (
        _SALESFORCE_DOCUMENTED if side is Side.SALESFORCE else _HUBSPOT_DOCUMENTED
    )
    return table.get(name)


def _type_hint(side: Side, kind: Kind, values: Sequence[str]) -> str | None:
    hint = _TYPE_HINTS[side].get(kind)
    if hint is not None and kind is Kind.CHOICE and values:
        listed = ", ".join(values)
        return f"{hint} with the {'values' if side is Side.SALESFORCE else 'options'} {listed}"
    return hint


def _kind_fix(field: RemoteField, kind: Kind) -> str:
    """How to make a row's value fit ``field``: a transform when one converts it."""
    transform: str | None = None
    if field.kind is Kind.DATETIME and kind in (Kind.DATE, Kind.TEXT):
        transform = "date_as_datetime" if kind is Kind.DATE else "datetime"
    elif field.kind in _CONVERSIONS:
        name, sources = _CONVERSIONS[field.kind]
        if kind in sources:
            transform = name
    if transform is not None:
        return (
            f"add the '{transform}' transform to the row (to_{field.side.value}), or map a "
            f"{field.noun} of a matching type"
        )
    return f"map a {field.noun} that can hold {kind}"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
