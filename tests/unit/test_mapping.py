"""Mapping files: sync rules decided row by row, rows resolved both ways, and every check an
admin can trip, each naming file, line and key."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.errors import ConfigError, InvariantBroken
from connector.mapping import (
    NO_SNAPSHOT,
    FieldMap,
    Resolution,
    SalesforceStage,
    Snapshot,
    SyncRule,
    compile_mapping,
    decide,
)
from connector.model import Owner, Side
from connector.transforms import OwnerNotMatched, TransformContext, UnmappedValue, ValueRejected

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
SF = Side.SALESFORCE
HS = Side.HUBSPOT
EARLY = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
LATE = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
CTX = TransformContext.from_owners(
    [Owner("005A", "ada@example.com"), Owner("005C", "nobody@example.com")],
    [Owner("101", "ada@example.com")],
)


# --- the rules -------------------------------------------------------------------------------

R = SyncRule


@pytest.mark.parametrize(
    ("rule", "sf", "hs", "snapshot", "sf_at", "hs_at", "winner", "write", "after"),
    [
        # two_way with a snapshot: only a side that moved away from it has changed.
        (R.TWO_WAY, "a", "a", "a", EARLY, LATE, None, None, "a"),
        (R.TWO_WAY, "b", "a", "a", EARLY, LATE, SF, HS, "b"),
        (R.TWO_WAY, "a", "b", "a", LATE, EARLY, HS, SF, "b"),
        (R.TWO_WAY, "b", "c", "a", EARLY, LATE, HS, SF, "c"),
        (R.TWO_WAY, "b", "c", "a", LATE, EARLY, SF, HS, "b"),
        (R.TWO_WAY, "b", "c", "a", LATE, LATE, SF, HS, "b"),  # a tie goes to Salesforce
        (R.TWO_WAY, "b", "c", "a", None, None, SF, HS, "b"),
        (R.TWO_WAY, "b", "c", "a", None, EARLY, HS, SF, "c"),
        (R.TWO_WAY, None, "a", "a", EARLY, LATE, SF, HS, None),  # a cleared value is a change
        (R.TWO_WAY, "a", None, "a", LATE, EARLY, HS, SF, None),
        (R.TWO_WAY, "b", "b", "a", EARLY, LATE, None, None, "b"),  # both moved to the same value
        # two_way without a snapshot (first sync of a matched pair): newer record wins ...
        (R.TWO_WAY, "a", "b", NO_SNAPSHOT, EARLY, LATE, HS, SF, "b"),
        (R.TWO_WAY, "a", "b", NO_SNAPSHOT, LATE, EARLY, SF, HS, "a"),
        # ... but a blank never overwrites a value, however new.
        (R.TWO_WAY, None, "b", NO_SNAPSHOT, LATE, EARLY, HS, SF, "b"),
        (R.TWO_WAY, "a", None, NO_SNAPSHOT, EARLY, LATE, SF, HS, "a"),
        (R.TWO_WAY, None, None, NO_SNAPSHOT, EARLY, LATE, None, None, None),
        # prefer X unless blank: X wins whenever it has a value, whatever changed or is newer.
        (R.PREFER_SALESFORCE_UNLESS_BLANK, "a", "b", "b", EARLY, LATE, SF, HS, "a"),
        (R.PREFER_SALESFORCE_UNLESS_BLANK, "a", None, NO_SNAPSHOT, EARLY, LATE, SF, HS, "a"),
        (R.PREFER_SALESFORCE_UNLESS_BLANK, None, "b", "b", LATE, EARLY, HS, SF, "b"),
        (R.PREFER_SALESFORCE_UNLESS_BLANK, "a", "a", NO_SNAPSHOT, EARLY, LATE, None, None, "a"),
        (R.PREFER_HUBSPOT_UNLESS_BLANK, "a", "b", "a", LATE, EARLY, HS, SF, "b"),
        (R.PREFER_HUBSPOT_UNLESS_BLANK, "a", None, "a", EARLY, LATE, SF, HS, "a"),
        (R.PREFER_HUBSPOT_UNLESS_BLANK, None, "b", NO_SNAPSHOT, LATE, EARLY, HS, SF, "b"),
        # always X: X's value, even blank, even older.
        (R.ALWAYS_SALESFORCE, "a", "b", "a", EARLY, LATE, SF, HS, "a"),
        (R.ALWAYS_SALESFORCE, None, "b", NO_SNAPSHOT, EARLY, LATE, SF, HS, None),
        (R.ALWAYS_SALESFORCE, "a", "a", "x", EARLY, LATE, None, None, "a"),
        (R.ALWAYS_HUBSPOT, "a", "b", "b", LATE, EARLY, HS, SF, "b"),
        (R.ALWAYS_HUBSPOT, "a", None, NO_SNAPSHOT, LATE, EARLY, HS, SF, None),
        # none: never written, nothing remembered.
        (R.NONE, "a", "b", "a", EARLY, LATE, None, None, NO_SNAPSHOT),
        (R.NONE, None, "b", NO_SNAPSHOT, EARLY, LATE, None, None, NO_SNAPSHOT),
    ],
)
def test_decide(
    rule: SyncRule,
    sf: str | None,
    hs: str | None,
    snapshot: Snapshot,
    sf_at: datetime | None,
    hs_at: datetime | None,
    winner: Side | None,
    write: Side | None,
    after: Snapshot,
) -> None:
    decision = decide(rule, sf, hs, snapshot, sf_at, hs_at)
    assert (decision.winner, decision.write, decision.snapshot) == (winner, write, after)
    assert decision.reason


@pytest.mark.parametrize(
    ("rule", "writes"),
    [
        (R.TWO_WAY, {SF, HS}),
        (R.PREFER_SALESFORCE_UNLESS_BLANK, {SF, HS}),
        (R.PREFER_HUBSPOT_UNLESS_BLANK, {SF, HS}),
        (R.ALWAYS_SALESFORCE, {HS}),
        (R.ALWAYS_HUBSPOT, {SF}),
        (R.NONE, set()),
    ],
)
def test_which_side_each_rule_can_write(rule: SyncRule, writes: set[Side]) -> None:
    assert {side for side in Side if rule.writes(side)} == writes


def test_rule_names_are_the_ones_admins_know() -> None:
    assert [r.value for r in SyncRule] == [
        "two_way",
        "prefer_salesforce_unless_blank",
        "always_salesforce",
        "always_hubspot",
        "prefer_hubspot_unless_blank",
        "none",
    ]


# --- the shipped files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def leads() -> FieldMap:
    return compile_mapping(MAPPINGS / "leads.toml")


@pytest.fixture(scope="module")
def opportunities() -> FieldMap:
    return compile_mapping(MAPPINGS / "opportunities.toml")


PIPELINE_FILES = ("leads.toml", "contacts.toml", "opportunities.toml")


@pytest.mark.parametrize("name", PIPELINE_FILES)
def test_shipped_mappings_compile(name: str) -> None:
    field_map = compile_mapping(MAPPINGS / name)
    assert field_map.rows
    assert len(set(field_map.salesforce_fields())) == len(field_map.salesforce_fields())
    assert len(set(field_map.hubspot_fields())) == len(field_map.hubspot_fields())


def test_every_pipeline_file_in_mappings_is_covered() -> None:
    specs = {"taxonomy.toml", "lead_definition.toml"}
    assert {p.name for p in MAPPINGS.glob("*.toml")} - specs == set(PIPELINE_FILES)


def test_leads_read_identity_modstamp_taxonomy_and_lead_definition_fields(leads: FieldMap) -> None:
    assert leads.salesforce_object == "Lead"
    assert leads.taxonomy is not None
    assert leads.salesforce_stage is SalesforceStage.LEAD_STATUS
    sf = leads.salesforce_fields()
    for name in ("Id", "SystemModstamp", "Email", "Status", "Disposition_Reason__c", "IsConverted"):
        assert name in sf
    hs = leads.hubspot_fields()
    for name in ("lastmodifieddate", "email", "lifecyclestage", "hs_lead_status", "jobtitle"):
        assert name in hs
    assert leads.lead_definition is not None
    assert set(leads.lead_definition.properties()) <= set(hs)


def test_contacts_read_their_stage_from_conversion_not_status() -> None:
    contacts = compile_mapping(MAPPINGS / "contacts.toml")
    assert contacts.salesforce_stage is SalesforceStage.CONVERSION
    assert "Status" not in contacts.salesforce_fields()
    assert "lifecyclestage" in contacts.hubspot_fields()


def test_opportunities_flow_to_deals(opportunities: FieldMap) -> None:
    assert (opportunities.salesforce_object, opportunities.hubspot_object) == (
        "Opportunity",
        "deals",
    )
    assert opportunities.taxonomy is None
    # Deals carry hs_lastmodifieddate, contacts lastmodifieddate.
    assert opportunities.hubspot_modified_field == "hs_lastmodifieddate"
    assert "hs_lastmodifieddate" in opportunities.hubspot_fields()
    written = {(r.salesforce, r.hubspot) for r in opportunities.rows_writing(HS)}
    assert {
        ("Name", "dealname"),
        ("StageName", "dealstage"),
        ("Amount", "amount"),
        ("CloseDate", "closedate"),
        ("Loss_Reason__c", "closed_lost_reason"),
        ("OwnerId", "hubspot_owner_id"),
        ("Id", "salesforce_opportunity_id"),
    } <= written
    assert {(r.salesforce, r.hubspot) for r in opportunities.rows_writing(SF)} == {
        ("HubSpot_Deal_Id__c", "hs_object_id")
    }


@pytest.mark.parametrize(
    ("stage", "deal_stage"),
    [
        ("Prospecting", "appointmentscheduled"),
        ("Qualification", "qualifiedtobuy"),
        ("Needs Analysis", "presentationscheduled"),
        ("Value Proposition", "presentationscheduled"),
        ("Proposal/Price Quote", "decisionmakerboughtin"),
        ("Negotiation/Review", "contractsent"),
        ("Closed Won", "closedwon"),
        ("Closed Lost", "closedlost"),
    ],
)
def test_opportunity_stages_map_to_the_default_deal_pipeline(
    opportunities: FieldMap, stage: str, deal_stage: str
) -> None:
    row = opportunities.row(SF, "StageName")
    assert row is not None
    assert row.to_hubspot(stage, CTX) == deal_stage


def test_an_unmapped_opportunity_stage_is_never_guessed(opportunities: FieldMap) -> None:
    row = opportunities.row(SF, "StageName")
    assert row is not None
    with pytest.raises(UnmappedValue) as caught:
        row.resolve("Verbal Commit", "", NO_SNAPSHOT, LATE, EARLY, CTX)
    assert "Salesforce StageName → HubSpot dealstage: 'Verbal Commit'" in str(caught.value)
    assert caught.value.field == "StageName"


# --- rows resolved ---------------------------------------------------------------------------


def resolve(
    field_map: FieldMap, sf_field: str, sf: Any, hs: Any, snapshot: Snapshot = NO_SNAPSHOT
) -> Resolution:
    row = field_map.row(SF, sf_field)
    assert row is not None
    return row.resolve(sf, hs, snapshot, EARLY, LATE, CTX)


@pytest.mark.parametrize(
    ("sf_field", "sf", "hs", "write", "value"),
    [
        # The score comes from HubSpot, as a number in Salesforce; 60.0 and "60" agree.
        ("Lead_Score__c", 60.0, "60", None, None),
        ("Lead_Score__c", 40.0, "60", SF, 60),
        ("Lead_Score__c", 40.0, "", SF, None),
        # Owners: Salesforce decides; HubSpot only fills a blank Salesforce owner.
        ("OwnerId", "005A", "", HS, "101"),
        ("OwnerId", "005A", "101", None, None),
        ("OwnerId", None, "101", SF, "005A"),
        # Two-way names compare trimmed.
        ("FirstName", " Ada ", "Ada", None, None),
        ("FirstName", "Ada", "", HS, "Ada"),
        # A HubSpot date read back as epoch ms at midnight UTC is the same date.
        ("Contract_End_Date__c", "2024-06-30", "1719705600000", None, None),
        ("Contract_End_Date__c", "2024-06-30", "2024-06-29", HS, "2024-06-30"),
        ("Contract_End_Date__c", None, "2024-06-29", HS, ""),  # always_salesforce: clears
        ("Id", "00Q000000000001AAA", "", HS, "00Q000000000001AAA"),
        ("HubSpot_Contact_Id__c", None, "501", SF, "501"),
        ("ConvertedOpportunity.StageName", "Closed Won", "open", HS, "won"),
        ("ConvertedOpportunity.Amount", 5000.0, "5000", None, None),
    ],
)
def test_rows_resolve_to_the_value_to_write(
    leads: FieldMap, sf_field: str, sf: Any, hs: Any, write: Side | None, value: Any
) -> None:
    resolution = resolve(leads, sf_field, sf, hs)
    assert resolution.decision.write is write
    assert resolution.value == value


def test_deal_close_date_reads_back_equal_from_a_hubspot_datetime(opportunities: FieldMap) -> None:
    resolution = resolve(opportunities, "CloseDate", "2026-12-31", "2026-12-31T00:00:00Z")
    assert resolution.decision.write is None
    assert resolve(opportunities, "CloseDate", "2026-12-31", "").value == "2026-12-31T00:00:00.000Z"


SAMPLES: dict[str, Any] = {
    "Id": "00Q000000000001AAA",
    "FirstName": " Ada",
    "LastName": "Lovelace ",
    "Email": "Ada@Example.com",
    "Company": "Analytical Engines",
    "Title": "Countess",
    "OwnerId": "005A",
    "LeadSource": "Web",
    "Contract_End_Date__c": "2025-03-31",
    "ConvertedOpportunity.StageName": "Negotiation/Review",
    "ConvertedOpportunity.Amount": 1250.5,
    "ConvertedOpportunity.Loss_Reason__c": "Price",
    "ConvertedOpportunity.CloseDate": "2025-02-28",
}


@pytest.mark.parametrize("sf_field", sorted(SAMPLES))
def test_a_written_value_reads_back_as_no_change(leads: FieldMap, sf_field: str) -> None:
    """The connector's own write comes back on the next read: it must not be written again."""
    first = resolve(leads, sf_field, SAMPLES[sf_field], "")
    assert first.decision.write is HS
    again = resolve(leads, sf_field, SAMPLES[sf_field], first.value, first.decision.snapshot)
    assert again.decision.write is None
    assert again.decision.snapshot == first.decision.snapshot


def test_a_value_hubspot_writes_into_salesforce_reads_back_as_no_change(leads: FieldMap) -> None:
    first = resolve(leads, "Lead_Score__c", None, "72")
    assert (first.decision.write, first.value) == (SF, 72)
    again = resolve(leads, "Lead_Score__c", first.value, "72", first.decision.snapshot)
    assert again.decision.write is None


def test_an_owner_without_counterpart_names_the_field(leads: FieldMap) -> None:
    with pytest.raises(OwnerNotMatched) as caught:
        resolve(leads, "OwnerId", "005C", "")
    assert caught.value.field == "OwnerId"
    assert str(caught.value).startswith("Salesforce OwnerId → HubSpot hubspot_owner_id: ")
    assert "nobody@example.com" in str(caught.value)


def test_a_bad_value_names_the_field_it_came_from(leads: FieldMap) -> None:
    with pytest.raises(ValueRejected) as caught:
        resolve(leads, "Lead_Score__c", None, "sixty")
    assert str(caught.value) == (
        "HubSpot hubspotscore → Salesforce Lead_Score__c: expected a number, got 'sixty'"
    )
    assert caught.value.field == "hubspotscore"


def test_a_row_has_no_transform_towards_a_side_its_rule_never_writes(leads: FieldMap) -> None:
    row = leads.row(HS, "hubspotscore")
    assert row is not None
    with pytest.raises(InvariantBroken):
        row.to_hubspot(60, CTX)


def test_comparable_pair_is_in_the_written_sides_form(leads: FieldMap) -> None:
    row = leads.row(SF, "OwnerId")
    assert row is not None
    assert row.comparable_pair("005A", "101", CTX) == ("101", "101")
    assert FieldMap.comparable("60.0") == FieldMap.comparable(60)


def test_identity_key_is_trimmed_and_case_insensitive(leads: FieldMap) -> None:
    assert leads.identity.salesforce == "Email"
    assert leads.identity.hubspot == "email"
    assert leads.identity.key("  Ada@Example.COM ") == leads.identity.key("ada@example.com")
    assert leads.identity.key("ada@example.com") == "ada@example.com"
    assert leads.identity.key("   ") is None


# --- checks at compile time ------------------------------------------------------------------

BASE = """\
version = 1
salesforce_object = "Lead"
hubspot_object = "contacts"

[identity]
salesforce = "Email"
hubspot = "email"

[taxonomy]
file = "taxonomy.toml"

[[fields]]
salesforce = "FirstName"
hubspot = "firstname"
rule = "two_way"
transforms = ["trim"]

[[fields]]
salesforce = "Lead_Score__c"
hubspot = "hubspotscore"
rule = "always_hubspot"
to_salesforce = ["number"]

[[fields]]
salesforce = "OwnerId"
hubspot = "hubspot_owner_id"
rule = "prefer_salesforce_unless_blank"
transforms = ["owner_by_email"]

[value_maps.sources]
"Web" = "website"
"""


def extra_row(salesforce: str, hubspot: str, rule: str, more: str = "") -> str:
    block = f'\n[[fields]]\nsalesforce = "{salesforce}"\nhubspot = "{hubspot}"\nrule = "{rule}"\n'
    return BASE.replace("\n[value_maps.sources]", block + more + "\n[value_maps.sources]")


def write_mapping(tmp_path: Path, text: str) -> Path:
    shutil.copy(MAPPINGS / "taxonomy.toml", tmp_path / "taxonomy.toml")
    path = tmp_path / "leads.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str | tuple[str, int]) -> int:
    """The line of the first (or n-th) line holding ``needle``: where the error must point."""
    wanted, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    hits = [i for i, line in enumerate(text.splitlines(), 1) if wanted in line]
    return hits[occurrence - 1]


def test_the_base_variant_compiles(tmp_path: Path) -> None:
    assert len(compile_mapping(write_mapping(tmp_path, BASE)).rows) == 3


@pytest.mark.parametrize(
    ("text", "needle", "key", "message"),
    [
        (
            BASE.replace('transforms = ["trim"]', 'transforms = ["trimm"]'),
            "trimm",
            "[fields #1] transforms",
            "unknown transform 'trimm' (did you mean 'trim'? known: trim, lower, upper, title, "
            "blank_to_null, number, integer, boolean, date, datetime, date_as_datetime, value_map, "
            "truncate, owner_by_email)",
        ),
        (
            BASE.replace('to_salesforce = ["number"]', 'to_salesforce = ["truncate:x"]'),
            "truncate:x",
            "[fields #2] to_salesforce",
            "truncate needs a positive whole number, e.g. truncate:80 (got 'x')",
        ),
        (
            BASE.replace('rule = "two_way"', 'rule = "two-way"'),
            "two-way",
            "[fields #1] rule",
            "unknown rule 'two-way' (known: two_way, prefer_salesforce_unless_blank, "
            "always_salesforce, always_hubspot, prefer_hubspot_unless_blank, none)",
        ),
        (
            BASE.replace('rule = "always_hubspot"', 'rule = "always_salesforce"'),
            'rule = "always_salesforce"',
            "[fields #2] rule",
            "rule 'always_salesforce' writes into HubSpot 'hubspotscore', which is read-only "
            "(calculated by HubSpot from its scoring rules); use always_hubspot or none",
        ),
        (
            extra_row("Id", "salesforce_lead_id", "two_way"),
            ('rule = "two_way"', 2),
            "[fields #4] rule",
            "rule 'two_way' writes into Salesforce 'Id', which is read-only (set by Salesforce); "
            "use always_salesforce or none",
        ),
        (
            extra_row("ConvertedOpportunityId", "deal", "prefer_hubspot_unless_blank"),
            'rule = "prefer_hubspot_unless_blank"',
            "[fields #4] rule",
            "rule 'prefer_hubspot_unless_blank' writes into Salesforce 'ConvertedOpportunityId', "
            "which is read-only (set by Salesforce); use always_salesforce or none",
        ),
        (
            extra_row("Name", "fullname", "always_hubspot"),
            ('rule = "always_hubspot"', 2),
            "[fields #4] rule",
            "rule 'always_hubspot' writes into Salesforce 'Name', which is read-only (a compound "
            "of FirstName and LastName on a person); use always_salesforce or none",
        ),
        (
            extra_row("ConvertedOpportunity.Amount", "closed_loop_amount", "two_way"),
            ('rule = "two_way"', 2),
            "[fields #4] rule",
            "rule 'two_way' writes into Salesforce 'ConvertedOpportunity.Amount', which is "
            "read-only (a field of a related record (read through the relationship, never "
            "written)); use always_salesforce or none",
        ),
        (
            extra_row("FirstName", "nickname", "always_salesforce"),
            ('salesforce = "FirstName"', 2),
            "[fields #4] salesforce",
            "Salesforce 'FirstName' is mapped twice: also by [fields #1] (line {first_row})",
        ),
        (
            extra_row("Nickname__c", "firstname", "always_hubspot"),
            ('hubspot = "firstname"', 2),
            "[fields #4] hubspot",
            "HubSpot 'firstname' is mapped twice: also by [fields #1] (line {first_row})",
        ),
        (
            extra_row("Status", "status_copy", "always_salesforce"),
            'salesforce = "Status"',
            "[fields #4] salesforce",
            "Salesforce 'Status' holds the lead stage and is written by the taxonomy "
            "(taxonomy.toml); remove this row",
        ),
        (
            extra_row("Stage__c", "lifecyclestage", "always_salesforce"),
            'hubspot = "lifecyclestage"',
            "[fields #4] hubspot",
            "HubSpot 'lifecyclestage' holds the lead stage and is written by the taxonomy "
            "(taxonomy.toml); remove this row",
        ),
        (
            extra_row(
                "LeadSource",
                "lead_source",
                "always_salesforce",
                'transforms = ["value_map:source"]\n',
            ),
            "value_map:source",
            "[fields #4] transforms",
            "value_map:source names no [value_maps.source] table in this file (defined: sources)",
        ),
        (
            extra_row(
                "LeadSource", "lead_source", "two_way", 'transforms = ["value_map:sources"]\n'
            ).replace('"Web" = "website"', '"Web" = "website"\n"Web Form" = "website"'),
            "value_map:sources",
            "[fields #4] transforms",
            "value map 'sources' maps both 'Web' and 'Web Form' to 'website', so it cannot be "
            "read backwards into Salesforce; use it only with a rule that writes HubSpot alone "
            "(always_salesforce)",
        ),
        (
            BASE.replace('transforms = ["trim"]', 'transform = ["trim"]'),
            "transform = ",
            "[fields #1] transform",
            "unknown key (check the spelling; "
            "the shipped mappings/leads.toml shows the keys there are)",
        ),
        (
            BASE.replace("version = 1", "version = 2"),
            "version = 2",
            "version",
            "unsupported version 2 (this crmsync reads version 1)",
        ),
        (
            BASE.replace('file = "taxonomy.toml"', 'file = "taxonomie.toml"'),
            "taxonomie.toml",
            "[taxonomy] file",
            "no such file: {dir}/taxonomie.toml",
        ),
        (
            BASE.replace(
                'hubspot = "email"\n',
                'hubspot = "email"\nnormalize = ["trim", "value_map:sources"]\n',
            ),
            "normalize",
            "[identity] normalize",
            "'value_map:sources' translates values; a match key only formats",
        ),
        (
            BASE.replace(
                '[taxonomy]\nfile = "taxonomy.toml"',
                '[taxonomy]\nfile = "taxonomy.toml"\nsalesforce_stage = "status"',
            ),
            "salesforce_stage",
            "[taxonomy] salesforce_stage",
            "Input should be 'lead_status' or 'conversion' (got 'status')",
        ),
    ],
)
def test_mapping_errors_name_file_line_and_key(
    tmp_path: Path, text: str, needle: str | tuple[str, int], key: str, message: str
) -> None:
    path = write_mapping(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        compile_mapping(path)
    expected_message = message.format(dir=tmp_path, first_row=line_of(text, "[[fields]]"))
    assert str(caught.value) == f"{path}:{line_of(text, needle)}: {key}: {expected_message}"


def test_a_missing_identity_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace('[identity]\nsalesforce = "Email"\nhubspot = "email"\n', "")
    path = write_mapping(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        compile_mapping(path)
    assert str(caught.value).startswith(f"{path}: identity: [identity] is missing: records are")


def test_without_the_taxonomy_a_row_may_map_a_status_field(tmp_path: Path) -> None:
    text = extra_row("Status", "status_copy", "always_salesforce").replace(
        '[taxonomy]\nfile = "taxonomy.toml"\n', ""
    )
    field_map = compile_mapping(write_mapping(tmp_path, text))
    assert field_map.taxonomy is None
    assert field_map.row(SF, "Status") is not None
    assert "lifecyclestage" not in field_map.hubspot_fields()


def test_an_error_in_the_taxonomy_file_names_that_file(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, BASE)
    taxonomy = tmp_path / "taxonomy.toml"
    text = taxonomy.read_text().replace(
        'hubspot_lifecyclestage = "lead"', 'hubspot_lifecyclestage = ""'
    )
    taxonomy.write_text(text)
    with pytest.raises(ConfigError) as caught:
        compile_mapping(path)
    line = line_of(text, 'hubspot_lifecyclestage = ""')
    assert str(caught.value).startswith(
        f"{taxonomy}:{line}: [stages.prospect] hubspot_lifecyclestage: "
        "stage 'prospect' has no value"
    )


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = BASE.replace('rule = "two_way"', "rule = two_way")
    path = write_mapping(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        compile_mapping(path)
    assert str(caught.value).startswith(f"{path}:{line_of(text, 'rule = two_way')}: TOML syntax")
