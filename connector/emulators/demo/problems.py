"""The problems real CRM data has, planted on purpose, a few of each, and listed.

A sync that only ever saw clean data proves little. Each planter below damages a handful of
records the way years of imports, form fills and hand edits do, and records what it did under a
stable kind name, so the demo can point at them and tests can check they are there.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, TypeVar

from connector.emulators.demo.draws import moment_before
from connector.emulators.demo.hubspot_side import ContactView, HubSpotBuilder, Record
from connector.emulators.demo.people import Person
from connector.emulators.demo.population import Population, SharedPerson
from connector.emulators.demo.salesforce_side import COMPANY_MAX, SalesforceBuilder
from connector.emulators.demo.states import (
    MID_CONTRACT,
    NURTURE,
    OPEN_NOT_CONTACTED,
    UNMAPPED_LEAD_STATUS,
    LeadState,
)
from connector.emulators.demo.team import Team
from connector.emulators.demo.vocabulary import LONG_COMPANY_NAME

T = TypeVar("T")

DUPLICATE_EMAIL_SALESFORCE: Final = "duplicate_email_salesforce"
DUPLICATE_EMAIL_HUBSPOT: Final = "duplicate_email_hubspot"
EMAIL_CASE_ACROSS_SYSTEMS: Final = "email_case_across_systems"
BLANK_FIRST_NAME: Final = "blank_first_name"
UNMAPPED_STATUS: Final = "unmapped_status"
INVALID_EMAIL: Final = "invalid_email"
LONG_COMPANY: Final = "long_company_name"
MID_CONTRACT_WITHOUT_END: Final = "mid_contract_without_end_date"
OWNER_ON_ONE_SIDE: Final = "owner_on_one_side_only"

PROBLEM_KINDS: Final = (
    DUPLICATE_EMAIL_SALESFORCE,
    DUPLICATE_EMAIL_HUBSPOT,
    EMAIL_CASE_ACROSS_SYSTEMS,
    BLANK_FIRST_NAME,
    UNMAPPED_STATUS,
    INVALID_EMAIL,
    LONG_COMPANY,
    MID_CONTRACT_WITHOUT_END,
    OWNER_ON_ONE_SIDE,
)

# How many extra records the duplicates add to each system (the rest are edits in place).
SALESFORCE_DUPLICATES: Final = 3
HUBSPOT_DUPLICATES: Final = 2


def messy_email(email: str, leading: bool = False) -> str:
    """``ann.lee@example.com`` -> ``Ann.Lee@Example.com `` : typed by hand, pasted with a space."""
    local, _, domain = email.partition("@")
    cased = ".".join(part[:1].upper() + part[1:] for part in local.split("."))
    typed = f"{cased}@{domain[:1].upper()}{domain[1:]}"
    return f" {typed}" if leading else f"{typed} "


class ProblemPlanter:
    """Damages a few records of each kind; every record is damaged at most once."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        team: Team,
        salesforce: SalesforceBuilder,
        hubspot: HubSpotBuilder,
        population: Population,
    ) -> None:
        self._rng = rng
        self._now = now
        self._team = team
        self._sf = salesforce
        self._hs = hubspot
        self._population = population
        # By identity: records are dicts (unhashable), and every one stays alive in its list.
        self._taken: set[int] = set()
        self.found: dict[str, list[str]] = {kind: [] for kind in PROBLEM_KINDS}

    def plant(self) -> dict[str, tuple[str, ...]]:
        self._duplicates_in_salesforce()
        self._duplicates_in_hubspot()
        self._email_case_across()
        self._blank_first_names()
        self._unmapped_status()
        self._invalid_emails()
        self._long_company()
        self._mid_contract_without_end()
        self._owners_on_one_side()
        return {kind: tuple(found) for kind, found in self.found.items()}

    def _pick(self, items: Sequence[T], count: int, fits: Callable[[T], bool]) -> list[T]:
        """Up to ``count`` items that fit and are untouched so far, chosen at random."""
        candidates = [
            index for index, item in enumerate(items) if id(item) not in self._taken and fits(item)
        ]
        chosen = [
            items[index] for index in self._rng.sample(candidates, min(count, len(candidates)))
        ]
        self._taken.update(id(item) for item in chosen)
        return chosen

    def _shared_open(self, count: int) -> list[SharedPerson]:
        """Shared people whose lead is open: neither converted nor closed with a reason."""
        return self._pick(self._population.shared, count, lambda shared: _open(shared.lead))

    def _duplicates_in_salesforce(self) -> None:
        shared = self._population.shared
        # The first shared person is Ann Lee, the example everyone recognises.
        originals = shared[:1] if shared else []
        self._taken.update(id(item) for item in originals)
        originals += self._shared_open(SALESFORCE_DUPLICATES - len(originals))
        for number, original in enumerate(originals):
            person = dataclasses.replace(
                original.person,
                email=messy_email(original.person.email, leading=number % 2 == 1),
                created=moment_before(self._rng, self._now, 0.5, 20),
            )
            state = LeadState(self._rng.choice((NURTURE, OPEN_NOT_CONTACTED)))
            owner = self._rng.choice([str(seat.user_id) for seat in self._team.sellers()])
            duplicate = self._sf.lead(person, state, owner, None)
            self.found[DUPLICATE_EMAIL_SALESFORCE].append(
                f"Lead {duplicate['Id']} {duplicate['Email']!r} duplicates "
                f"Lead {original.lead['Id']} {original.lead['Email']!r}"
            )

    def _duplicates_in_hubspot(self) -> None:
        chosen = self._pick(
            self._population.hubspot_only,
            HUBSPOT_DUPLICATES,
            lambda entry: entry[1]["properties"]["lifecyclestage"] in ("subscriber", "lead"),
        )
        for number, (person, original) in enumerate(chosen):
            copy = dataclasses.replace(
                person,
                email=messy_email(person.email, leading=number % 2 == 0),
                created=moment_before(self._rng, self._now, 0.5, 20),
            )
            score = round(self._rng.triangular(0, 100, 40))
            self._hs.contact(copy, ContactView("lead", "NEW", score, None))
            self.found[DUPLICATE_EMAIL_HUBSPOT].append(
                f"contact {copy.email!r} duplicates contact {original['properties']['email']!r}"
            )

    def _email_case_across(self) -> None:
        for number, shared in enumerate(self._shared_open(5)):
            in_salesforce = number < 3
            typed = messy_email(shared.person.email, leading=number % 2 == 1)
            if in_salesforce:
                shared.lead["Email"] = typed
            else:
                shared.contact["properties"]["email"] = typed
            self.found[EMAIL_CASE_ACROSS_SYSTEMS].append(
                f"Lead {shared.lead['Id']} {shared.lead['Email']!r} is contact "
                f"{shared.contact['properties']['email']!r}"
            )

    def _blank_first_names(self) -> None:
        found = self.found[BLANK_FIRST_NAME]
        for _, lead in self._pick(self._population.salesforce_only, 2, lambda _: True):
            _blank_lead_first_name(lead)
            found.append(f"Lead {lead['Id']} (no FirstName)")
        for shared in self._shared_open(1):
            _blank_lead_first_name(shared.lead)
            found.append(f"Lead {shared.lead['Id']} (no FirstName; HubSpot has one)")
        for shared in self._shared_open(1):
            # HubSpot keeps an emptied property as an empty string.
            shared.contact["properties"]["firstname"] = ""
            found.append(f"contact {shared.person.email!r} (firstname ''; Salesforce has one)")
        for _, contact in self._pick(self._population.hubspot_only, 1, lambda _: True):
            contact["properties"].pop("firstname", None)
            found.append(f"contact {contact['properties']['email']!r} (no firstname)")

    def _unmapped_status(self) -> None:
        leads: list[Record] = [
            lead
            for _, lead in self._pick(
                self._population.salesforce_only, 2, lambda entry: _open(entry[1])
            )
        ]
        leads += [shared.lead for shared in self._shared_open(1)]
        for lead in leads:
            lead["Status"] = UNMAPPED_LEAD_STATUS
            for stale in ("Disposition_Reason__c", "Recycle_Date__c", "Contract_End_Date__c"):
                lead.pop(stale, None)
            self.found[UNMAPPED_STATUS].append(f"Lead {lead['Id']} Status {UNMAPPED_LEAD_STATUS!r}")

    def _invalid_emails(self) -> None:
        chosen = self._pick(self._population.hubspot_only, 2, _new_lead)
        for number, (person, contact) in enumerate(chosen):
            local, _, domain = person.email.partition("@")
            properties = contact["properties"]
            # A doubled at-sign, or a space where a dot was: both typed into a form by hand.
            broken = f"{local}@@{domain}" if number == 0 else f"{local.replace('.', ' ')} @{domain}"
            properties["email"] = broken
            # Fit and engaged, so the lead definition wants to hand it to sales.
            _make_sales_ready(properties, person)
            self.found[INVALID_EMAIL].append(f"contact {properties['email']!r}")
        for _, lead in self._pick(
            self._population.salesforce_only, 1, lambda entry: _open(entry[1])
        ):
            local, _, domain = str(lead["Email"]).partition("@")
            lead["Email"] = f"{local}.{domain}"
            self.found[INVALID_EMAIL].append(f"Lead {lead['Id']} {lead['Email']!r}")

    def _long_company(self) -> None:
        for person, contact in self._pick(self._population.hubspot_only, 1, _new_lead):
            properties = contact["properties"]
            properties["company"] = LONG_COMPANY_NAME
            _make_sales_ready(properties, person)
            self.found[LONG_COMPANY].append(
                f"contact {properties['email']!r} company of {len(LONG_COMPANY_NAME)} characters"
            )
        for shared in self._shared_open(1):
            # A past import cut the name to fit Salesforce; HubSpot kept all of it.
            shared.contact["properties"]["company"] = LONG_COMPANY_NAME
            shared.lead["Company"] = LONG_COMPANY_NAME[:COMPANY_MAX]
            self.found[LONG_COMPANY].append(
                f"Lead {shared.lead['Id']} Company cut to {COMPANY_MAX}; contact "
                f"{shared.contact['properties']['email']!r} has {len(LONG_COMPANY_NAME)} characters"
            )

    def _mid_contract_without_end(self) -> None:
        leads = [
            lead
            for lead in self._sf.records.leads
            if lead.get("Disposition_Reason__c") == MID_CONTRACT
        ]
        # A few, and never most: the demo must also show the ones that recycle properly.
        for lead in self._pick(leads, max(1, min(3, len(leads) // 5)), lambda _: True):
            lead.pop("Contract_End_Date__c", None)
            lead.pop("Recycle_Date__c", None)
            self.found[MID_CONTRACT_WITHOUT_END].append(f"Lead {lead['Id']}")

    def _owners_on_one_side(self) -> None:
        found = self.found[OWNER_ON_ONE_SIDE]
        salesforce_only = [seat for seat in self._team.seats if seat.owner_id is None]
        hubspot_only = [seat for seat in self._team.seats if seat.user_id is None]
        for seat in salesforce_only:
            for shared in self._shared_open(3):
                shared.lead["OwnerId"] = seat.user_id
                shared.contact["properties"].pop("hubspot_owner_id", None)
                found.append(
                    f"Lead {shared.lead['Id']} owned by {seat.member.email}, "
                    "who has no HubSpot owner"
                )
        for seat in hubspot_only:
            for _, contact in self._pick(
                self._population.hubspot_only,
                3,
                lambda entry: (
                    entry[1]["properties"]["lifecyclestage"] not in ("subscriber", "lead")
                ),
            ):
                contact["properties"]["hubspot_owner_id"] = str(seat.owner_id)
                found.append(
                    f"contact {contact['properties']['email']!r} owned by {seat.member.email}, "
                    "who has no Salesforce user"
                )


def _open(lead: Record) -> bool:
    """Neither converted nor closed with a reason: damaging it keeps every disposition present."""
    return not lead["IsConverted"] and "Disposition_Reason__c" not in lead


def _new_lead(entry: tuple[Person, Record]) -> bool:
    """A plain new lead: damaging it (and making it sales-ready) removes no stage from the demo."""
    properties = entry[1]["properties"]
    return bool(
        properties["lifecyclestage"] == "lead" and properties.get("hs_lead_status") == "NEW"
    )


def _blank_lead_first_name(lead: Record) -> None:
    lead.pop("FirstName", None)
    lead["Name"] = lead["LastName"]


def _make_sales_ready(properties: dict[str, str], person: Person) -> None:
    properties["lifecyclestage"] = "lead"
    properties["hs_lead_status"] = "NEW"
    properties["hubspotscore"] = str(max(int(properties.get("hubspotscore", "0")), 72))
    properties.setdefault("company", person.company.name)
    properties["jobtitle"] = properties.get("jobtitle") or "Head of Operations"
