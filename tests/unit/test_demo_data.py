"""The demo data set: deterministic, internally consistent, realistic, and flawed on purpose."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.emulators.demo.seed import MIN_CONTACTS, MIN_LEADS
from connector.emulators.demo.states import (
    DEAL_PIPELINE,
    DISPOSITIONS,
    HS_LEAD_STATUSES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    LIFECYCLE_STAGES,
    MID_CONTRACT,
    OPPORTUNITY_STAGES,
    UNMAPPED_LEAD_STATUS,
)
from connector.emulators.demo_data import (
    KEY_PREFIXES,
    PROBLEM_KINDS,
    DemoSeed,
    case_safe_id,
    demo_seed,
    empty_seed,
    is_case_safe_id,
    load_seed_file,
)
from connector.errors import ConfigError, ExitCode

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
# Plausible, not exhaustive: one "@", no spaces, a dot in the domain.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@pytest.fixture(scope="module")
def seed() -> DemoSeed:
    return demo_seed(seed=7, now=NOW)


def sf(seed: DemoSeed, name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = seed.salesforce["objects"][name]
    return records


def hs(seed: DemoSeed, name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = seed.hubspot["objects"][name]
    return records


def props(seed: DemoSeed, name: str) -> list[dict[str, str]]:
    return [record["properties"] for record in hs(seed, name)]


def match_key(email: str) -> str:
    """crmsync's identity match key: case-insensitive, trimmed."""
    return email.strip().lower()


def instant(text: str) -> datetime:
    """Both vendors' timestamps: ``...000+0000`` (Salesforce) and ``...000Z`` (HubSpot)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def digest(data: DemoSeed) -> str:
    return hashlib.sha256(json.dumps(data.payload(), sort_keys=True).encode()).hexdigest()


# --- Salesforce ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        # The worked example on gammone.com ("How to convert Salesforce ID from 15 to 18 chars").
        ("a0D30000001n7Pi", "a0D30000001n7PiEAI"),
        # The worked example on theblogreaders.com (15 vs 18 digit Salesforce ID).
        ("0019000000B98de", "0019000000B98deAAB"),
        # Worked by hand: only "Q" (bit 2 of block one) is upper case -> E, A, A.
        ("00Q5e000001abcd", "00Q5e000001abcdEAA"),
    ],
)
def test_case_safe_id_matches_documented_conversions(id15: str, id18: str) -> None:
    assert case_safe_id(id15) == id18
    assert case_safe_id(id18) == id18
    assert is_case_safe_id(id18)


def test_case_safe_id_agrees_with_every_id_a_real_org_answered() -> None:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith("Id") and isinstance(item, str) and len(item) == 18:
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((REFERENCE / "salesforce" / "fixtures" / "nango").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    assert len(found) > 100, "the recorded Salesforce fixtures should hold many real ids"
    wrong = sorted(record_id for record_id in found if not is_case_safe_id(record_id))
    assert wrong == []


def test_a_wrong_suffix_or_a_malformed_id_is_refused() -> None:
    assert not is_case_safe_id("a0D30000001n7PiEAJ")
    assert not is_case_safe_id("a0D30000001n7Pi")
    assert case_safe_id("a0D30000001n7PiXXX") == "a0D30000001n7PiEAI"
    with pytest.raises(ValueError, match="not a Salesforce id"):
        case_safe_id("a0D3-000001n7Pi")
    with pytest.raises(ValueError, match="not a Salesforce id"):
        case_safe_id("short")


def test_every_seeded_id_is_unique_case_safe_and_carries_its_object_prefix(
    seed: DemoSeed,
) -> None:
    seen: set[str] = set()
    for name, records in seed.salesforce["objects"].items():
        for record in records:
            record_id = record["Id"]
            assert record_id[:3] == KEY_PREFIXES[name], (name, record_id)
            assert is_case_safe_id(record_id), record_id
            # Unique even when compared case-insensitively, as the 18-character form promises.
            assert record_id.lower() not in seen
            seen.add(record_id.lower())
    owner_ids = [owner["id"] for owner in hs(seed, "owners")]
    assert all(owner_id.isdigit() for owner_id in owner_ids)
    assert len(set(owner_ids)) == len(owner_ids)


# --- determinism and time ---------------------------------------------------------------------


def test_same_seed_and_now_give_the_same_payloads_even_in_another_process(
    seed: DemoSeed,
) -> None:
    assert digest(demo_seed(seed=7, now=NOW)) == digest(seed)
    assert digest(demo_seed(seed=8, now=NOW)) != digest(seed)
    script = (
        "import hashlib, json, sys; from datetime import datetime;"
        "from connector.emulators.demo_data import demo_seed;"
        f"d = demo_seed(seed=7, now=datetime.fromisoformat({NOW.isoformat()!r}));"
        "sys.stdout.write(hashlib.sha256(json.dumps(d.payload(), sort_keys=True)"
        ".encode()).hexdigest())"
    )
    # A different string-hash seed changes set order: the generator must not depend on it.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert other.stdout == digest(seed)


def test_dates_are_relative_to_now_not_the_wall_clock() -> None:
    later = datetime(2031, 3, 9, 8, 30, tzinfo=UTC)
    data = demo_seed(seed=7, leads=300, contacts=200, now=later)
    stamps = [
        record[key]
        for records in data.salesforce["objects"].values()
        for record in records
        for key in ("CreatedDate", "LastModifiedDate")
    ]
    parsed = [instant(stamp) for stamp in stamps]
    assert max(parsed) <= later
    assert min(parsed) >= later - timedelta(days=5 * 365)
    fresh = [
        instant(lead["LastModifiedDate"])
        for lead in sf(data, "Lead")
        if lead["Status"] == "Open - Not Contacted"
    ]
    # New MQLs waiting for a first touch: some inside the 24-hour SLA, some already breached.
    assert any(later - stamp < timedelta(hours=24) for stamp in fresh)
    assert any(later - stamp > timedelta(hours=24) for stamp in fresh)


def test_timestamps_run_forward_and_stop_at_now(seed: DemoSeed) -> None:
    for name, records in seed.salesforce["objects"].items():
        for record in records:
            created = instant(record["CreatedDate"])
            assert created <= instant(record["LastModifiedDate"]) <= NOW, (name, record["Id"])
    for properties in props(seed, "contacts"):
        created = instant(properties["createdate"])
        assert created <= instant(properties["lastmodifieddate"]) <= NOW
        if "hs_lifecyclestage_marketingqualifiedlead_date" in properties:
            became_mql = instant(properties["hs_lifecyclestage_marketingqualifiedlead_date"])
            assert created <= became_mql <= NOW


def test_default_now_is_the_connector_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMSYNC_NOW", "2030-06-15T09:00:00Z")
    pinned = demo_seed(seed=3, leads=MIN_LEADS, contacts=MIN_CONTACTS)
    assert digest(pinned) == digest(
        demo_seed(
            seed=3, leads=MIN_LEADS, contacts=MIN_CONTACTS, now=datetime(2030, 6, 15, 9, tzinfo=UTC)
        )
    )


def test_recycle_and_close_dates_look_current(seed: DemoSeed) -> None:
    today = NOW.date()
    recycle = [
        date.fromisoformat(lead["Recycle_Date__c"])
        for lead in sf(seed, "Lead")
        if "Recycle_Date__c" in lead
    ]
    assert any(day <= today for day in recycle), "some recycles are due"
    assert any(day > today for day in recycle), "some recycles are still ahead"
    open_close = [
        date.fromisoformat(opp["CloseDate"])
        for opp in sf(seed, "Opportunity")
        if not opp["IsClosed"]
    ]
    assert all(day > today for day in open_close)
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert any((day.year, day.month) == (next_month.year, next_month.month) for day in open_close)
    closed = [date.fromisoformat(o["CloseDate"]) for o in sf(seed, "Opportunity") if o["IsClosed"]]
    assert all(day < today for day in closed)


def test_generation_is_fast() -> None:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        demo_seed(seed=7, leads=2000, contacts=1500, now=NOW)
        best = min(best, time.perf_counter() - started)
    assert best < 0.5


# --- shape and counts ----------------------------------------------------------------------


def test_counts_are_as_asked_and_summarised(seed: DemoSeed) -> None:
    summary = seed.summary()
    assert summary["salesforce.Lead"] == 2000
    assert summary["hubspot.contacts"] == 1500
    assert summary["salesforce.User"] == 8
    assert summary["hubspot.owners"] == 8
    for system, payload in (("salesforce", seed.salesforce), ("hubspot", seed.hubspot)):
        for name, records in payload["objects"].items():
            assert summary[f"{system}.{name}"] == len(records) > 0


@pytest.mark.parametrize("seed_number", [0, 1, 42, 2024])
def test_the_smallest_demo_still_has_everything(seed_number: int) -> None:
    small = demo_seed(seed=seed_number, leads=MIN_LEADS, contacts=MIN_CONTACTS, now=NOW)
    assert small.summary()["salesforce.Lead"] == MIN_LEADS
    assert small.summary()["hubspot.contacts"] == MIN_CONTACTS
    assert_references_resolve(small)
    assert_every_value_present(small)
    assert all(small.problems[kind] for kind in PROBLEM_KINDS)


def test_a_demo_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 150 leads and 100 contacts"):
        demo_seed(leads=MIN_LEADS - 1, contacts=MIN_CONTACTS, now=NOW)


def test_payloads_are_plain_json_and_hubspot_values_are_strings(seed: DemoSeed) -> None:
    assert json.loads(json.dumps(seed.payload())) == seed.payload()
    for name in ("contacts", "deals"):
        for properties in props(seed, name):
            assert all(isinstance(value, str) for value in properties.values()), properties


def test_salesforce_values_fit_the_default_schema(seed: DemoSeed) -> None:
    """Apart from the planted problems, the records are what a real org would accept."""
    for lead in sf(seed, "Lead"):
        assert len(lead.get("FirstName", "")) <= 40
        assert len(lead["LastName"]) <= 80
        assert len(lead["Company"]) <= 255
        assert len(lead.get("Title", "")) <= 128
        assert len(lead["Email"]) <= 80
        assert lead["LeadSource"] in LEAD_SOURCES
        assert lead.get("Disposition_Reason__c") in (None, *DISPOSITIONS)
        if "Disposition_Reason__c" in lead:
            assert lead["Status"] == "Closed - Not Converted"
    for opp in sf(seed, "Opportunity"):
        assert len(opp["Name"]) <= 120
        assert opp["StageName"] in OPPORTUNITY_STAGES
        assert opp["IsClosed"] == opp["StageName"].startswith("Closed")
        assert opp["IsWon"] == (opp["StageName"] == "Closed Won")


# --- cross-references ------------------------------------------------------------------------


def assert_references_resolve(data: DemoSeed) -> None:
    ids = {name: {r["Id"] for r in records} for name, records in data.salesforce["objects"].items()}
    for name in ("Lead", "Account", "Contact", "Opportunity"):
        for record in sf(data, name):
            assert record["OwnerId"] in ids["User"], (name, record["Id"])
    for lead in sf(data, "Lead"):
        if lead["IsConverted"]:
            assert lead["Status"] == "Closed - Converted"
            assert lead["ConvertedAccountId"] in ids["Account"]
            assert lead["ConvertedContactId"] in ids["Contact"]
            assert lead["ConvertedOpportunityId"] in ids["Opportunity"]
        else:
            assert not any(key.startswith("Converted") for key in lead)
    contacts = {c["Id"]: c for c in sf(data, "Contact")}
    opportunities = {o["Id"]: o for o in sf(data, "Opportunity")}
    for contact in contacts.values():
        assert contact["AccountId"] in ids["Account"]
    for opp in opportunities.values():
        assert opp["AccountId"] in ids["Account"]
        assert contacts[opp["ContactId"]]["AccountId"] == opp["AccountId"]
    for role in sf(data, "OpportunityContactRole"):
        opp = opportunities[role["OpportunityId"]]
        assert contacts[role["ContactId"]]["AccountId"] == opp["AccountId"]
    contact_ids = [c["id"] for c in hs(data, "contacts") if "id" in c]
    assert len(set(contact_ids)) == len(contact_ids)
    assert all(contact_id.isdigit() for contact_id in contact_ids)
    for deal in hs(data, "deals"):
        for target in deal.get("associations", {}).get("contacts", []):
            assert target in contact_ids
    owners = {owner["id"] for owner in hs(data, "owners")}
    for name in ("contacts", "deals"):
        for properties in props(data, name):
            assert properties.get("hubspot_owner_id", next(iter(owners))) in owners


def test_every_cross_reference_resolves(seed: DemoSeed) -> None:
    assert_references_resolve(seed)


def test_hand_made_hubspot_deals_are_associated_with_their_contacts(seed: DemoSeed) -> None:
    contacts = hs(seed, "contacts")
    by_id = {c["id"]: c["properties"] for c in contacts if "id" in c}
    associated = [d for d in hs(seed, "deals") if d.get("associations")]
    assert len(associated) >= len(hs(seed, "deals")) // 2
    # Only referenced contacts carry an id, and they come first, so that a server numbering
    # the others afterwards cannot collide with them.
    referenced = {t for d in associated for t in d["associations"]["contacts"]}
    assert set(by_id) == referenced
    assert all("id" in c for c in contacts[: len(by_id)])
    # A copy of a Salesforce deal hangs off the same person HubSpot knows.
    sf_emails = {c["Id"]: match_key(c["Email"]) for c in sf(seed, "Contact")}
    named: dict[str, set[str]] = defaultdict(set)
    for opportunity in sf(seed, "Opportunity"):
        named[opportunity["Name"]].add(sf_emails[opportunity["ContactId"]])
    copies = [d for d in associated if d["properties"]["dealname"] in named]
    assert copies
    for deal in copies:
        person = by_id[deal["associations"]["contacts"][0]]
        assert match_key(person["email"]) in named[deal["properties"]["dealname"]]


def test_converted_leads_point_at_the_records_their_conversion_made(seed: DemoSeed) -> None:
    contacts = {c["Id"]: c for c in sf(seed, "Contact")}
    opportunities = {o["Id"]: o for o in sf(seed, "Opportunity")}
    converted = [lead for lead in sf(seed, "Lead") if lead["IsConverted"]]
    assert converted
    for lead in converted:
        contact = contacts[lead["ConvertedContactId"]]
        opp = opportunities[lead["ConvertedOpportunityId"]]
        assert contact["Email"] == lead["Email"]
        assert contact["AccountId"] == opp["AccountId"] == lead["ConvertedAccountId"]
        assert opp["ContactId"] == contact["Id"]
        assert lead["ConvertedDate"] <= NOW.date().isoformat()
    primaries = Counter(
        r["OpportunityId"] for r in sf(seed, "OpportunityContactRole") if r["IsPrimary"]
    )
    assert set(primaries) == set(opportunities)
    assert set(primaries.values()) == {1}


# --- the taxonomy, on both sides -------------------------------------------------------------


def assert_every_value_present(data: DemoSeed) -> None:
    leads = sf(data, "Lead")
    assert set(LEAD_STATUSES) <= {lead["Status"] for lead in leads}
    dispositions = {
        lead["Disposition_Reason__c"]
        for lead in leads
        if lead["Status"] == "Closed - Not Converted"
    }
    assert dispositions == set(DISPOSITIONS)
    assert {opp["StageName"] for opp in sf(data, "Opportunity")} == set(OPPORTUNITY_STAGES)
    contacts = props(data, "contacts")
    assert {c["lifecyclestage"] for c in contacts} == set(LIFECYCLE_STAGES)
    assert {c["hs_lead_status"] for c in contacts if "hs_lead_status" in c} == set(HS_LEAD_STATUSES)


def test_every_status_disposition_stage_and_lead_status_is_present(seed: DemoSeed) -> None:
    assert_every_value_present(seed)


def test_mid_contract_leads_mostly_have_a_contract_end_date(seed: DemoSeed) -> None:
    mid = [lead for lead in sf(seed, "Lead") if lead.get("Disposition_Reason__c") == MID_CONTRACT]
    without = [lead for lead in mid if "Contract_End_Date__c" not in lead]
    assert 1 <= len(without) <= len(mid) // 10


def test_opportunities_have_amounts_and_lost_ones_a_reason(seed: DemoSeed) -> None:
    for opp in sf(seed, "Opportunity"):
        assert opp["Amount"] > 0
        assert ("Loss_Reason__c" in opp) == (opp["StageName"] == "Closed Lost")


def test_hubspot_scores_spread_from_0_to_100(seed: DemoSeed) -> None:
    scores = [int(c["hubspotscore"]) for c in props(seed, "contacts")]
    assert min(scores) < 10 and max(scores) > 90
    assert all(0 <= score <= 100 for score in scores)


def test_the_lead_definition_selects_a_realistic_share_of_prospects(seed: DemoSeed) -> None:
    prospects = [
        c for c in props(seed, "contacts") if c["lifecyclestage"] in ("subscriber", "lead")
    ]
    ready = [
        c
        for c in prospects
        if int(c["hubspotscore"]) >= 50 and c.get("company") and c.get("jobtitle")
    ]
    assert 0.2 <= len(ready) / len(prospects) <= 0.6
    assert any(int(c["hubspotscore"]) >= 50 and not c.get("jobtitle") for c in prospects)


def test_hubspot_deals_use_the_default_pipeline(seed: DemoSeed) -> None:
    deals = props(seed, "deals")
    assert deals
    assert all(instant(d["createdate"]) <= instant(d["hs_lastmodifieddate"]) <= NOW for d in deals)
    assert {deal["pipeline"] for deal in deals} == {"default"}
    assert {deal["dealstage"] for deal in deals} <= set(DEAL_PIPELINE)
    for deal in deals:
        if deal["dealstage"] in ("closedwon", "closedlost"):
            assert instant(deal["hs_lastmodifieddate"]) >= min(instant(deal["closedate"]), NOW)
    lost = [deal for deal in deals if deal["dealstage"] == "closedlost"]
    assert all("closed_lost_reason" in deal for deal in lost)


# --- the two systems overlap, and disagree -------------------------------------------------------


def test_most_people_are_in_both_systems_some_in_one(seed: DemoSeed) -> None:
    in_salesforce = {match_key(lead["Email"]) for lead in sf(seed, "Lead")}
    in_hubspot = {match_key(c["email"]) for c in props(seed, "contacts")}
    shared = in_salesforce & in_hubspot
    assert 0.6 <= len(shared) / len(in_hubspot) <= 0.72
    assert len(in_salesforce - in_hubspot) > 500
    assert len(in_hubspot - in_salesforce) > 300


def test_the_systems_disagree_about_stages_for_some_shared_people(seed: DemoSeed) -> None:
    expected = {
        "Open - Not Contacted": "marketingqualifiedlead",
        "Qualified": "salesqualifiedlead",
    }
    by_email = {match_key(c["email"]): c for c in props(seed, "contacts")}
    agree = disagree = 0
    for lead in sf(seed, "Lead"):
        contact = by_email.get(match_key(lead["Email"]))
        if contact is None or lead["Status"] not in expected:
            continue
        if contact["lifecyclestage"] == expected[lead["Status"]]:
            agree += 1
        else:
            disagree += 1
    assert agree > disagree > 0


# --- the deliberate problems ----------------------------------------------------------------------


def test_every_problem_kind_is_planted_and_listed(seed: DemoSeed) -> None:
    assert set(seed.problems) == set(PROBLEM_KINDS)
    assert all(seed.problems[kind] for kind in PROBLEM_KINDS)


def messy_duplicates(emails: list[str]) -> list[set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for email in emails:
        groups[match_key(email)].add(email)
    return [spellings for spellings in groups.values() if len(spellings) > 1]


def test_duplicate_emails_differ_only_by_case_and_padding_within_each_system(
    seed: DemoSeed,
) -> None:
    in_salesforce = messy_duplicates([lead["Email"] for lead in sf(seed, "Lead")])
    assert {"Ann.Lee@Example.com ", "ann.lee@example.com"} in in_salesforce
    assert len(in_salesforce) >= 3
    in_hubspot = messy_duplicates([c["email"] for c in props(seed, "contacts")])
    assert len(in_hubspot) >= 2
    for spellings in in_salesforce + in_hubspot:
        assert any(s != s.strip() for s in spellings)
        assert any(s != s.lower() for s in spellings)


def test_some_shared_people_are_spelled_differently_across_systems(seed: DemoSeed) -> None:
    spellings: dict[str, list[str]] = defaultdict(list)
    for lead in sf(seed, "Lead"):
        spellings[match_key(lead["Email"])].append(lead["Email"])
    # People with one lead only, so the duplicates within Salesforce do not count here.
    salesforce = {key: found[0] for key, found in spellings.items() if len(found) == 1}
    across = [
        c["email"]
        for c in props(seed, "contacts")
        if match_key(c["email"]) in salesforce and salesforce[match_key(c["email"])] != c["email"]
    ]
    assert len(across) >= 3


def test_blank_first_names_on_both_sides(seed: DemoSeed) -> None:
    assert sum("FirstName" not in lead for lead in sf(seed, "Lead")) >= 2
    contacts = props(seed, "contacts")
    assert any(c.get("firstname") == "" for c in contacts)
    assert any("firstname" not in c for c in contacts)


def test_an_unmapped_status_is_on_a_few_leads(seed: DemoSeed) -> None:
    unmapped = [lead for lead in sf(seed, "Lead") if lead["Status"] not in LEAD_STATUSES]
    assert 1 <= len(unmapped) <= 5
    assert {lead["Status"] for lead in unmapped} == {UNMAPPED_LEAD_STATUS}


def test_invalid_emails_exist_and_are_rare(seed: DemoSeed) -> None:
    invalid_hs = [
        c["email"] for c in props(seed, "contacts") if not EMAIL.match(c["email"].strip())
    ]
    invalid_sf = [
        lead["Email"] for lead in sf(seed, "Lead") if not EMAIL.match(lead["Email"].strip())
    ]
    assert 1 <= len(invalid_hs) <= 5
    assert 1 <= len(invalid_sf) <= 5


def test_a_company_name_too_long_for_salesforce(seed: DemoSeed) -> None:
    long_names = [c for c in props(seed, "contacts") if len(c.get("company", "")) > 255]
    assert long_names
    # One of them is sales-ready, so the connector will try to hand it to Salesforce.
    assert any(
        c["lifecyclestage"] == "lead" and int(c["hubspotscore"]) >= 50 and c.get("jobtitle")
        for c in long_names
    )


def test_owners_line_up_by_email_except_where_they_should_not(seed: DemoSeed) -> None:
    users = sf(seed, "User")
    owners = hs(seed, "owners")
    user_emails = {match_key(u["Email"]): u for u in users}
    owner_emails = {match_key(o["email"]): o for o in owners}
    assert len(set(user_emails) & set(owner_emails)) >= 6
    lonely_users = [u for key, u in user_emails.items() if key not in owner_emails]
    lonely_owners = [o for key, o in owner_emails.items() if key not in user_emails]
    assert len(lonely_users) == len(lonely_owners) == 1
    # Matching needs the case-insensitive key: one pair differs only in case.
    assert any(
        u["Email"] not in {o["email"] for o in owners} for u in users if u not in lonely_users
    )
    assert [u["IsActive"] for u in users].count(False) == 1
    inactive = next(u for u in users if not u["IsActive"])
    assert owner_emails[match_key(inactive["Email"])]["archived"] is True
    # Records owned by the people who exist on one side only.
    assert any(lead["OwnerId"] == lonely_users[0]["Id"] for lead in sf(seed, "Lead"))
    assert any(c.get("hubspot_owner_id") == lonely_owners[0]["id"] for c in props(seed, "contacts"))
    assert any("hubspot_owner_id" not in c for c in props(seed, "contacts"))


def test_owner_records_have_the_hubspot_owner_shape(seed: DemoSeed) -> None:
    recorded = json.loads(
        (REFERENCE / "hubspot" / "fixtures" / "nango" / "owners.test.json").read_text("utf-8")
    )
    real = recorded["api"]["get"]["/crm/v3/owners"]["response"]["results"][0]
    for owner in hs(seed, "owners"):
        assert set(real) <= set(owner)
        assert isinstance(owner["userId"], int)
        assert all(set(team) == {"id", "name", "primary"} for team in owner["teams"])


# --- the empty seed and seed files -----------------------------------------------------------


def test_empty_seed_seeds_nothing() -> None:
    empty = empty_seed()
    assert empty.summary() == {}
    assert empty.payload() == {"salesforce": {"objects": {}}, "hubspot": {"objects": {}}}


def test_a_seed_file_round_trips_the_demo(tmp_path: Path) -> None:
    data = demo_seed(seed=2, leads=MIN_LEADS, contacts=MIN_CONTACTS, now=NOW)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data.payload(), indent=2, ensure_ascii=False), encoding="utf-8")
    assert load_seed_file(path) == data.payload()


def test_a_seed_file_may_seed_one_system(tmp_path: Path) -> None:
    path = tmp_path / "hubspot-only.json"
    path.write_text('{"hubspot": {"objects": {"contacts": [{"properties": {"email": "a@b.io"}}]}}}')
    assert load_seed_file(path) == {
        "salesforce": {"objects": {}},
        "hubspot": {"objects": {"contacts": [{"properties": {"email": "a@b.io"}}]}},
    }


def seed_error(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "seed.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_seed_file(path)
    assert caught.value.exit_code is ExitCode.BAD_CONFIG
    assert str(path) in str(caught.value)
    return caught.value


def test_a_missing_seed_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.json: seed file not found"):
        load_seed_file(tmp_path / "nope.json")


def test_json_syntax_errors_name_line_and_column(tmp_path: Path) -> None:
    error = seed_error(tmp_path, '{\n  "salesforce": {\n    "objects": {"Lead": [}\n  }\n}\n')
    assert error.where.endswith("seed.json:3")
    assert "column 26" in str(error)
    assert "expected an object" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "column", "key", "expected"),
    [
        # An unknown key is pointed at itself, anything else at its value.
        ('{"salesforce": {"objects": {}},\n "hubspt": {}}', 2, 2, "hubspt", '"salesforce" and/or'),
        ("[1, 2]", 1, 1, None, "found a list"),
        ("{}", 1, 1, None, "seeds nothing"),
        (
            '{"salesforce": {"objects": {\n  "User": [],\n  "Leads": []}}}',
            3,
            3,
            "salesforce.objects.Leads",
            "one of User, Lead",
        ),
        (
            '{"salesforce": {"objects": {"Lead": [\n  {"LastName": "A"},\n  "B"\n]}}}',
            3,
            3,
            "salesforce.objects.Lead[1]",
            "found a string",
        ),
        (
            '{"hubspot": {"objects": {"contacts": [\n  {"properties": {}},\n'
            '  {"email": "x@y.io"}]}}}',
            3,
            3,
            "hubspot.objects.contacts[1]",
            "no properties",
        ),
        (
            '{"hubspot": {"objects": {"owners": [\n  {"id": "12", "email": "a@b.io"},\n'
            '  {"email": "c@d.io",\n   "id": 34}]}}}',
            4,
            10,
            "hubspot.objects.owners[1].id",
            "string of digits",
        ),
        ('{"salesforce": {"objects": {"Lead": {}}}}', 1, 37, "salesforce.objects.Lead", "a list"),
        ('{"salesforce": {"records": []}}', 1, 17, "salesforce.records", 'only "objects"'),
    ],
)
def test_shape_errors_name_line_column_key_and_what_was_expected(
    tmp_path: Path, text: str, line: int, column: int, key: str | None, expected: str
) -> None:
    error = seed_error(tmp_path, text)
    assert error.where.endswith(f"seed.json:{line}")
    assert f"(column {column})" in str(error)
    assert error.key == key
    assert expected in str(error)
