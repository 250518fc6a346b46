"""Disposition reasons: why a record was disqualified, and when it comes back for nurture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from connector.errors import RecordRejected


class ContractEndMissing(RecordRejected):
    """A reason needs a contract end date the record does not have (dead letter)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, code="CONTRACT_END_MISSING", field=field)


@dataclass(frozen=True)
class Reason:
    """One disposition reason and its value in each system.

    ``recycle_after_days`` counts from the disposition date; ``recycle_before_contract_end_days``
    counts back from the contract end date; neither set means the record is never recycled.
    """

    name: str
    salesforce: str
    hubspot: str
    hubspot_lead_status: str
    recycle_after_days: int | None = None
    recycle_before_contract_end_days: int | None = None
    requires_contract_end: bool = False

    @property
    def recycles(self) -> bool:
        return (
            self.recycle_after_days is not None or self.recycle_before_contract_end_days is not None
        )

    def recycle_date(
        self,
        disposition_date: date,
        contract_end: date | None,
        contract_field: str = "Contract End Date",
    ) -> date | None:
        """The day the record returns to ``prospect``, or ``None`` if it never does."""
        if self.requires_contract_end and contract_end is None:
            raise ContractEndMissing(
                f"This lead is disqualified as '{self.salesforce}', which needs a contract end "
                f"date, but {contract_field} is empty. Fill in {contract_field} so crmsync knows "
                "when to bring the lead back for nurture.",
                field=contract_field,
            )
        if self.recycle_after_days is not None:
            return disposition_date + timedelta(days=self.recycle_after_days)
        if self.recycle_before_contract_end_days is not None and contract_end is not None:
            return contract_end - timedelta(days=self.recycle_before_contract_end_days)
        return None
