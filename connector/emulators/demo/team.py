"""The sales team as each system knows it: Salesforce users and HubSpot owners.

Real teams never line up perfectly: most people exist in both systems under the same e-mail
(sometimes cased differently), a new hire has a Salesforce login but no HubSpot seat yet, a
marketer owns contacts in HubSpot but never sells in Salesforce, and someone who left the
company is deactivated in one place and archived in the other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from connector.emulators.demo.draws import moment_before
from connector.emulators.demo.formats import hs_datetime, sf_datetime
from connector.emulators.demo.salesforce_ids import SalesforceIds

DOMAIN: Final = "fjordline.io"


@dataclass(frozen=True)
class Member:
    """One person on the go-to-market team and where they have a login."""

    first_name: str
    last_name: str
    local: str
    team: str
    in_salesforce: bool = True
    in_hubspot: bool = True
    active: bool = True
    # Salesforce keeps the e-mail as typed; HubSpot lower-cases it.
    salesforce_email_cased: bool = False

    @property
    def email(self) -> str:
        return f"{self.local}@{DOMAIN}"


MEMBERS: Final = (
    Member("Ingrid", "Halvorsen", "ingrid.halvorsen", "Sales EMEA", salesforce_email_cased=True),
    Member("Marcus", "Webb", "marcus.webb", "Sales North America"),
    Member("Sofía", "Castellano", "sofia.castellano", "Sales EMEA"),
    Member("Kenji", "Watanabe", "kenji.watanabe", "Sales APAC"),
    Member("Aoife", "O'Sullivan", "aoife.osullivan", "Sales Development"),
    Member("Daniel", "Moreau", "daniel.moreau", "Sales EMEA", active=False),
    Member("Priya", "Raman", "priya.raman", "Sales Development"),
    Member("Tomasz", "Wróbel", "tomasz.wrobel", "Sales Development", in_hubspot=False),
    Member("Chloé", "Martin", "chloe.martin", "Marketing", in_salesforce=False),
)


@dataclass
class Seat:
    """A member's ids on each side (None where they have no login)."""

    member: Member
    user_id: str | None
    owner_id: str | None


@dataclass
class Team:
    """Both systems' view of the team, and who may own what."""

    seats: list[Seat]
    users: list[dict[str, Any]]
    owners: list[dict[str, Any]]

    def sellers(self) -> list[Seat]:
        """Seats that own Salesforce records: everyone with a Salesforce login."""
        return [seat for seat in self.seats if seat.user_id is not None]

    def owner_for_user(self, user_id: str) -> str | None:
        for seat in self.seats:
            if seat.user_id == user_id:
                return seat.owner_id
        return None

    def hubspot_owner_ids(self, active_only: bool = True) -> list[str]:
        return [
            seat.owner_id
            for seat in self.seats
            if seat.owner_id is not None and (seat.member.active or not active_only)
        ]

    def seat_of(self, local: str) -> Seat:
        for seat in self.seats:
            if seat.member.local == local:
                return seat
        raise KeyError(local)


def build_team(rng: random.Random, ids: SalesforceIds, now: datetime) -> Team:
    seats: list[Seat] = []
    users: list[dict[str, Any]] = []
    owners: list[dict[str, Any]] = []
    team_ids: dict[str, str] = {}
    for member in MEMBERS:
        joined = moment_before(rng, now, 120, 1400)
        user_id = ids.new("User") if member.in_salesforce else None
        owner_id = str(rng.randrange(10_000_000, 999_999_999)) if member.in_hubspot else None
        seats.append(Seat(member, user_id, owner_id))
        if user_id is not None:
            email = member.email
            if member.salesforce_email_cased:
                email = ".".join(part.capitalize() for part in member.local.split(".")) + (
                    "@" + DOMAIN.capitalize()
                )
            users.append(
                {
                    "Id": user_id,
                    "Username": f"{member.email}.crm",
                    "Email": email,
                    "FirstName": member.first_name,
                    "LastName": member.last_name,
                    "Name": f"{member.first_name} {member.last_name}",
                    "IsActive": member.active,
                    "CreatedDate": sf_datetime(joined),
                    "LastModifiedDate": sf_datetime(
                        joined if member.active else moment_before(rng, now, 20, 90)
                    ),
                }
            )
        if owner_id is not None:
            team_id = team_ids.setdefault(member.team, str(rng.randrange(1_000_000, 9_999_999)))
            updated = joined if member.active else moment_before(rng, now, 20, 90)
            owners.append(
                {
                    "id": owner_id,
                    "email": member.email,
                    "type": "PERSON",
                    "firstName": member.first_name,
                    "lastName": member.last_name,
                    "userId": int(owner_id) % 90_000_000 + 1_000_000,
                    "userIdIncludingInactive": int(owner_id) % 90_000_000 + 1_000_000,
                    "archived": not member.active,
                    "teams": [{"id": team_id, "name": member.team, "primary": True}],
                    "createdAt": hs_datetime(joined),
                    "updatedAt": hs_datetime(updated),
                }
            )
    return Team(seats=seats, users=users, owners=owners)
