"""Lead conversion, as a sales rep's Convert button performs it.

Conversion creates an Account (named after the lead's company), a Contact carrying the lead's
person fields (crmsync's custom fields included, so the HubSpot link follows the person), and
unless told not to an Opportunity (named ``<Company>-``, stage ``Prospecting``, closing in 30
days) with the contact as its primary contact role. The lead is then marked converted and can
no longer be updated through the API (``CANNOT_UPDATE_CONVERTED_LEAD``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connector.emulators.salesforce.default_schema import CONVERTED_LEAD_STATUS
from connector.emulators.salesforce.errors import SfError
from connector.emulators.salesforce.org import Org

_CONTACT_FIELDS = (
    "FirstName",
    "LastName",
    "Email",
    "Title",
    "Phone",
    "LeadSource",
    "OwnerId",
    "HubSpot_Contact_Id__c",
    "Lead_Score__c",
    "Disposition_Reason__c",
    "Recycle_Date__c",
    "Contract_End_Date__c",
)
DEFAULT_STAGE = "Prospecting"
CLOSE_DAYS = 30


class ConversionFailed(Exception):
    """The lead could not be converted; the message says why, in Salesforce's words."""


@dataclass(frozen=True)
class Conversion:
    """The records a conversion created."""

    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str | None
    contact_role_id: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "leadId": self.lead_id,
            "accountId": self.account_id,
            "contactId": self.contact_id,
            "opportunityId": self.opportunity_id,
            "contactRoleId": self.contact_role_id,
        }


def convert_lead(
    org: Org,
    lead_id: str,
    *,
    opportunity: bool = True,
    stage: str | None = None,
    amount: float | None = None,
) -> Conversion:
    store, dml = org.store, org.dml
    lead = store.get("Lead", lead_id)
    if lead is None:
        raise ConversionFailed(f"lead not found: {lead_id}")
    if lead.get("IsConverted"):
        raise ConversionFailed("CONVERTED_LEAD: this lead is already converted")
    schema = org.schema
    tx = org.transaction()

    def create(object_name: str, values: dict[str, Any]) -> str:
        obj = schema.objects[object_name.lower()]
        outcome = dml.create(obj, {k: v for k, v in values.items() if v is not None}, tx)
        if outcome.error is not None or outcome.id is None:
            tx.rollback()
            error = outcome.error or SfError("UNKNOWN_EXCEPTION", "conversion failed")
            raise ConversionFailed(f"{object_name}: {error.code}: {error.message}")
        return outcome.id

    owner = lead.get("OwnerId")
    account_id = create("Account", {"Name": lead.get("Company"), "OwnerId": owner})
    contact_values = {name: lead.get(name) for name in _CONTACT_FIELDS}
    contact_id = create("Contact", {**contact_values, "AccountId": account_id})
    opportunity_id = role_id = None
    today = org.now().date()
    if opportunity:
        opportunity_id = create(
            "Opportunity",
            {
                "Name": f"{lead.get('Company')}-",
                "AccountId": account_id,
                "OwnerId": owner,
                "StageName": stage or DEFAULT_STAGE,
                "CloseDate": (today + timedelta(days=CLOSE_DAYS)).isoformat(),
                "Amount": amount,
                "LeadSource": lead.get("LeadSource"),
            },
        )
        role_id = create(
            "OpportunityContactRole",
            {"OpportunityId": opportunity_id, "ContactId": contact_id, "IsPrimary": True},
        )
    dml.apply(
        schema.objects["lead"],
        lead,
        {
            "IsConverted": True,
            "Status": CONVERTED_LEAD_STATUS,
            "ConvertedDate": today.isoformat(),
            "ConvertedAccountId": account_id,
            "ConvertedContactId": contact_id,
            "ConvertedOpportunityId": opportunity_id,
        },
        tx,
    )
    return Conversion(lead["Id"], account_id, contact_id, opportunity_id, role_id)
