"""A compiled mapping file: what a pipeline reads on each side and how each row flows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from connector.lead_rule import LeadDefinition
from connector.mapping.rows import FieldRow, Identity
from connector.model import Side
from connector.taxonomy import Taxonomy
from connector.transforms import Comparable, comparable


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
