"""The shipped taxonomy: DESIGN §3's defaults in both systems, readings, moves, recycling, and
every check an admin can trip, each naming file, line and key."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connector.errors import ConfigError, InvariantBroken, RecordRejected
from connector.taxonomy import (
    FUNNEL,
    Actor,
    ContractEndMissing,
    Mapped,
    Stage,
    Taxonomy,
    Unmapped,
    load_taxonomy,
)

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "taxonomy.toml"
S = Stage


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(SHIPPED)


# DESIGN §3 "Default values": canonical → (Lead.Status, lifecyclestage, hs_lead_status).
DEFAULTS = [
    (S.PROSPECT, "Nurture", "lead", "NEW"),
    (S.MQL, "Open - Not Contacted", "marketingqualifiedlead", "OPEN"),
    (S.SAL, "Working - Contacted", "marketingqualifiedlead", "IN_PROGRESS"),
    (S.SQL, "Qualified", "salesqualifiedlead", "CONNECTED"),
    (S.OPPORTUNITY, "Closed - Converted", "opportunity", "OPEN_DEAL"),
    (S.CUSTOMER, "Closed - Converted", "customer", "OPEN_DEAL"),
]

# DESIGN §3 reasons: reason → (Disposition_Reason__c label, hs_lead_status).
REASONS = [
    ("not_ready", "Not Ready", "BAD_TIMING"),
    ("mid_contract_competitor", "Mid-Contract with Competitor", "BAD_TIMING"),
    ("lost_deal", "Lost Deal", "UNQUALIFIED"),
    ("no_fit", "No Fit", "UNQUALIFIED"),
    ("bad_data", "Bad Data", "UNQUALIFIED"),
    ("duplicate", "Duplicate", "UNQUALIFIED"),
    ("unresponsive", "Unresponsive", "UNQUALIFIED"),
]


@pytest.mark.parametrize(("stage", "status", "lifecycle", "lead_status"), DEFAULTS)
def test_default_values_written_for_each_stage(
    taxonomy: Taxonomy, stage: Stage, status: str, lifecycle: str, lead_status: str
) -> None:
    assert taxonomy.salesforce_values(stage) == {
        "Status": status,
        "Disposition_Reason__c": None,  # any stage but disqualified clears the reason ...
        "Recycle_Date__c": None,  # ... and the recycle date
    }
    assert taxonomy.hubspot_values(stage) == {
        "lifecyclestage": lifecycle,
        "hs_lead_status": lead_status,
        "lead_disposition_reason": "",  # HubSpot clears with an empty string
        "recycle_date": "",
    }


@pytest.mark.parametrize(("stage", "status", "lifecycle", "lead_status"), DEFAULTS[:4])
def test_default_values_read_back_as_their_stage(
    taxonomy: Taxonomy, stage: Stage, status: str, lifecycle: str, lead_status: str
) -> None:
    assert taxonomy.stage_from_salesforce(status, None, False, None) == Mapped(stage)
    assert taxonomy.stage_from_hubspot(lifecycle, lead_status, None) == Mapped(stage)


@pytest.mark.parametrize(
    ("stage", "lifecycle"), [(S.OPPORTUNITY, "opportunity"), (S.CUSTOMER, "customer")]
)
def test_converted_stages_read_back_from_hubspot(
    taxonomy: Taxonomy, stage: Stage, lifecycle: str
) -> None:
    assert taxonomy.stage_from_hubspot(lifecycle, "OPEN_DEAL", None) == Mapped(stage)


@pytest.mark.parametrize(("reason", "label", "lead_status"), REASONS)
def test_disqualified_writes_its_reason_in_both_systems_and_reads_back(
    taxonomy: Taxonomy, reason: str, label: str, lead_status: str
) -> None:
    recycle_on = date(2024, 4, 1)
    assert taxonomy.salesforce_values(S.DISQUALIFIED, reason, recycle_on) == {
        "Status": "Closed - Not Converted",
        "Disposition_Reason__c": label,
        "Recycle_Date__c": "2024-04-01",
    }
    hubspot = taxonomy.hubspot_values(S.DISQUALIFIED, reason, recycle_on)
    assert hubspot == {
        "lifecyclestage": "other",
        "hs_lead_status": lead_status,
        "lead_disposition_reason": reason,
        "recycle_date": "2024-04-01",
    }
    expected = Mapped(S.DISQUALIFIED, reason)
    assert taxonomy.stage_from_salesforce("Closed - Not Converted", label, False, None) == expected
    assert taxonomy.stage_from_hubspot("other", lead_status, reason) == expected


def test_disqualified_without_a_known_reason_cannot_be_written(taxonomy: Taxonomy) -> None:
    with pytest.raises(InvariantBroken):
        taxonomy.salesforce_values(S.DISQUALIFIED)
    with pytest.raises(InvariantBroken):
        taxonomy.hubspot_values(S.DISQUALIFIED, "bored")


@pytest.mark.parametrize(
    ("status", "label", "converted", "opportunity", "expected"),
    [
        ("Nurture", None, False, None, Mapped(S.PROSPECT)),
        (" Qualified ", None, False, None, Mapped(S.SQL)),
        ("Working - Contacted", "Not Ready", False, None, Mapped(S.SAL)),  # stray reason ignored
        # A converted lead reads from its opportunity, whatever its Status says.
        ("Closed - Converted", None, True, "Prospecting", Mapped(S.OPPORTUNITY)),
        ("Closed - Converted", None, True, "Negotiation/Review", Mapped(S.OPPORTUNITY)),
        ("Closed - Converted", None, True, "Closed Won", Mapped(S.CUSTOMER)),
        ("Closed - Converted", None, True, "Closed Lost", Mapped(S.DISQUALIFIED, "lost_deal")),
        ("Closed - Converted", None, True, None, Mapped(S.SQL)),  # converted without opportunity
    ],
)
def test_stage_from_salesforce(
    taxonomy: Taxonomy,
    status: str,
    label: str | None,
    converted: bool,
    opportunity: str | None,
    expected: Mapped,
) -> None:
    assert taxonomy.stage_from_salesforce(status, label, converted, opportunity) == expected


@pytest.mark.parametrize(
    ("status", "label", "converted", "opportunity", "field", "fragment"),
    [
        ("Open", None, False, None, "Status", "'Open' maps to no stage (known: 'Nurture',"),
        (None, None, False, None, "Status", "None maps to no stage"),
        (
            "Closed - Converted",
            None,
            False,
            None,
            "Status",
            "says the lead is converted, but it is not",
        ),
        (
            "Closed - Not Converted",
            None,
            False,
            None,
            "Disposition_Reason__c",
            "needs a disposition reason (one of: 'Not Ready',",
        ),
        (
            "Closed - Not Converted",
            "Too Big",
            False,
            None,
            "Disposition_Reason__c",
            "'Too Big' is not a disposition reason",
        ),
        (
            "Closed - Converted",
            None,
            True,
            "Stalled",
            "ConvertedOpportunity.StageName",
            "opportunity stage 'Stalled' is in none of",
        ),
    ],
)
def test_unmapped_salesforce_values_name_field_and_value(
    taxonomy: Taxonomy,
    status: str | None,
    label: str | None,
    converted: bool,
    opportunity: str | None,
    field: str,
    fragment: str,
) -> None:
    reading = taxonomy.stage_from_salesforce(status, label, converted, opportunity)
    assert isinstance(reading, Unmapped)
    assert reading.field == field
    assert fragment in reading.message
    rejection = reading.rejection()
    assert isinstance(rejection, RecordRejected)
    assert str(rejection).startswith(f"{field}: ")
    assert rejection.code == "UNMAPPED_VALUE"


@pytest.mark.parametrize(
    ("lifecycle", "lead_status", "disposition", "expected"),
    [
        # mql and sal share marketingqualifiedlead; hs_lead_status tells them apart.
        ("marketingqualifiedlead", "OPEN", None, Mapped(S.MQL)),
        ("marketingqualifiedlead", "IN_PROGRESS", None, Mapped(S.SAL)),
        ("marketingqualifiedlead", None, None, Mapped(S.MQL)),  # alias: untouched by sales
        ("marketingqualifiedlead", "ATTEMPTED_TO_CONTACT", None, Mapped(S.SAL)),  # alias
        # Aliases read as a stage but are never written.
        ("subscriber", None, None, Mapped(S.PROSPECT)),
        ("evangelist", "OPEN_DEAL", None, Mapped(S.CUSTOMER)),
        ("", None, None, Mapped(S.PROSPECT)),  # no lifecycle stage yet
        (None, None, None, Mapped(S.PROSPECT)),
        # A lifecycle stage of its own decides; hs_lead_status is not consulted.
        ("lead", "CONNECTED", None, Mapped(S.PROSPECT)),
        ("other", "UNQUALIFIED", "duplicate", Mapped(S.DISQUALIFIED, "duplicate")),
        ("other", "BAD_TIMING", " not_ready ", Mapped(S.DISQUALIFIED, "not_ready")),
    ],
)
def test_stage_from_hubspot(
    taxonomy: Taxonomy,
    lifecycle: str | None,
    lead_status: str | None,
    disposition: str | None,
    expected: Mapped,
) -> None:
    assert taxonomy.stage_from_hubspot(lifecycle, lead_status, disposition) == expected


@pytest.mark.parametrize(
    ("lifecycle", "lead_status", "disposition", "field", "fragment"),
    [
        ("partner", None, None, "lifecyclestage", "'partner' maps to no stage (known: 'lead',"),
        (
            "marketingqualifiedlead",
            "BAD_TIMING",
            None,
            "hs_lead_status",
            "'BAD_TIMING' does not tell which stage a 'marketingqualifiedlead' contact is in "
            "(expected one of: ATTEMPTED_TO_CONTACT, IN_PROGRESS, OPEN)",
        ),
        ("other", "UNQUALIFIED", None, "lead_disposition_reason", "needs a disposition reason"),
        (
            "other",
            "UNQUALIFIED",
            "bored",
            "lead_disposition_reason",
            "'bored' is not a disposition reason",
        ),
    ],
)
def test_unmapped_hubspot_values_name_field_and_value(
    taxonomy: Taxonomy,
    lifecycle: str,
    lead_status: str | None,
    disposition: str | None,
    field: str,
    fragment: str,
) -> None:
    reading = taxonomy.stage_from_hubspot(lifecycle, lead_status, disposition)
    assert isinstance(reading, Unmapped)
    assert (reading.field, reading.value) == (
        field,
        {"lifecyclestage": lifecycle, "hs_lead_status": lead_status}.get(field, disposition),
    )
    assert fragment in reading.message


def test_funnel_order(taxonomy: Taxonomy) -> None:
    assert taxonomy.funnel == FUNNEL
    assert [s.value for s in FUNNEL] == ["prospect", "mql", "sal", "sql", "opportunity", "customer"]
    assert [taxonomy.rank(s) for s in FUNNEL] == list(range(6))
    assert taxonomy.rank(S.DISQUALIFIED) is None


A = Actor


@pytest.mark.parametrize(
    ("actor", "source", "target", "reason", "expected"),
    [
        # Marketing (a marketer in HubSpot, or the lead definition) moves prospect → mql.
        (A.HUBSPOT, S.PROSPECT, S.MQL, None, True),
        (A.CONNECTOR, S.PROSPECT, S.MQL, None, True),
        (A.SALESFORCE, S.PROSPECT, S.MQL, None, False),
        # Sales moves mql → sal → sql.
        (A.SALESFORCE, S.MQL, S.SAL, None, True),
        (A.SALESFORCE, S.SAL, S.SQL, None, True),
        (A.SALESFORCE, S.MQL, S.SQL, None, True),
        (A.HUBSPOT, S.MQL, S.SQL, None, False),  # a marketer setting salesqualifiedlead by hand
        (A.CONNECTOR, S.SAL, S.SQL, None, False),
        # Sales disqualifies with a reason and converts.
        (A.SALESFORCE, S.SAL, S.DISQUALIFIED, "no_fit", True),
        (A.HUBSPOT, S.SAL, S.DISQUALIFIED, "no_fit", False),
        (A.SALESFORCE, S.SQL, S.OPPORTUNITY, None, True),
        (A.HUBSPOT, S.SQL, S.OPPORTUNITY, None, False),
        # Opportunity outcomes.
        (A.SALESFORCE, S.OPPORTUNITY, S.CUSTOMER, None, True),
        (A.SALESFORCE, S.OPPORTUNITY, S.DISQUALIFIED, "lost_deal", True),
        (A.SALESFORCE, S.OPPORTUNITY, S.DISQUALIFIED, "no_fit", False),
        (A.HUBSPOT, S.OPPORTUNITY, S.CUSTOMER, None, False),
        # Only recycling moves backwards.
        (A.RECYCLING, S.DISQUALIFIED, S.PROSPECT, None, True),
        (A.SALESFORCE, S.DISQUALIFIED, S.PROSPECT, None, False),
        (A.SALESFORCE, S.SQL, S.SAL, None, False),
        (A.HUBSPOT, S.MQL, S.PROSPECT, None, False),
        (A.CONNECTOR, S.CUSTOMER, S.PROSPECT, None, False),
        (A.RECYCLING, S.SQL, S.PROSPECT, None, False),  # recycling only takes disqualified back
        # Staying put is not a move.
        (A.HUBSPOT, S.SQL, S.SQL, None, True),
    ],
)
def test_who_may_move_which_stage(
    taxonomy: Taxonomy,
    actor: Actor,
    source: Stage,
    target: Stage,
    reason: str | None,
    expected: bool,
) -> None:
    assert taxonomy.allowed(actor, source, target, reason) is expected


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (S.MQL, S.PROSPECT, True),
        (S.CUSTOMER, S.SQL, True),
        (S.DISQUALIFIED, S.PROSPECT, True),
        (S.DISQUALIFIED, S.SQL, True),
        (S.PROSPECT, S.MQL, False),
        (S.SQL, S.DISQUALIFIED, False),
        (S.SAL, S.SAL, False),
    ],
)
def test_is_backwards(taxonomy: Taxonomy, source: Stage, target: Stage, expected: bool) -> None:
    assert taxonomy.is_backwards(source, target) is expected


@pytest.mark.parametrize(
    ("reason", "disposed", "contract_end", "expected"),
    [
        ("not_ready", date(2024, 1, 10), None, date(2024, 4, 9)),  # +90 days
        ("not_ready", date(2024, 1, 10), date(2030, 1, 1), date(2024, 4, 9)),
        (
            "mid_contract_competitor",
            date(2024, 1, 10),
            date(2024, 12, 31),
            date(2024, 10, 2),
        ),  # 90 days before the contract ends
        ("lost_deal", date(2024, 1, 10), None, date(2024, 7, 8)),  # +180 days
        ("no_fit", date(2024, 1, 10), None, None),
        ("bad_data", date(2024, 1, 10), None, None),
        ("duplicate", date(2024, 1, 10), None, None),
        ("unresponsive", date(2024, 1, 10), date(2024, 12, 31), None),
    ],
)
def test_recycle_dates(
    taxonomy: Taxonomy,
    reason: str,
    disposed: date,
    contract_end: date | None,
    expected: date | None,
) -> None:
    assert taxonomy.recycle_date(reason, disposed, contract_end) == expected


def test_mid_contract_without_contract_end_is_a_dead_letter_a_rep_understands(
    taxonomy: Taxonomy,
) -> None:
    with pytest.raises(ContractEndMissing) as caught:
        taxonomy.recycle_date("mid_contract_competitor", date(2024, 1, 10), None)
    assert str(caught.value) == (
        "This lead is disqualified as 'Mid-Contract with Competitor', which needs a contract end "
        "date, but Contract End Date is empty. Fill in Contract End Date so crmsync knows when to "
        "bring the lead back for nurture."
    )
    assert isinstance(caught.value, RecordRejected)
    assert caught.value.code == "CONTRACT_END_MISSING"


def test_stage_fields_are_the_designs(taxonomy: Taxonomy) -> None:
    assert taxonomy.salesforce_fields.written() == (
        "Status",
        "Disposition_Reason__c",
        "Recycle_Date__c",
    )
    assert taxonomy.hubspot_fields.written() == (
        "lifecyclestage",
        "hs_lead_status",
        "lead_disposition_reason",
        "recycle_date",
    )


# --- checks at load time ---------------------------------------------------------------------

TEXT = SHIPPED.read_text(encoding="utf-8")


def after(text: str, anchor: str, old: str, new: str) -> str:
    """Replace the first ``old`` that follows ``anchor``."""
    head, sep, tail = text.partition(anchor)
    assert sep and old in tail, (anchor, old)
    return head + sep + tail.replace(old, new, 1)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


@pytest.mark.parametrize(
    ("text", "needle", "key", "message"),
    [
        (
            after(TEXT, "[stages.sal]", 'hubspot_lead_status = "IN_PROGRESS"\n', ""),
            "[stages.sal]",
            "[stages.sal] hubspot_lead_status",
            "stage 'sal' has no value in this system; every stage needs one",
        ),
        (
            after(
                TEXT, "[stages.sql]", 'salesforce_status = "Qualified"', 'salesforce_status = " "'
            ),
            'salesforce_status = " "',
            "[stages.sql] salesforce_status",
            "stage 'sql' has no value in this system; every stage needs one",
        ),
        (
            TEXT.replace("[stages.customer]", "[stages.customers]"),
            "[stages.customers]",
            "[stages] customers",
            "unknown stage 'customers' (known: prospect, mql, sal, sql, opportunity, customer, "
            "disqualified)",
        ),
        (
            after(TEXT, "[stages.sal]", '"IN_PROGRESS"', '"OPEN"'),
            ('hubspot_lead_status = "OPEN"', 2),
            "[stages.sal] hubspot_lead_status",
            "lifecyclestage 'marketingqualifiedlead' with hs_lead_status 'OPEN' is already stage "
            "'mql'; two stages cannot write the same values",
        ),
        (
            after(TEXT, "[stages.sql]", '"Qualified"', '"Working - Contacted"'),
            ('"Working - Contacted"', 2),
            "[stages.sql] salesforce_status",
            "'Working - Contacted' is already the Salesforce status of stage 'sal'; each stage "
            "needs its own",
        ),
        (
            after(TEXT, "[stages.prospect]", '"Nurture"', '"Closed - Converted"'),
            ('"Closed - Converted"', 1),
            "[stages.prospect] salesforce_status",
            "'Closed - Converted' is the status of a converted lead (opportunity, customer); "
            "stage 'prospect' needs its own",
        ),
        (
            after(TEXT, "[stages.disqualified]", '"other"', '"lead"'),
            ('hubspot_lifecyclestage = "lead"', 2),
            "[stages.disqualified] hubspot_lifecyclestage",
            "'lead' is also the lifecycle stage of 'prospect'; disqualified needs a lifecycle "
            "stage of its own",
        ),
        (
            after(
                TEXT, "[stages.disqualified]", '"other"\n', '"other"\nhubspot_lead_status = "X"\n'
            ),
            'hubspot_lead_status = "X"',
            "[stages.disqualified] hubspot_lead_status",
            "a disqualified record's hs_lead_status comes from its reason; set "
            "hubspot_lead_status in each [reasons.*] table instead",
        ),
        (
            after(TEXT, "[reasons.no_fit]", 'recycle = "never"\n', ""),
            "[reasons.no_fit]",
            "[reasons] no_fit",
            "reason 'no_fit' has no recycle rule: set recycle_after_days = N, "
            'recycle_before_contract_end_days = N, or recycle = "never"',
        ),
        (
            after(
                TEXT,
                "[reasons.no_fit]",
                'recycle = "never"',
                'recycle = "never"\nrecycle_after_days = 30',
            ),
            "recycle_after_days = 30",
            "[reasons.no_fit] recycle_after_days",
            "reason 'no_fit' has more than one recycle rule",
        ),
        (
            after(TEXT, "[reasons.lost_deal]", "= 180", "= -1"),
            "= -1",
            "[reasons.lost_deal] recycle_after_days",
            "days cannot be negative (got -1)",
        ),
        (
            after(TEXT, "[reasons.duplicate]", 'salesforce = "Duplicate"\n', ""),
            "[reasons.duplicate]",
            "[reasons.duplicate] salesforce",
            "reason 'duplicate' has no Salesforce label (its disposition picklist value)",
        ),
        (
            after(TEXT, "[reasons.duplicate]", '"Duplicate"', '"Bad Data"'),
            ('salesforce = "Bad Data"', 2),
            "[reasons.duplicate] salesforce",
            "Salesforce label 'Bad Data' is already reason 'bad_data'; each needs its own",
        ),
        (
            after(TEXT, "[reasons.unresponsive]", 'hubspot_lead_status = "UNQUALIFIED"\n', ""),
            "[reasons.unresponsive]",
            "[reasons.unresponsive] hubspot_lead_status",
            "reason 'unresponsive' has no hs_lead_status value for HubSpot",
        ),
        (
            after(TEXT, "[reasons.not_ready]", "recycle_after_days", "recycle_after"),
            "recycle_after =",
            "[reasons.not_ready] recycle_after",
            "unknown key (check the spelling; "
            "the shipped mappings/taxonomy.toml shows the keys there are)",
        ),
        (
            after(TEXT, "[[moves]]", 'from = ["prospect"]', 'from = ["prospects"]'),
            'from = ["prospects"]',
            "[moves #1] from",
            "unknown stage 'prospects' (known: prospect, mql, sal, sql, opportunity, customer, "
            "disqualified)",
        ),
        (
            after(TEXT, "[[moves]]", 'by = ["hubspot", "connector"]', 'by = ["marketing"]'),
            'by = ["marketing"]',
            "[moves #1] by",
            "unknown actor 'marketing' (known: salesforce, hubspot, connector, recycling)",
        ),
        (
            after(TEXT, "[[moves]]", 'to = ["sal", "sql"]', 'to = ["mql", "sql"]'),
            ('by = ["salesforce"]', 1),
            "[moves #2] by",
            "sal → mql moves backwards, and only recycling may do that",
        ),
        (
            after(TEXT, "[[moves]]", 'reasons = ["lost_deal"]', 'reasons = ["lost"]'),
            'reasons = ["lost"]',
            "[moves #6] reasons",
            "unknown reason 'lost' (known: not_ready, mid_contract_competitor, lost_deal, no_fit, "
            "bad_data, duplicate, unresponsive)",
        ),
        (
            after(
                TEXT,
                "[[moves]]",
                'to = ["customer"]\n',
                'to = ["customer"]\nreasons = ["lost_deal"]\n',
            ),
            'reasons = ["lost_deal"]',
            "[moves #5] reasons",
            'reasons only apply to a move with to = ["disqualified"]',
        ),
        (
            after(TEXT, "[aliases.hubspot_lifecyclestage]", "subscriber", "customer"),
            'customer = "prospect"',
            "[aliases.hubspot_lifecyclestage] customer",
            "'customer' is already written by a stage; an alias is for values no stage writes",
        ),
        (
            after(TEXT, "[aliases.hubspot_lead_status]", '"sal"', '"sales"'),
            'ATTEMPTED_TO_CONTACT = "sales"',
            "[aliases.hubspot_lead_status] ATTEMPTED_TO_CONTACT",
            "unknown stage 'sales' (known: prospect, mql, sal, sql, opportunity, customer, "
            "disqualified)",
        ),
        (
            after(TEXT, "[aliases.salesforce_status]", "\n", '\n"Converted" = "customer"\n'),
            '"Converted" = "customer"',
            "[aliases.salesforce_status] Converted",
            "a converted lead's stage is read from its opportunity; an alias cannot point at "
            "'customer'",
        ),
        (
            after(TEXT, "[opportunity]", 'lost_reason = "lost_deal"', 'lost_reason = "lost"'),
            'lost_reason = "lost"',
            "[opportunity] lost_reason",
            "unknown reason 'lost' (known: not_ready, mid_contract_competitor, lost_deal, no_fit, "
            "bad_data, duplicate, unresponsive)",
        ),
        (
            after(
                TEXT,
                "[opportunity]",
                'lost = ["Closed Lost"]',
                'lost = ["Closed Lost", "Closed Won"]',
            ),
            'lost = ["Closed Lost", "Closed Won"]',
            "[opportunity] lost",
            "opportunity stage 'Closed Won' is listed as both won and lost",
        ),
        (
            TEXT.replace("version = 1", "version = 3"),
            "version = 3",
            "version",
            "unsupported version 3 (this crmsync reads version 1)",
        ),
    ],
)
def test_taxonomy_errors_name_file_line_and_key(
    tmp_path: Path, text: str, needle: str | tuple[str, int], key: str, message: str
) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(path)
    wanted, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    assert str(caught.value) == f"{path}:{line_of(text, wanted, occurrence)}: {key}: {message}"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_taxonomy(tmp_path / "nope.toml")


def test_without_a_rule_for_unconverted_opportunity_a_converted_lead_is_unmapped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(TEXT.replace('without_opportunity = "sql"', ""), encoding="utf-8")
    reading = load_taxonomy(path).stage_from_salesforce("Closed - Converted", None, True, None)
    assert isinstance(reading, Unmapped)
    assert reading.field == "ConvertedOpportunity.StageName"
    assert "converted without an opportunity" in reading.message


def test_admins_can_rename_values(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    text = after(TEXT, "[stages.prospect]", '"Nurture"', '"Recycled"')
    path.write_text(text, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.salesforce_values(S.PROSPECT)["Status"] == "Recycled"
    assert taxonomy.stage_from_salesforce("Recycled", None, False, None) == Mapped(S.PROSPECT)
    assert isinstance(taxonomy.stage_from_salesforce("Nurture", None, False, None), Unmapped)


def test_reading_any_value_never_raises(taxonomy: Taxonomy) -> None:
    odd: list[Any] = [None, "", " ", 0, 1.5, True, "Nurture", "other", "OPEN"]
    for a in odd:
        for b in odd:
            assert taxonomy.stage_from_hubspot(a, b, a).is_mapped in (True, False)
            assert taxonomy.stage_from_salesforce(a, b, False, a).is_mapped in (True, False)
