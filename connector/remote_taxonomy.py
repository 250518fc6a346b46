"""``validate --remote`` for the taxonomy: its fields in both systems, and every value it uses.

The fields that hold the stage must exist and be writable, their picklists must offer each
value a stage or a reason writes (``Lead.Status`` each stage's ``salesforce_status``,
``Disposition_Reason__c`` each reason's label, HubSpot ``lifecyclestage``, ``hs_lead_status`` and
``lead_disposition_reason`` their values), and each value the systems offer must read as a
stage or a reason, or records holding it would go to dead letters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

from connector.model import Side
from connector.remote_schema import Carried, Kind, RemoteField
from connector.taxonomy import HubSpotStageFields, SalesforceStageFields, Stage, Taxonomy
from connector.tomlsource import load_toml

if TYPE_CHECKING:
    from connector.remote_check import PipelineCheck


class TaxonomyCheck:
    """The taxonomy's fields in both systems: present, writable, offering every value."""

    def __init__(self, pipeline: PipelineCheck, taxonomy: Taxonomy) -> None:
        self.p = pipeline
        self.taxonomy = taxonomy
        self.doc = load_toml(taxonomy.path)
        self.path = str(taxonomy.path)

    def _field(
        self, side: Side, key: str, hint: str | None = None, *, writes: Carried | None = None
    ) -> tuple[RemoteField, str] | None:
        section = "salesforce_fields" if side is Side.SALESFORCE else "hubspot_fields"
        name: str = getattr(self._holder(side), key)
        where = self.doc.where([section, key])
        field = self.p.find(side, name, where, hint)
        if field is None:
            return None
        subject = self.p.subject(side, name)
        if writes is not None:
            self.p.writable(field, subject, "the taxonomy", where)
            self.p.compatible(field, subject, writes, where, check_values=True)
        return field, subject

    def _holder(self, side: Side) -> SalesforceStageFields | HubSpotStageFields:
        if side is Side.SALESFORCE:
            return self.taxonomy.salesforce_fields
        return self.taxonomy.hubspot_fields

    def salesforce(self) -> None:
        taxonomy = self.taxonomy
        stages = _first_reason(
            (values.salesforce_status, f"taxonomy stage {stage}")
            for stage, values in taxonomy.stages.items()
        )
        found = self._field(Side.SALESFORCE, "status", writes=self._choice(stages))
        if found is not None:
            conversion = {taxonomy.stages[s].salesforce_status for s in _CONVERSION}
            known = set(taxonomy.salesforce_status_reads) | conversion
            self._unread(
                *found,
                known,
                "maps to no taxonomy stage — leads with it would go to dead letters; add it "
                f"under [aliases.salesforce_status] in {self.path}",
            )
        labels = [(r.salesforce, f"taxonomy reason {r.name}") for r in taxonomy.reasons.values()]
        listing = ", ".join(label for label, _ in labels)
        found = self._field(
            Side.SALESFORCE,
            "disposition_reason",
            f"a restricted Picklist with the values {listing}",
            writes=self._choice(labels),
        )
        if found is not None:
            self._unread(
                *found,
                {r.salesforce for r in taxonomy.reasons.values()},
                f"is no taxonomy reason — leads disqualified with it would go to dead letters; "
                f"add a [reasons.*] table for it in {self.path}",
            )
        self._field(Side.SALESFORCE, "recycle_date", "Date", writes=self._date())
        self._field(Side.SALESFORCE, "converted")
        self._field(Side.SALESFORCE, "contract_end_date", "Date")
        self._opportunity_stages()
        self._rest(Side.SALESFORCE)

    def _opportunity_stages(self) -> None:
        found = self._field(Side.SALESFORCE, "opportunity_stage")
        if found is None:
            return
        field, subject = found
        if field.kind is not Kind.CHOICE:
            return
        where = self.doc.where(["opportunity"])
        for name, outcome in self.taxonomy.opportunity_outcomes.items():
            if name not in field.options:
                self.p.problems.add(
                    subject,
                    f"picklist lacks {name!r} (taxonomy [opportunity] {outcome})",
                    f"add it in {field.settings}, or remove it from {where}",
                )
        self._unread(
            field,
            subject,
            set(self.taxonomy.opportunity_outcomes),
            "is in none of the taxonomy's [opportunity] lists — a lead converted with an "
            f"opportunity at this stage would go to dead letters; add it to open, won or lost "
            f"in {where}",
        )

    def hubspot(self) -> None:
        taxonomy = self.taxonomy
        cycles = _first_reason(
            (values.hubspot_lifecyclestage, f"taxonomy stage {stage}")
            for stage, values in taxonomy.stages.items()
        )
        found = self._field(Side.HUBSPOT, "lifecyclestage", writes=self._choice(cycles))
        if found is not None:
            self._unread(
                *found,
                set(taxonomy.lifecyclestage_reads),
                "maps to no taxonomy stage — contacts with it would go to dead letters; add it "
                f"under [aliases.hubspot_lifecyclestage] in {self.path}",
            )
        statuses = _first_reason(
            [
                (values.hubspot_lead_status, f"taxonomy stage {stage}")
                for stage, values in taxonomy.stages.items()
                if values.hubspot_lead_status
            ]
            + [
                (r.hubspot_lead_status, f"taxonomy reason {r.name}")
                for r in taxonomy.reasons.values()
            ]
        )
        self._field(Side.HUBSPOT, "lead_status", writes=self._choice(statuses))
        reasons = [(r.hubspot, f"taxonomy reason {r.name}") for r in taxonomy.reasons.values()]
        listing = ", ".join(value for value, _ in reasons)
        found = self._field(
            Side.HUBSPOT,
            "disposition_reason",
            f"a dropdown select with the options {listing}",
            writes=self._choice(reasons),
        )
        if found is not None:
            self._unread(
                *found,
                {value for value, _ in reasons},
                "is no taxonomy reason — contacts disqualified with it would go to dead "
                f"letters; add a [reasons.*] table for it in {self.path}",
            )
        self._field(Side.HUBSPOT, "recycle_date", "date picker", writes=self._date())
        self._rest(Side.HUBSPOT)

    def _rest(self, side: Side) -> None:
        """Every other field the taxonomy reads must exist (each is reported once)."""
        holder = self._holder(side)
        for key in (f.name for f in dataclasses.fields(holder)):
            self._field(side, key)

    def _choice(self, values: Sequence[tuple[str, str]]) -> Carried:
        return Carried(Kind.CHOICE, f"the taxonomy ({self.path})", tuple(values))

    def _date(self) -> Carried:
        return Carried(Kind.DATE, f"the taxonomy's recycle dates ({self.path})")

    def _unread(self, field: RemoteField, subject: str, known: set[str], why: str) -> None:
        """Options of ``field`` the taxonomy cannot read as anything."""
        noun = "picklist value" if field.side is Side.SALESFORCE else "option"
        for option in field.options:
            if option not in known:
                what, _, fix = f"{noun} {option!r} {why}".partition(" — ")
                self.p.problems.add(subject, what, fix)


_CONVERSION: Final = (Stage.OPPORTUNITY, Stage.CUSTOMER)


def _first_reason(pairs: Iterable[tuple[str | None, str]]) -> list[tuple[str, str]]:
    """Each value once, with the first reason it is written for."""
    first: dict[str, str] = {}
    for value, why in pairs:
        if value and value not in first:
            first[value] = why
    return list(first.items())
