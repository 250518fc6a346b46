"""``crmsync validate [--remote]`` as an admin runs it: every problem one line, with a fix.

Locally, each kind of mistake in the config, a mapping, the taxonomy or the lead definition is
named by file, line and key (exit 2). Remotely, against both emulators, a clean setup passes
(exit 0); mappings that name what the org and portal lack, or fields the portal was given
through its properties API with the wrong type or flags, give exactly the expected lines
(exit 2); wrong credentials or a system nobody answers for give exit 3. No secret is printed.
"""

from __future__ import annotations

import os
import shutil
import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.cli import main
from connector.emulators.run import (
    HUBSPOT_TOKEN,
    SALESFORCE_CLIENT_ID,
    SALESFORCE_CLIENT_SECRET,
    RunningEmulators,
    emulators,
)
from tests.e2e.cli import REPO, Result, crmsync

MAPPINGS = REPO / "mappings"
SECRETS = (SALESFORCE_CLIENT_SECRET, HUBSPOT_TOKEN, "wrong-secret-4d1f9e", "pat-wrong-77c3a1")

CONFIG = """\
[state]
url = "sqlite:///{root}/state.db"

[salesforce]
login_url = "{salesforce}"
client_id = "{client_id}"
client_secret_{secret_source}
ca_bundle = "{ca}"

[hubspot]
base_url = "{hubspot}"
access_token_{token_source}
ca_bundle = "{ca}"

[[pipelines]]
name = "leads"
salesforce_object = "Lead"
hubspot_object = "contacts"
mapping = "{mappings}/leads.toml"
schedule = "5m"

[[pipelines]]
name = "contacts"
salesforce_object = "Contact"
hubspot_object = "contacts"
mapping = "{mappings}/contacts.toml"

[[pipelines]]
name = "opportunities"
salesforce_object = "Opportunity"
hubspot_object = "deals"
mapping = "{mappings}/opportunities.toml"
schedule = "*/15 8-20 * * 1-5"
"""


def write_config(
    root: Path,
    *,
    salesforce: str = "https://127.0.0.1:1",
    hubspot: str = "https://127.0.0.1:1",
    ca: Path | None = None,
    secrets_dir: Path | None = None,
    mappings: Path = MAPPINGS,
) -> Path:
    """A config like ``crmsync demo`` writes: secrets from files if given, else from env vars."""
    if secrets_dir is not None:
        secret = f'file = "{secrets_dir}/salesforce_client_secret"'
        token = f'file = "{secrets_dir}/hubspot_access_token"'
    else:
        secret, token = 'env = "SF_SECRET"', 'env = "HS_TOKEN"'
    path = root / "crmsync.toml"
    path.write_text(
        CONFIG.format(
            root=root,
            salesforce=salesforce,
            hubspot=hubspot,
            client_id=SALESFORCE_CLIENT_ID,
            secret_source=secret,
            token_source=token,
            ca=ca or root / "ca.pem",
            mappings=mappings,
        )
    )
    return path


def validate(config: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    """``crmsync validate`` in a subprocess, as a user runs it."""
    result = crmsync("validate", "--config", str(config), *extra, cwd=config.parent, env=env)
    return checked(result)


def checked(result: Result) -> Result:
    assert "Traceback" not in result.output, result.output
    for secret in SECRETS:
        assert secret not in result.output
    return result


@pytest.fixture
def validate_here(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[Path], Result]:
    """``crmsync validate`` through the same entry point, in this process (no startup cost)."""
    for name in list(os.environ):
        if name.startswith("CRMSYNC_"):
            monkeypatch.delenv(name)
    for name, value in LOCAL_ENV.items():
        monkeypatch.setenv(name, value)

    def run(config: Path) -> Result:
        monkeypatch.setattr(sys, "argv", ["crmsync", "validate", "--config", str(config)])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        code = exited.value.code
        return checked(Result(code if isinstance(code, int) else 1, out, err))

    return run


def problems(result: Result) -> list[str]:
    """The problem lines of a ``--remote`` run (everything but the local ok lines and summary)."""
    return [
        line
        for line in result.stdout.splitlines()
        if line and not line.startswith("ok  ") and "problem(s) between" not in line
    ]


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new))


def line_of(path: Path, text: str, *, last: bool = False) -> int:
    """The 1-based line of ``path`` containing ``text`` (the only one, or else the last)."""
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert lines and (last or len(lines) == 1), (path, text, lines)
    return lines[-1]


def rows_in(path: Path) -> int:
    return sum(line.strip() == "[[fields]]" for line in path.read_text().splitlines())


def row_at(path: Path, text: str) -> str:
    """How messages point at the [[fields]] row holding ``text``: file, header line, number."""
    lines = path.read_text().splitlines()
    target = line_of(path, text)
    headers = [i for i, line in enumerate(lines[:target], 1) if line.strip() == "[[fields]]"]
    return f"{path}:{headers[-1]} [fields #{len(headers)}]"


# --- local checks: no system is asked -----------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> tuple[Path, Path]:
    """A config (with unreachable systems, never contacted) over a copy of the shipped mappings."""
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    return write_config(tmp_path, mappings=mappings), mappings


LOCAL_ENV = {"SF_SECRET": "wrong-secret-4d1f9e", "HS_TOKEN": "pat-wrong-77c3a1"}


def test_shipped_mappings_validate_locally(
    local: tuple[Path, Path], validate_here: Callable[[Path], Result]
) -> None:
    config, mappings = local
    result = validate_here(config)
    assert result.code == 0, result.output
    rows = {
        name: rows_in(mappings / f"{name}.toml") for name in ("leads", "contacts", "opportunities")
    }
    assert result.stdout.splitlines() == [
        f"ok  leads: {mappings}/leads.toml ({rows['leads']} fields, with {mappings}/taxonomy.toml, "
        f"{mappings}/lead_definition.toml)",
        f"ok  contacts: {mappings}/contacts.toml ({rows['contacts']} fields, with "
        f"{mappings}/taxonomy.toml)",
        f"ok  opportunities: {mappings}/opportunities.toml ({rows['opportunities']} fields)",
        f"{config}: valid",
    ]
    assert result.stderr == ""


# (file, text to replace, its replacement, text on the line named, the key named, the message)
LOCAL_MISTAKES = [
    pytest.param(
        "leads.toml",
        'salesforce = "Company"\nhubspot = "company"',
        'salesforce = "Company"\nhubspot = "company"\nhubspot_property = "company"',
        "hubspot_property",
        "[fields #6] hubspot_property",
        "unknown key",
        id="unknown-key-in-a-field-row",
    ),
    pytest.param(
        "leads.toml",
        'transforms = ["trim", "lower"]\n\n[[fields]]\nsalesforce = "Company"',
        'transforms = ["trim", "lowercase"]\n\n[[fields]]\nsalesforce = "Company"',
        '"lowercase"',
        "[fields #5] transforms",
        "unknown transform 'lowercase' (did you mean 'lower'?",
        id="unknown-transform",
    ),
    pytest.param(
        "leads.toml",
        'salesforce = "Title"',
        'salesforce = "FirstName"',
        'salesforce = "FirstName"',
        "[fields #7] salesforce",
        "Salesforce 'FirstName' is mapped twice: also by [fields #3]",
        id="field-mapped-twice",
    ),
    pytest.param(
        "opportunities.toml",
        'rule = "always_hubspot"',
        'rule = "both_ways"',
        "both_ways",
        "[fields #2] rule",
        "unknown rule 'both_ways' (known: two_way,",
        id="unknown-rule",
    ),
    pytest.param(
        "taxonomy.toml",
        'hubspot_lifecyclestage = "salesqualifiedlead"',
        "",
        "[stages.sql]",
        "[stages.sql] hubspot_lifecyclestage",
        "stage 'sql' has no value in this system; every stage needs one",
        id="stage-without-a-value",
    ),
    pytest.param(
        "taxonomy.toml",
        'salesforce_status = "Qualified"',
        'salesforce_status = "Working - Contacted"',
        'salesforce_status = "Working - Contacted"',
        "[stages.sql] salesforce_status",
        "'Working - Contacted' is already the Salesforce status of stage 'sal'",
        id="status-written-by-two-stages",
    ),
    pytest.param(
        "taxonomy.toml",
        'hubspot_lead_status = "UNQUALIFIED"\nrecycle_after_days = 180',
        'hubspot_lead_status = "UNQUALIFIED"',
        "[reasons.lost_deal]",
        "[reasons] lost_deal",
        "reason 'lost_deal' has no recycle rule",
        id="reason-without-recycle-rule",
    ),
    pytest.param(
        "lead_definition.toml",
        "at_least = 50",
        "at_least = 50\nat_most = 90",
        "at_most",
        "[engagement] at_most",
        "one check per criterion",
        id="criterion-with-two-checks",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "at", "key", "message"), LOCAL_MISTAKES)
def test_each_local_mistake_is_named_by_file_line_and_key(
    local: tuple[Path, Path],
    validate_here: Callable[[Path], Result],
    name: str,
    old: str,
    new: str,
    at: str,
    key: str,
    message: str,
) -> None:
    config, mappings = local
    path = mappings / name
    edit(path, old, new)
    result = validate_here(config)
    assert result.code == 2, result.output
    (error,) = errors(result)
    where = f"{path}:{line_of(path, at, last=True)}"
    assert error.startswith(f"crmsync: {where}: {key}: {message}"), error
    assert ": valid" not in result.stdout


def test_malformed_toml_names_the_line(local: tuple[Path, Path]) -> None:
    config, mappings = local
    edit(mappings / "contacts.toml", 'salesforce = "Title"', 'salesforce = "Title')
    result = validate(config, env=LOCAL_ENV)
    assert result.code == 2
    (error,) = errors(result)
    line = line_of(mappings / "contacts.toml", 'salesforce = "Title')
    assert error.startswith(f"crmsync: {mappings}/contacts.toml:{line}: TOML syntax error")


def test_every_broken_pipeline_is_named_in_one_run(local: tuple[Path, Path]) -> None:
    config, mappings = local
    edit(config, f"{mappings}/opportunities.toml", f"{mappings}/deals.toml")
    edit(mappings / "leads.toml", 'to_salesforce = ["number"]', 'to_salesforce = ["numbr"]')
    result = validate(config, env=LOCAL_ENV)
    assert result.code == 2
    leads_row = line_of(mappings / "leads.toml", '"numbr"')
    mapping_key = line_of(config, f"{mappings}/deals.toml")
    first, second = errors(result)
    assert first.startswith(
        f"crmsync: {mappings}/leads.toml:{leads_row}: [fields #8] to_salesforce: unknown "
        "transform 'numbr' (did you mean 'number'?"
    )
    assert second == (
        f"crmsync: {config}:{mapping_key}: [pipelines #3] mapping: pipeline 'opportunities': "
        f"mapping file {mappings}/deals.toml not found"
    )
    # The pipeline that is fine is still reported as checked.
    assert result.stdout.splitlines() == [
        f"ok  contacts: {mappings}/contacts.toml ({rows_in(mappings / 'contacts.toml')} fields, "
        f"with {mappings}/taxonomy.toml)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('schedule = "5m"', 'schedule = "every 5 minutes"', "[pipelines #1] schedule", "pipeline"),
        (
            'schedule = "*/15 8-20 * * 1-5"',
            'schedule = "*/15 8-25 * * 1-5"',
            "[pipelines #3] schedule",
            "pipeline 'opportunities'",
        ),
        ('url = "sqlite:///', 'url = "mysql:///', "[state] url", "unsupported database driver"),
    ],
)
def test_config_values_beyond_the_schema(
    local: tuple[Path, Path],
    validate_here: Callable[[Path], Result],
    old: str,
    new: str,
    key: str,
    message: str,
) -> None:
    config, _ = local
    edit(config, old, new)
    result = validate_here(config)
    assert result.code == 2
    (error,) = errors(result)
    line = line_of(config, new)
    assert error.startswith(f"crmsync: {config}:{line}: {key}: "), error
    assert message in error


def test_a_config_without_pipelines_says_so(
    tmp_path: Path, validate_here: Callable[[Path], Result]
) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().split("[[pipelines]]")[0])
    result = validate_here(config)
    assert result.code == 2
    (error,) = errors(result)
    assert error.startswith(f"crmsync: {config}: pipelines: no [[pipelines]]: nothing would be")


# --- remote checks: both emulators --------------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulators]:
    with emulators(tls_dir=tmp_path_factory.mktemp("emulators") / "tls") as started:
        yield started


def remote_config(root: Path, running: RunningEmulators, mappings: Path = MAPPINGS) -> Path:
    return write_config(
        root,
        salesforce=running.salesforce.url,
        hubspot=running.hubspot.url,
        ca=running.tls.ca_path,
        secrets_dir=running.secrets_dir,
        mappings=mappings,
    )


def create_property(running: RunningEmulators, object_type: str, body: dict[str, Any]) -> None:
    """What an admin does in HubSpot's settings, through the properties API."""
    trust = ssl.create_default_context(cafile=str(running.tls.ca_path))
    response = httpx.post(
        f"{running.hubspot.url}/crm/v3/properties/{object_type}",
        json={"groupName": f"{object_type[:-1]}information", **body},
        headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"},
        verify=trust,
    )
    assert response.status_code == 201, response.text


def test_clean_org_and_portal_pass(tmp_path: Path, running: RunningEmulators) -> None:
    result = validate(remote_config(tmp_path, running), "--remote")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [
        "ok  leads",
        "ok  contacts",
        "ok  opportunities",
    ]
    assert lines[3].startswith("remote: every mapped field exists in Salesforce and HubSpot")
    assert lines[4] == f"{tmp_path / 'crmsync.toml'}: valid"
    assert result.stderr == ""


def append_row(path: Path, salesforce: str, hubspot: str, rule: str) -> None:
    """A [[fields]] row added after the last one (before any [value_maps.*] table)."""
    text = path.read_text()
    head, marker, tail = text.partition("\n[value_maps.")
    row = f'\n[[fields]]\nsalesforce = "{salesforce}"\nhubspot = "{hubspot}"\nrule = "{rule}"\n'
    path.write_text(head.rstrip("\n") + "\n" + row + marker + tail)


def test_what_the_org_and_portal_lack_is_named_with_a_fix(
    tmp_path: Path, running: RunningEmulators
) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    leads, contacts = mappings / "leads.toml", mappings / "contacts.toml"
    opportunities, orders = mappings / "opportunities.toml", mappings / "orders.toml"
    taxonomy, definition = mappings / "taxonomy.toml", mappings / "lead_definition.toml"
    # An admin's properties, made through HubSpot's API: a date, a flag, a key without uniqueness.
    for object_type, name, kind, field_type in (
        ("contacts", "first_touch", "date", "date"),
        ("deals", "won_flag", "bool", "booleancheckbox"),
        ("deals", "opportunity_key", "string", "text"),
    ):
        label = name.replace("_", " ").title()
        body = {"name": name, "label": label, "type": kind, "fieldType": field_type}
        create_property(running, object_type, body)
    # A pipeline for an object the org does not have.
    shutil.copy(opportunities, orders)
    edit(orders, 'salesforce_object = "Opportunity"', 'salesforce_object = "Order__c"')
    # Names the org and portal spell otherwise, or lack.
    edit(leads, 'salesforce = "Title"', 'salesforce = "title"')
    edit(leads, 'salesforce = "Lead_Score__c"', 'salesforce = "Lead_Scor__c"')
    edit(leads, '"ConvertedOpportunity.CloseDate"', '"ConvertedOpp.CloseDate"')
    edit(definition, 'property = "hubspotscore"', 'property = "hubspot_score"')
    append_row(opportunities, "Lead_Score__c", "pipeline", "none")
    # Values a picklist or a value map lacks.
    edit(leads, '"Closed Lost" = "lost"', '"Closed Lost" = "closed_lost"')
    edit(opportunities, '"Perception Analysis" = "presentationscheduled"\n', "")
    edit(taxonomy, 'salesforce_status = "Nurture"', 'salesforce_status = "Nurturing"')
    edit(taxonomy, 'salesforce = "No Fit"', 'salesforce = "No Fit"\nhubspot = "not_a_fit"')
    definition.write_text(
        definition.read_text()
        + '\n[[fit]]\nproperty = "lifecyclestage"\nin = ["lead", "sql"]\n'
        + '\n[[fit]]\nproperty = "company"\nat_least = 3\n'
    )
    # Kinds, writability and the flags creates rely on.
    append_row(leads, "Phone", "first_touch", "always_salesforce")
    append_row(leads, "Name", "hs_object_source", "always_salesforce")
    append_row(leads, "Owner.Email", "website", "none")
    edit(leads, 'hubspot = "company"\nrule = "two_way"', 'hubspot = "company"\nrule = "none"')
    edit(contacts, 'salesforce = "HubSpot_Contact_Id__c"', 'salesforce = "Phone"')
    append_row(opportunities, "IsWon", "won_flag", "always_hubspot")
    edit(
        opportunities,
        'hubspot = "salesforce_opportunity_id"\nnormalize',
        'hubspot = "opportunity_key"\nnormalize',
    )
    config = remote_config(tmp_path, running, mappings)
    config.write_text(
        config.read_text()
        + '\n[[pipelines]]\nname = "orders"\nsalesforce_object = "Order__c"\n'
        + f'hubspot_object = "deals"\nmapping = "{orders}"\n'
    )

    result = validate(config, "--remote")

    assert result.code == 2, result.output
    properties = "Settings > Data Management > Properties"
    lead_fields = "Setup > Object Manager > Lead > Fields & Relationships"
    title_row = row_at(leads, 'salesforce = "title"')
    phone_row = row_at(contacts, 'salesforce = "Phone"')
    company_criterion = line_of(definition, 'property = "company"', last=True)
    expected = [
        # leads: its rows, in file order
        f"salesforce Lead.title: your org spells this field 'Title' — use that spelling in "
        f"{title_row}",
        "salesforce Lead.Lead_Scor__c: no such field in your org — did you mean "
        f"'Lead_Score__c'? Fix the name in {row_at(leads, 'Lead_Scor__c')}",
        "hubspot contacts.closed_loop_outcome: has no option 'closed_lost' ([value_maps.outcome], "
        f"{leads}:{line_of(leads, '[value_maps.outcome]')}) — add it in {properties} > "
        "Closed Loop Outcome (contacts), or change [value_maps.outcome]",
        "salesforce Lead.ConvertedOpp.CloseDate: Lead has no relationship 'ConvertedOpp' — fix "
        f"the path in {row_at(leads, 'ConvertedOpp.CloseDate')} (a lookup field's "
        "relationship name, as in ConvertedOpportunity.StageName)",
        "hubspot contacts.first_touch: a date property cannot take text from salesforce "
        f"Lead.Phone ({row_at(leads, 'first_touch')}) — add the 'date' transform to the row "
        "(to_hubspot), or map a property of a matching type",
        "hubspot contacts.hs_object_source: read-only in your portal, but rule "
        f"'always_salesforce' writes it ({row_at(leads, 'hs_object_source')}) — use a rule that "
        "does not write HubSpot (always_hubspot or none)",
        "salesforce Lead.Owner.Email: Lead's relationship 'Owner' can lead to Group or User — "
        "crmsync reads through a relationship to one object only; fix the path in "
        f"{row_at(leads, 'Owner.Email')}",
        # leads: the taxonomy
        "salesforce Lead.Status: picklist lacks 'Nurturing' (taxonomy stage prospect) — add it in "
        f"{lead_fields} > Status",
        "salesforce Lead.Status: picklist value 'Nurture' maps to no taxonomy stage — leads with "
        f"it would go to dead letters; add it under [aliases.salesforce_status] in {taxonomy}",
        "hubspot contacts.lead_disposition_reason: has no option 'not_a_fit' (taxonomy reason "
        f"no_fit) — add it in {properties} > Lead Disposition Reason (contacts)",
        "hubspot contacts.lead_disposition_reason: option 'no_fit' is no taxonomy reason — "
        "contacts disqualified with it would go to dead letters; add a [reasons.*] table for it "
        f"in {taxonomy}",
        # leads: the lead definition
        f"hubspot contacts.lifecyclestage: has no option 'sql' ({definition}:"
        f"{line_of(definition, 'lifecyclestage')}) — criteria compare internal values, not "
        "labels: use one of 'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', "
        "'opportunity', 'customer', 'evangelist', 'other'",
        "hubspot contacts.company: at_least compares numbers, but this is a string property "
        f"({definition}:{company_criterion}) — use a number property, or "
        "another check (equals, in, not_blank)",
        "hubspot contacts.hubspot_score: no such property in your portal — did you mean "
        f"'hubspotscore'? Fix the name in {definition}:{line_of(definition, 'hubspot_score')}",
        # leads: creates
        "salesforce Lead.Company: required in your org, but no row writes it, so a Lead created "
        f"from HubSpot would be refused — map it with a rule that writes Salesforce in {leads}, or "
        "give it a default value",
        # contacts
        "salesforce Contact.Phone: is not marked External ID and Unique, but it holds the HubSpot "
        f"record id crmsync finds Contact records by ({phone_row}) "
        "— tick External ID and Unique in Setup > Object Manager > Contact > Fields & "
        "Relationships > Business Phone",
        # opportunities
        "salesforce Opportunity.StageName: picklist value 'Perception Analysis' is not in "
        "[value_maps.deal_stages] — a record holding it would go to dead letters; add it to the "
        f"value map in {opportunities}:{line_of(opportunities, '[value_maps.deal_stages]')}",
        "salesforce Opportunity.Lead_Score__c: no such field in your org — create it as "
        "Number(18,0) (see README: Running against a real org)",
        "salesforce Opportunity.IsWon: the integration user cannot edit it (a formula or system "
        "field, or read-only by field-level security), but rule 'always_hubspot' writes it "
        f"({row_at(opportunities, 'IsWon')}) — give the user edit access in Setup > Object "
        "Manager > Opportunity > Fields & Relationships > Won > Set Field-Level Security, or use "
        "a rule that does not write Salesforce",
        "hubspot deals.opportunity_key: does not require unique values, but crmsync creates deals "
        f"by upsert on it ([identity] in {opportunities}:"
        f"{line_of(opportunities, 'opportunity_key')}) — turn on 'Require unique values for this "
        f"property' in {properties} > Opportunity Key (deals), or match by a property that "
        "requires them",
        # orders
        "salesforce Order__c: no such object in your org (pipeline 'orders') — fix "
        f"salesforce_object in {orders}:{line_of(orders, 'Order__c')} and in the pipeline's config",
    ]
    assert problems(result) == expected
    assert result.stdout.splitlines()[-1].startswith(f"{len(expected)} problem(s) between")
    assert ": valid" not in result.stdout


@pytest.mark.parametrize("system", ["salesforce", "hubspot"])
def test_refused_credentials_exit_3(tmp_path: Path, running: RunningEmulators, system: str) -> None:
    config = write_config(
        tmp_path,
        salesforce=running.salesforce.url,
        hubspot=running.hubspot.url,
        ca=running.tls.ca_path,
    )
    env = {"SF_SECRET": SALESFORCE_CLIENT_SECRET, "HS_TOKEN": HUBSPOT_TOKEN}
    env["SF_SECRET" if system == "salesforce" else "HS_TOKEN"] = (
        "wrong-secret-4d1f9e" if system == "salesforce" else "pat-wrong-77c3a1"
    )
    result = validate(config, "--remote", env=env)
    assert result.code == 3, result.output
    (error,) = errors(result)
    assert error.startswith(f"crmsync: {'Salesforce' if system == 'salesforce' else 'HubSpot'}")
    assert "refused" in error


@pytest.mark.parametrize("system", ["salesforce", "hubspot"])
def test_unreachable_system_exits_3(tmp_path: Path, running: RunningEmulators, system: str) -> None:
    # Port 1 on loopback: nothing listens there.
    urls = {"salesforce": running.salesforce.url, "hubspot": running.hubspot.url}
    urls[system] = "https://127.0.0.1:1"
    config = write_config(tmp_path, **urls, ca=running.tls.ca_path, secrets_dir=running.secrets_dir)
    result = validate(config, "--remote")
    assert result.code == 3, result.output
    error = errors(result)[-1]
    assert error.startswith(f"crmsync: {'Salesforce' if system == 'salesforce' else 'HubSpot'}")
    assert "127.0.0.1:1" in error
