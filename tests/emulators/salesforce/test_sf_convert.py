"""Lead conversion as a rep's Convert button does it, and what a converted lead refuses."""

from __future__ import annotations

import pytest
from sf_support import Org, lead
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_convert_creates_account_contact_opportunity_and_role(org: Org, sf: Salesforce) -> None:
    lead_id = sf.Lead.create(
        lead(FirstName="Ada", Email="ada@example.com", Title="Countess", HubSpot_Contact_Id__c="9")
    )["id"]
    made = org.admin("convert-lead", {"lead_id": lead_id, "amount": 5000})
    converted = sf.Lead.get(lead_id)
    assert converted["IsConverted"] is True
    assert converted["Status"] == "Closed - Converted"
    assert converted["ConvertedAccountId"] == made["accountId"]
    assert converted["ConvertedContactId"] == made["contactId"]
    assert converted["ConvertedOpportunityId"] == made["opportunityId"]
    assert converted["ConvertedDate"] is not None
    contact = sf.Contact.get(made["contactId"])
    assert (contact["Email"], contact["Title"], contact["HubSpot_Contact_Id__c"]) == (
        "ada@example.com",
        "Countess",
        "9",
    )
    assert contact["AccountId"] == made["accountId"]
    assert sf.Account.get(made["accountId"])["Name"] == "Analytical Engines"
    opportunity = sf.Opportunity.get(made["opportunityId"])
    assert opportunity["Name"] == "Analytical Engines-"
    assert (opportunity["StageName"], opportunity["Amount"]) == ("Prospecting", 5000.0)
    assert (opportunity["IsClosed"], opportunity["IsWon"]) == (False, False)
    role = sf.OpportunityContactRole.get(made["contactRoleId"])
    assert (role["ContactId"], role["IsPrimary"]) == (made["contactId"], True)
    followed = sf.query(
        "SELECT ConvertedOpportunity.StageName FROM Lead WHERE Id = '" + lead_id + "'"
    )["records"][0]
    assert followed["ConvertedOpportunity"]["StageName"] == "Prospecting"


def test_converted_lead_cannot_be_updated(org: Org, sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    org.admin("convert-lead", {"lead_id": lead_id, "opportunity": False})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Lead.update(lead_id, {"Title": "x"})
    assert refused.value.content == [
        {
            "message": "cannot reference converted lead",
            "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "fields": [],
        }
    ]


def test_won_stage_marks_the_opportunity_won(org: Org, sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    made = org.admin("convert-lead", {"lead_id": lead_id, "stage": "Closed Won"})
    opportunity = sf.Opportunity.get(made["opportunityId"])
    assert (opportunity["IsClosed"], opportunity["IsWon"]) == (True, True)


def test_rep_edit_bumps_the_modstamp_without_validation(org: Org, sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    before = sf.Lead.get(lead_id)["SystemModstamp"]
    org.admin("clock/advance", {"seconds": 2})
    org.admin("update", {"object": "Lead", "id": lead_id, "fields": {"Status": "Qualified"}})
    after = sf.Lead.get(lead_id)
    assert after["Status"] == "Qualified"
    assert after["SystemModstamp"] > before
