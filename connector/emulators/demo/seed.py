"""The two seed payloads ``--seed demo`` and ``--seed empty`` load into the emulators.

``demo_seed`` builds a deterministic, realistic picture of a Salesforce org and a HubSpot portal
*before* crmsync runs: the same people in both, at every stage, disagreeing the way real systems
do, with dates relative to ``now`` so recycle dates, SLAs and "closes next month" look current.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from connector.clock import system_clock
from connector.emulators.demo.hubspot_side import HubSpotBuilder
from connector.emulators.demo.people import Company, PeopleFactory
from connector.emulators.demo.population import SHARED_SHARE, PopulationBuilder
from connector.emulators.demo.problems import (
    HUBSPOT_DUPLICATES,
    SALESFORCE_DUPLICATES,
    ProblemPlanter,
)
from connector.emulators.demo.salesforce_ids import SalesforceIds
from connector.emulators.demo.salesforce_side import SalesforceBuilder
from connector.emulators.demo.states import OPEN_NOT_CONTACTED, LeadState
from connector.emulators.demo.team import build_team
from connector.emulators.demo.vocabulary import COMPANY_KINDS, COMPANY_STEMS

# Below these the demo cannot place every status, disposition and problem at least once.
MIN_LEADS: Final = 150
MIN_CONTACTS: Final = 100

# People per company, on average: enough that converted leads share accounts.
_PEOPLE_PER_COMPANY: Final = 6

_EXAMPLE_COMPANY: Final = Company(
    "Example Corp", "example.com", "Technology", "US", "+1", "Example Corp", "Inc."
)


@dataclass(frozen=True)
class DemoSeed:
    """Both admin seed payloads, in the formats of ``POST /__emulator__/seed``.

    ``problems`` maps each kind of deliberately damaged data to a line per damaged record.
    """

    salesforce: dict[str, Any]
    hubspot: dict[str, Any]
    problems: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Record counts per ``system.Object``, e.g. ``{"salesforce.Lead": 2000, ...}``."""
        counts: dict[str, int] = {}
        for system, payload in (("salesforce", self.salesforce), ("hubspot", self.hubspot)):
            for name, records in payload.get("objects", {}).items():
                counts[f"{system}.{name}"] = len(records)
        return counts

    def payload(self) -> dict[str, Any]:
        """The seed-file form, ``{"salesforce": ..., "hubspot": ...}``, for ``load_seed_file``."""
        return {"salesforce": self.salesforce, "hubspot": self.hubspot}


def _instant(now: datetime | None) -> datetime:
    value = now if now is not None else system_clock()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def demo_seed(
    seed: int = 7, leads: int = 2000, contacts: int = 1500, now: datetime | None = None
) -> DemoSeed:
    """The realistic demo data set: ``leads`` Salesforce leads, ``contacts`` HubSpot contacts.

    The same ``seed`` and ``now`` give the same payloads, byte for byte.
    """
    if leads < MIN_LEADS or contacts < MIN_CONTACTS:
        raise ValueError(
            f"the demo needs at least {MIN_LEADS} leads and {MIN_CONTACTS} contacts "
            f"(got {leads} and {contacts})"
        )
    instant = _instant(now)
    rng = random.Random(seed)
    ids = SalesforceIds(rng)
    team = build_team(rng, ids, instant)
    company_count = min(
        (leads + contacts) // _PEOPLE_PER_COMPANY, len(COMPANY_STEMS) * len(COMPANY_KINDS) // 2
    )
    people = PeopleFactory(rng, instant, company_count)
    salesforce = SalesforceBuilder(rng, ids, instant, team.users)
    hubspot = HubSpotBuilder(rng, instant, team.owners)

    base_leads = leads - SALESFORCE_DUPLICATES
    base_contacts = contacts - HUBSPOT_DUPLICATES
    shared_count = round(min(base_leads, base_contacts) * SHARED_SHARE)
    builder = PopulationBuilder(rng, instant, team, people, salesforce, hubspot)
    ann = people.named("Ann", "Lee", _EXAMPLE_COMPANY, "ann.lee@example.com")
    builder.add_shared(ann, LeadState(OPEN_NOT_CONTACTED))
    population = builder.build(
        shared=[people.person() for _ in range(shared_count - 1)],
        salesforce_only=[people.person() for _ in range(base_leads - shared_count)],
        hubspot_only=[people.person() for _ in range(base_contacts - shared_count)],
    )
    planter = ProblemPlanter(rng, instant, team, salesforce, hubspot, population)
    problems = planter.plant()
    return DemoSeed(
        salesforce=salesforce.records.payload(),
        hubspot=hubspot.records.payload(),
        problems=problems,
    )


def empty_seed() -> DemoSeed:
    """``--seed empty``: nothing. The Salesforce emulator makes its integration user on reset."""
    return DemoSeed(salesforce={"objects": {}}, hubspot={"objects": {}})
