"""Salesforce as the demo org looks before crmsync: leads, and what converted leads became.

Converted leads carry real ``Converted*Id`` references to the Account, Contact and Opportunity the
conversion created; opportunities are linked to contacts through OpportunityContactRole, as a
sales rep's Convert button leaves them. Records are plain dicts in the admin seed format.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from connector.emulators.demo.draws import moment_before
from connector.emulators.demo.formats import iso_date, next_month, sf_datetime
from connector.emulators.demo.people import Company, PeopleFactory, Person
from connector.emulators.demo.salesforce_ids import SalesforceIds
from connector.emulators.demo.states import (
    CLOSED_CONVERTED,
    CLOSED_LOST,
    CLOSED_NOT_CONVERTED,
    CLOSED_WON,
    LOST_DEAL,
    MID_CONTRACT,
    NOT_READY,
    NURTURE,
    OPEN_NOT_CONTACTED,
    OPPORTUNITY_STAGES,
    QUALIFIED,
    WORKING_CONTACTED,
    LeadState,
)
from connector.emulators.demo.vocabulary import LOSS_REASONS, OPPORTUNITY_ROLES, PRODUCTS

Record = dict[str, Any]

# Salesforce limits Lead.Company and Account.Name to 255 characters, Opportunity.Name to 120.
COMPANY_MAX: Final = 255
OPPORTUNITY_NAME_MAX: Final = 120

# How long ago (in days, min and max) a lead in each status was last touched.
_TOUCHED_DAYS: Final = {
    NURTURE: (10.0, 400.0),
    # Fresh MQLs: a few within the 24-hour SLA, most older and so in breach.
    OPEN_NOT_CONTACTED: (0.02, 6.0),
    WORKING_CONTACTED: (0.5, 30.0),
    QUALIFIED: (1.0, 60.0),
    CLOSED_NOT_CONVERTED: (5.0, 200.0),
}
_NOT_READY_TOUCHED: Final = (5.0, 150.0)


@dataclass
class SalesforceRecords:
    """Every record of the demo org, per object, in seed order (referenced records first)."""

    users: list[Record]
    leads: list[Record] = field(default_factory=list)
    accounts: list[Record] = field(default_factory=list)
    contacts: list[Record] = field(default_factory=list)
    opportunities: list[Record] = field(default_factory=list)
    roles: list[Record] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "objects": {
                "User": self.users,
                "Account": self.accounts,
                "Contact": self.contacts,
                "Opportunity": self.opportunities,
                "OpportunityContactRole": self.roles,
                "Lead": self.leads,
            }
        }


def _clean(record: Record) -> Record:
    """Leave unset fields out, as a data loader would: the emulator answers them as null."""
    return {key: value for key, value in record.items() if value is not None}


class SalesforceBuilder:
    """Renders people as leads, and converts some of them into accounts, contacts and deals."""

    def __init__(
        self,
        rng: random.Random,
        ids: SalesforceIds,
        now: datetime,
        users: list[Record],
    ) -> None:
        self._rng = rng
        self._ids = ids
        self._now = now
        self.records = SalesforceRecords(users=users)
        self._accounts: dict[str, Record] = {}
        self._account_contacts: dict[str, list[Record]] = {}
        self._company_of: dict[str, Company] = {}

    def lead(self, person: Person, state: LeadState, owner_id: str, score: int | None) -> Record:
        """A lead in ``state``; a converted one gets its records from ``convert`` afterwards."""
        rng = self._rng
        today = self._now.date()
        span = _TOUCHED_DAYS.get(state.status, (1.0, 400.0))
        if state.disposition == NOT_READY:
            span = _NOT_READY_TOUCHED
        touched = moment_before(rng, self._now, *span)
        created = min(person.created, moment_before(rng, touched, 0, 60))
        recycle = contract_end = None
        if state.disposition == NOT_READY and rng.random() < 0.6:
            recycle = touched.date() + timedelta(days=90)
        elif state.disposition == MID_CONTRACT:
            contract_end = today + timedelta(days=rng.randint(-30, 540))
            if rng.random() < 0.5:
                recycle = contract_end - timedelta(days=90)
        elif state.disposition == LOST_DEAL and rng.random() < 0.5:
            recycle = touched.date() + timedelta(days=180)
        record = _clean(
            {
                "Id": self._ids.new("Lead"),
                "FirstName": person.first_name,
                "LastName": person.last_name,
                "Name": person.name,
                "Company": person.company.name[:COMPANY_MAX],
                "Title": person.title,
                "Email": person.email,
                "Phone": person.phone,
                "LeadSource": person.lead_source,
                "Status": state.status,
                "OwnerId": owner_id,
                "IsConverted": False,
                "Lead_Score__c": float(score) if score is not None else None,
                "Disposition_Reason__c": state.disposition,
                "Recycle_Date__c": iso_date(recycle) if recycle else None,
                "Contract_End_Date__c": iso_date(contract_end) if contract_end else None,
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(touched),
            }
        )
        self.records.leads.append(record)
        return record

    def convert(self, lead: Record, person: Person, stage: str) -> Record:
        """What the Convert button leaves: account (shared per company), contact, opportunity."""
        rng = self._rng
        converted = moment_before(rng, self._now, 2, 420)
        created = min(person.created, moment_before(rng, converted, 3, 90))
        owner_id = str(lead["OwnerId"])
        account = self._account(person.company, owner_id, converted)
        contact = _clean(
            {
                "Id": self._ids.new("Contact"),
                "FirstName": person.first_name,
                "LastName": person.last_name,
                "Name": person.name,
                "Email": person.email,
                "Title": person.title,
                "Phone": person.phone,
                "AccountId": account["Id"],
                "OwnerId": owner_id,
                "LeadSource": person.lead_source,
                "Lead_Score__c": lead.get("Lead_Score__c"),
                "CreatedDate": sf_datetime(converted),
                "LastModifiedDate": sf_datetime(converted),
            }
        )
        self.records.contacts.append(contact)
        self._account_contacts[str(account["Id"])].append(contact)
        product = rng.choice(PRODUCTS[:4])
        opportunity = self.opportunity(account, contact, stage, converted, product)
        lead.update(
            Status=CLOSED_CONVERTED,
            IsConverted=True,
            ConvertedDate=iso_date(converted.date()),
            ConvertedAccountId=account["Id"],
            ConvertedContactId=contact["Id"],
            ConvertedOpportunityId=opportunity["Id"],
            CreatedDate=sf_datetime(created),
            LastModifiedDate=sf_datetime(converted),
        )
        return opportunity

    def opportunity(
        self, account: Record, contact: Record, stage: str, opened: datetime, product: str
    ) -> Record:
        rng = self._rng
        won = stage == CLOSED_WON
        closed = won or stage == CLOSED_LOST
        close_date = self._close_date(opened, closed)
        name = f"{account['Name']} - {product}"
        if len(name) > OPPORTUNITY_NAME_MAX:
            name = f"{account['Name'][: OPPORTUNITY_NAME_MAX - len(product) - 3]} - {product}"
        # A closed deal was last edited the day it closed; an open one when it was opened.
        modified = opened
        if closed:
            closed_at = datetime.combine(close_date, opened.timetz()) + timedelta(hours=3)
            modified = max(opened, min(self._now, closed_at))
        record = _clean(
            {
                "Id": self._ids.new("Opportunity"),
                "Name": name,
                "AccountId": account["Id"],
                "OwnerId": account["OwnerId"],
                "StageName": stage,
                "Amount": self._amount(),
                "CloseDate": iso_date(close_date),
                "IsClosed": closed,
                "IsWon": won,
                "LeadSource": contact.get("LeadSource"),
                "ContactId": contact["Id"],
                "Loss_Reason__c": rng.choice(LOSS_REASONS) if stage == CLOSED_LOST else None,
                "CreatedDate": sf_datetime(opened),
                "LastModifiedDate": sf_datetime(modified),
            }
        )
        self.records.opportunities.append(record)
        self.role(record, contact, "Decision Maker", primary=True)
        return record

    def role(self, opportunity: Record, contact: Record, role: str, primary: bool) -> Record:
        record = {
            "Id": self._ids.new("OpportunityContactRole"),
            "OpportunityId": opportunity["Id"],
            "ContactId": contact["Id"],
            "Role": role,
            "IsPrimary": primary,
            "CreatedDate": opportunity["CreatedDate"],
            "LastModifiedDate": opportunity["CreatedDate"],
        }
        self.records.roles.append(record)
        return record

    def add_colleagues(self, people: PeopleFactory) -> None:
        """Contacts sales added by hand at customer accounts, and the deals that followed."""
        rng = self._rng
        for account in list(self.records.accounts):
            account_id = str(account["Id"])
            known = self._account_contacts[account_id]
            company = self._company_of[account_id]
            if rng.random() < 0.35:
                for _ in range(rng.randint(1, 2)):
                    person = people.person(company)
                    colleague = _clean(
                        {
                            "Id": self._ids.new("Contact"),
                            "FirstName": person.first_name,
                            "LastName": person.last_name,
                            "Name": person.name,
                            "Email": person.email,
                            "Title": person.title,
                            "Phone": person.phone,
                            "AccountId": account_id,
                            "OwnerId": account["OwnerId"],
                            "LeadSource": "Other",
                            "CreatedDate": sf_datetime(moment_before(rng, self._now, 1, 300)),
                        }
                    )
                    colleague["LastModifiedDate"] = colleague["CreatedDate"]
                    self.records.contacts.append(colleague)
                    known.append(colleague)
            if rng.random() < 0.2:
                stage = rng.choice(OPPORTUNITY_STAGES)
                opened = moment_before(rng, self._now, 1, 200)
                self.opportunity(account, known[0], stage, opened, rng.choice(PRODUCTS[4:]))
        for opportunity in list(self.records.opportunities):
            colleagues = self._account_contacts[str(opportunity["AccountId"])][1:]
            if colleagues and rng.random() < 0.5:
                colleague = rng.choice(colleagues)
                self.role(opportunity, colleague, rng.choice(OPPORTUNITY_ROLES), primary=False)

    def _account(self, company: Company, owner_id: str, opened: datetime) -> Record:
        existing = self._accounts.get(company.name)
        if existing is not None:
            return existing
        account = {
            "Id": self._ids.new("Account"),
            "Name": company.name[:COMPANY_MAX],
            "OwnerId": owner_id,
            "Industry": company.industry,
            "Website": company.website,
            "CreatedDate": sf_datetime(opened),
            "LastModifiedDate": sf_datetime(opened),
        }
        self._accounts[company.name] = account
        self._account_contacts[str(account["Id"])] = []
        self._company_of[str(account["Id"])] = company
        self.records.accounts.append(account)
        return account

    def _close_date(self, opened: datetime, closed: bool) -> date:
        rng = self._rng
        today = self._now.date()
        if closed:
            earliest = opened.date() + timedelta(days=7)
            latest = today - timedelta(days=1)
            if earliest >= latest:
                return latest
            return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        if rng.random() < 0.4:
            # "Closes next month" is what a pipeline review looks at first.
            first, last = next_month(today)
            return first + timedelta(days=rng.randint(0, (last - first).days))
        return today + timedelta(days=rng.randint(3, 200))

    def _amount(self) -> float:
        # Deal sizes are roughly log-normal: many small deals, a long tail of large ones.
        value = self._rng.lognormvariate(math.log(24_000), 0.8)
        return float(min(max(round(value / 500) * 500, 2_500), 400_000))
