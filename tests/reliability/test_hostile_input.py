"""Hostile and broken input: each gets a clear message or a dead letter, and blocks nothing else.

Values that look like query syntax, markup, spreadsheet formulas, scripts from either
direction of the page, or nothing a mail server would take; values too long for a field; null
bytes; every date format either API emits; broken mapping and taxonomy files; a state database
another process holds locked, or that cannot be written. Records go through the real adapters
over the emulators (``fault_support.Bench``); the verbs run as a user runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from connector.model import Side
from connector.systems.hubspot_search import parse_instant
from connector.systems.salesforce_values import parse_datetime
from connector.transforms import TransformContext
from connector.transforms.builtin import date_only, datetime_utc
from tests.postgres import pg_url
from tests.reliability import fault_support
from tests.reliability.fault_support import MAPPINGS, REPO, Bench, lead, mql_contact

bench_emulators = fault_support.bench_emulators
bench = fault_support.bench


def _lead_by_email(bench: Bench, email: str) -> dict[str, Any]:
    [found] = [r for r in bench.leads() if str(r.get("Email", "")).lower() == email.lower()]
    return found


def _contact_by_email(bench: Bench, email: str) -> dict[str, Any]:
    [found] = [c for c in bench.contacts() if str(c.get("email", "")).lower() == email.lower()]
    return found


def _assert_same_on_both_sides(bench: Bench, email: str, values: dict[str, str]) -> None:
    """The lead and the contact of ``email`` hold exactly ``values`` (lead field -> value)."""
    record, contact = _lead_by_email(bench, email), _contact_by_email(bench, email)
    for sf_field, hs_property in fault_support.TEXT_ROWS:
        if sf_field in values:
            assert record[sf_field] == values[sf_field], (sf_field, record[sf_field])
            assert contact[hs_property] == values[sf_field], (hs_property, contact[hs_property])


# -- query syntax in values -----------------------------------------------------------------

QUOTED = "o'hara@example.com"
INJECTING = "x'OR'Email!='y@example.com"
DECOY = "y@example.com"
NEW_FROM_HUBSPOT = "d'arcy+tag@example.com"
HOSTILE_TEXT = {
    "FirstName": "Robert'); DELETE FROM Lead; --",
    "LastName": "SELECT Id FROM Lead WHERE Name LIKE '%' OR Name != ''",
    "Company": "x' OR Name != 'y",
    "Title": 'C:\\new\\table \\" \\\\ \\u0027',
}


def test_quotes_backslashes_and_soql_in_values_sync_both_ways_and_match_only_themselves(
    bench: Bench,
) -> None:
    bystanders = bench.seed_leads([lead(n) for n in range(3)])
    # A lead an injected "OR Email != ..." would match, carrying hostile text to HubSpot.
    bench.seed_leads([lead(10, Email=QUOTED), lead(12, Email=DECOY, **HOSTILE_TEXT)])
    as_contact = {hs: HOSTILE_TEXT[sf] for sf, hs in fault_support.TEXT_ROWS}
    bench.seed_contacts(
        [
            # The same person as lead 10, not linked yet: matched by e-mail to that lead only;
            # the newer HubSpot values flow to Salesforce.
            mql_contact(10, email=QUOTED, **as_contact),
            # New people: Salesforce is searched for their e-mails (SOQL), and must find none.
            mql_contact(11, email=INJECTING, company="Quoted 'n' \\ Co"),
            mql_contact(13, email=NEW_FROM_HUBSPOT, **as_contact),
        ]
    )
    expected = {f"lena{n}@buyer.example" for n in range(3)} | {
        QUOTED,
        DECOY,
        INJECTING,
        NEW_FROM_HUBSPOT,
    }

    result = bench.sync()

    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)  # one lead and one contact per e-mail: no false match
    for email in (QUOTED, DECOY, NEW_FROM_HUBSPOT):
        _assert_same_on_both_sides(bench, email, HOSTILE_TEXT)
    assert _lead_by_email(bench, INJECTING)["Company"] == "Quoted 'n' \\ Co"
    for lead_id in bystanders:  # no match reached them
        [record] = [r for r in bench.leads() if r["Id"] == lead_id]
        assert record["FirstName"].startswith("Lena")
    # The e-mails Salesforce was searched for went into the SOQL quoted and escaped.
    soql = [
        parse_qs(entry["query"]).get("q", [""])[0]
        for entry in bench.sf.requests()
        if entry["path"].rstrip("/").endswith("/query")
    ]
    in_lists = [q for q in soql if "Email IN" in q]
    for value in (INJECTING.lower(), NEW_FROM_HUBSPOT):  # the match key is lower-cased
        escaped = "'" + value.replace("'", "\\'") + "'"
        assert any(escaped in q for q in in_lists), (value, in_lists)
        assert not any(f"'{value}'" in q for q in in_lists)
    bench.assert_settled()


def test_a_partner_id_typed_by_hand_is_not_found_and_blocks_nothing(bench: Bench) -> None:
    """A link field holding text that is no id of the other system names no record.

    Before the fix, one HubSpot contact whose ``salesforce_lead_id`` held such text made
    Salesforce refuse the whole lookup query (INVALID_QUERY_FILTER_OPERATOR, "invalid ID
    field"), and every sync stopped with exit 2 until someone found that contact.
    """
    bench.seed_leads([lead(1, HubSpot_Contact_Id__c="x' OR 1=1 --"), lead(2)])
    bench.seed_contacts(
        [
            mql_contact(3, salesforce_lead_id="x' OR Name != 'y"),
            mql_contact(4, salesforce_lead_id="not an id"),
            mql_contact(5),
        ]
    )
    expected = {f"lena{n}@buyer.example" for n in (1, 2)} | {
        f"hugo{n}@prospect.example" for n in (3, 4, 5)
    }

    result = bench.sync()

    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)  # the typed-in values were replaced by the real links


# -- markup ---------------------------------------------------------------------------------

SCRIPT = '<script>alert("crmsync")</script>'
IMAGE = "<img src=x onerror=alert(1)>&amp;"


def test_markup_in_names_is_synced_as_text_and_escaped_in_the_html_report(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.seed_leads([lead(1, FirstName=SCRIPT, Company=IMAGE), lead(2)])
    bench.sync()
    _assert_same_on_both_sides(
        bench, "lena1@buyer.example", {"FirstName": SCRIPT, "Company": IMAGE}
    )
    # Marketing changes the name in HubSpot only: the pair now drifts, and the report shows
    # the two values side by side.
    contact = _contact_by_email(bench, "lena1@buyer.example")
    edited = '<b onmouseover="alert(2)">Eve</b>'
    bench.hs.post(
        "/update", {"object": "contacts", "id": contact["id"], "properties": {"firstname": edited}}
    )
    page = bench.root / "report.html"

    outcome = bench.run(capsys, "report", "--format", "html", "--output", str(page))

    assert outcome.code == 0, outcome.output
    html = page.read_text(encoding="utf-8")
    for raw in (SCRIPT, IMAGE, edited):
        assert raw not in html
    assert "<script>alert" not in html and "onerror=alert" not in html
    assert "&lt;b onmouseover=" in html, "the drifting name is not in the report at all"


# -- spreadsheets ---------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x")']


def test_crmsync_writes_no_csv_and_reads_formula_like_bulk_cells_as_plain_text(
    bench: Bench,
) -> None:
    """crmsync writes no CSV file, so no formula can reach a spreadsheet from it.

    ``grep -rn "csv" connector/`` outside ``connector/emulators/`` (which serve Bulk API 2.0
    answers) finds only the Bulk 2.0 reader in ``connector/systems/salesforce.py``
    (``csv.DictReader`` over a result page) and ``from_csv`` in ``salesforce_values.py``; the
    report offers table, json and html only. The Bulk CSV is read, never written: what matters
    is that formula-looking cells, quotes, commas and line breaks come through it unchanged.
    """
    hits = []
    for path in sorted((REPO / "connector").rglob("*.py")):
        if "emulators" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "csv" in line.lower():
                hits.append((path.relative_to(REPO).as_posix(), number, line.strip()))
    files = {hit[0] for hit in hits}
    assert files <= {
        "connector/systems/salesforce.py",
        "connector/systems/salesforce_values.py",
    }, hits
    assert not [h for h in hits if re.search(r"writer|DictWriter|to_csv|\.csv\b|\bopen\(", h[2])]
    from connector.report import FORMATS

    assert "csv" not in FORMATS

    bench.write_config(salesforce={"bulk_threshold": 0})  # every full read goes through Bulk
    companies = [*FORMULAS, 'Acme, "The" Co.\nSecond line', "Tab\there", "CR\r\nLF"]
    bench.seed_leads([lead(n, Company=c) for n, c in enumerate(companies)])
    from connector.engine.runner import backfill_pipelines

    config = bench.config()
    with bench.pinned(), bench.simulated_sleep():
        backfill_pipelines(config, config.selected("leads"), since=None, resume=False)

    assert bench.sf.calls("POST", "/jobs/query"), "the backfill did not read through Bulk 2.0"
    for n, company in enumerate(companies):
        assert _contact_by_email(bench, f"lena{n}@buyer.example")["company"] == company
    assert {r["Company"] for r in bench.leads()} == set(companies)


# -- sizes, e-mails, scripts ----------------------------------------------------------------


def test_a_value_too_long_for_salesforce_is_one_dead_letter_and_the_rest_syncs(
    bench: Bench,
) -> None:
    long_title = "Chief " + "Very " * 60 + "Officer"  # Lead.Title holds 128 characters
    bench.seed_leads([lead(n) for n in range(3)])
    bench.seed_contacts([mql_contact(n) for n in range(3)] + [mql_contact(9, jobtitle=long_title)])
    expected = {f"lena{n}@buyer.example" for n in range(3)} | {
        f"hugo{n}@prospect.example" for n in (0, 1, 2, 9)
    }

    result = bench.sync()

    assert result.counts[Side.SALESFORCE].dead_lettered == 1
    [letter] = bench.dead_letters()
    assert letter.error_code == "STRING_TOO_LONG"
    assert "max length=128" in letter.error_message  # Salesforce's own message
    bench.assert_no_loss(expected, refused={"hugo9@prospect.example": Side.SALESFORCE})


def test_long_addresses_never_make_a_lookup_longer_than_salesforce_takes(bench: Bench) -> None:
    """Salesforce refuses a request whose URI and headers pass 16,384 bytes (414 URI Too Long),
    and a SOQL query travels in the URI. The emulator does not enforce that limit, so the
    request log is checked: before the fix, 200 e-mails of 80 characters (the longest
    ``Lead.Email`` holds) went into one 19 KB query, which would fail every sync."""
    emails = [f"{'a' * 42}.{n:04d}@{'subsidiary-' * 2}example.co" for n in range(200)]
    assert {len(e) for e in emails} == {80}
    bench.seed_contacts([mql_contact(n, email=e) for n, e in enumerate(emails)])

    result = bench.sync()

    assert result.dead_lettered == 0
    assert len(bench.leads()) == 200
    lookups = [e for e in bench.sf.requests() if "Email+IN" in e["query"]]
    assert len(lookups) >= 2  # the values were split over several queries
    base = len(bench.running.salesforce.url)
    # Room is left for the headers (the bearer token, the SDK's own) within 16,384 bytes.
    assert max(base + len(e["path"]) + 1 + len(e["query"]) for e in lookups) < 14_000


def test_invalid_and_internationalised_emails_are_written_or_refused_by_each_system(
    bench: Bench,
) -> None:
    """Whatever each system decides about an address, crmsync carries it or dead-letters it
    with the system's own message; nothing else is held up."""
    from_hubspot = ["josé@exämple.com", "用户@例子.广告", "bad@", "two@@at.example"]
    from_salesforce = ["zoë@exämple.com", "测试@例子.公司", "no-at-sign.example"]
    bench.seed_contacts(
        [mql_contact(n) for n in range(2)]
        + [mql_contact(20 + i, email=e) for i, e in enumerate(from_hubspot)]
    )
    bench.seed_leads(
        [lead(n) for n in range(2)] + [lead(30 + i, Email=e) for i, e in enumerate(from_salesforce)]
    )

    bench.sync()

    letters = {}
    for letter in bench.dead_letters():
        letters[str(letter.payload["record"].get("Email") or letter.payload["record"]["email"])] = (
            letter
        )
    refused: dict[str, Side] = {}
    for email, target in [(e, Side.SALESFORCE) for e in from_hubspot] + [
        (e, Side.HUBSPOT) for e in from_salesforce
    ]:
        found = [
            r
            for r in (bench.leads() if target is Side.SALESFORCE else bench.contacts())
            if str(r.get("Email") or r.get("email")).lower() == email.lower()
        ]
        if email in letters:
            assert letters[email].side is target
            # The system names what it refused (HubSpot's message nests JSON, which may
            # escape non-ASCII characters).
            message = letters[email].error_message
            assert email in message or json.dumps(email)[1:-1] in message, message
            refused[email] = target
        else:
            assert len(found) == 1, f"{email} neither written to {target.value} nor refused"
    # The emulators, like the real services, take no non-ASCII top-level domain, and
    # Salesforce takes no non-ASCII local part.
    assert {"用户@例子.广告", "测试@例子.公司", "josé@exämple.com"} <= set(refused)
    plain = {f"lena{n}@buyer.example" for n in range(2)} | {
        f"hugo{n}@prospect.example" for n in range(2)
    }
    bench.assert_no_loss(plain | set(from_hubspot) | set(from_salesforce), refused=refused)


def test_an_address_is_found_although_a_different_one_folds_to_the_same_text(
    bench: Bench,
) -> None:
    """ "straße@…" and "strasse@…" are different addresses that ``str.casefold`` makes equal.

    A lead crmsync could not hand over (its status maps to no stage) waits unlinked in
    Salesforce; then HubSpot gets a contact with its address and one with the folded twin.
    Looking Salesforce up for both in one query must find the lead: before the fix, the
    lookup sent only one of the two (deduplicated by casefold) and a second lead with the same
    e-mail was created.
    """
    [held] = bench.seed_leads([lead(1, Email="strasse@example.de", Status="Pigeon Post")])
    bench.sync()
    bench.seed_contacts(
        [mql_contact(2, email="strasse@example.de"), mql_contact(3, email="straße@example.de")]
    )

    bench.sync()

    assert [r["Id"] for r in bench.leads() if r["Email"] == "strasse@example.de"] == [held]
    codes = sorted(letter.error_code for letter in bench.dead_letters())
    # The lead, for its status again; the twin, which Salesforce refuses as an address.
    assert codes == ["INVALID_EMAIL_ADDRESS", "UNMAPPED_VALUE"]


EMOJI_RTL = {
    "FirstName": "Zoë 😀 Zoe\u0301",
    "LastName": "مرحبا بالعالم",
    "Company": 'שלום בע"מ \u202eevil\u202c',
    "Title": "👩🏽\u200d💻 lead \u200f",
}


def test_emoji_and_right_to_left_text_round_trip_unchanged(bench: Bench) -> None:
    bench.seed_leads([lead(1, **EMOJI_RTL)])
    bench.seed_contacts(
        [mql_contact(2, **{hs: EMOJI_RTL[sf] for sf, hs in fault_support.TEXT_ROWS})]
    )

    bench.sync()

    for email in ("lena1@buyer.example", "hugo2@prospect.example"):
        _assert_same_on_both_sides(bench, email, EMOJI_RTL)
    bench.assert_settled()  # no normalisation difference makes the pair ping-pong


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh state database on each dialect (PostgreSQL needs ``CRMSYNC_TEST_PG_URL``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'crmsync.db'}"
        return
    base = pg_url()
    schema = f"crmsync_hostile_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_null_bytes_are_carried_or_dead_lettered_never_a_crash(
    bench: Bench, state_url: str
) -> None:
    """Both emulators store a NUL inside a text value, so crmsync must carry it through.

    On PostgreSQL this fails today (state store): snapshots and dead-letter payloads are JSONB,
    which cannot hold ``\\u0000`` ("unsupported Unicode escape sequence"), so the commit of the
    whole chunk fails with a raw DataError and every record in it is blocked, run after run.
    """
    bench.write_config(state_url=state_url)
    bench.seed_leads([lead(1, FirstName="Nul\x00Byte"), lead(2), lead(3)])
    bench.seed_contacts([mql_contact(1, company="Zero\x00Co"), mql_contact(2)])
    expected = {f"lena{n}@buyer.example" for n in (1, 2, 3)} | {
        f"hugo{n}@prospect.example" for n in (1, 2)
    }

    bench.sync()

    assert _contact_by_email(bench, "lena1@buyer.example")["firstname"] == "Nul\x00Byte"
    assert _lead_by_email(bench, "hugo1@prospect.example")["Company"] == "Zero\x00Co"
    contacts = {c["email"] for c in bench.contacts()}
    assert expected <= contacts | {r["Email"] for r in bench.leads()}
    assert {f"lena{n}@buyer.example" for n in (2, 3)} <= contacts
    bench.assert_settled()


# -- dates ----------------------------------------------------------------------------------

INSTANT = datetime(2024, 1, 5, 10, 11, 12, 345_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1704449472345", INSTANT),  # HubSpot: epoch milliseconds
        ("2024-01-05T10:11:12.345Z", INSTANT),  # HubSpot v3: ISO with milliseconds
        ("2024-01-05T10:11:12Z", INSTANT.replace(microsecond=0)),  # without
        ("2024-01-05T10:11:12.345+00:00", INSTANT),
        ("2024-01-05T11:11:12.345+01:00", INSTANT),  # an offset
        ("2024-01-05T05:11:12.345-05:00", INSTANT),
        ("2024-01-05", datetime(2024, 1, 5, tzinfo=UTC)),  # a date property
    ],
)
def test_every_instant_hubspot_emits_is_read_as_the_same_moment(
    text: str, expected: datetime
) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05T10:11:12.345+0000", INSTANT),  # REST
        ("2024-01-05T10:11:12.000+0000", INSTANT.replace(microsecond=0)),
        ("2024-01-05T10:11:12.345Z", INSTANT),  # Bulk 2.0
        ("2024-01-05T11:11:12.345+0100", INSTANT),  # an org answering with its offset
        ("2024-01-05", datetime(2024, 1, 5, tzinfo=UTC)),  # a date field
    ],
)
def test_every_instant_salesforce_emits_is_read_as_the_same_moment(
    text: str, expected: datetime
) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1704449472345",
        1704449472345,
        "2024-01-05T10:11:12.345Z",
        "2024-01-05T10:11:12.345+0000",
        "2024-01-05T11:11:12.345+01:00",
        INSTANT,
    ],
)
def test_date_time_transforms_read_every_format_to_one_instant(value: object) -> None:
    ctx = TransformContext()
    assert datetime_utc(Side.HUBSPOT, UTC)(value, ctx) == "2024-01-05T10:11:12.345Z"
    assert datetime_utc(Side.SALESFORCE, UTC)(value, ctx) == "2024-01-05T10:11:12.345+0000"


@pytest.mark.parametrize(
    "value", ["2024-01-05", "1704412800000", 1704412800000, "2024-01-05T00:00:00.000Z"]
)
def test_date_transforms_read_every_format_to_one_day(value: object) -> None:
    assert date_only(Side.SALESFORCE)(value, TransformContext()) == date(2024, 1, 5).isoformat()


# -- broken files ---------------------------------------------------------------------------

Edit = Callable[[str], str]


def _mapping_copy(bench: Bench, name: str, edit: Edit) -> Path:
    folder = bench.root / "mappings"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(MAPPINGS, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, f"the edit did not apply to {name}"
    path.write_text(changed, encoding="utf-8")
    bench.write_config(mappings=folder)
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.mark.parametrize(
    ("name", "edit", "needle", "expected"),
    [
        (
            "leads.toml",
            lambda t: t.replace('transforms = ["trim"]', 'transforms = ["trimm"]', 1),
            '"trimm"',
            "transforms: unknown transform 'trimm'",
        ),
        (
            "leads.toml",
            lambda t: t.replace('rule = "two_way"', 'rule = "two_way"\nrulez = 1', 1),
            "rulez",
            "rulez: unknown key",
        ),
        (
            "leads.toml",
            lambda t: t.replace('hubspot = "email"\nnormalize', 'hubspot = "email\nnormalize', 1),
            'hubspot = "email',
            "TOML syntax error",
        ),
        (
            "taxonomy.toml",
            lambda t: t.replace("version = 1", 'version = "one"', 1),
            'version = "one"',
            "version: Input should be a valid integer",
        ),
        (
            "lead_definition.toml",
            lambda t: t.replace('property = "hubspotscore"', "property = 5", 1),
            "property = 5",
            "[engagement] property",
        ),
    ],
)
def test_a_broken_mapping_or_taxonomy_file_is_exit_2_naming_file_line_and_key(
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    name: str,
    edit: Edit,
    needle: str,
    expected: str,
) -> None:
    path = _mapping_copy(bench, name, edit)
    where = f"{path}:{_line_of(path, needle)}:"

    for verb in (("validate",), ("sync",)):
        outcome = bench.run(capsys, *verb)
        assert outcome.code == 2, outcome.output
        assert "Traceback" not in outcome.output
        assert where in outcome.stderr, outcome.stderr
        assert expected in outcome.stderr, outcome.stderr
    # Refused before anything was asked of either system.
    assert bench.sf.requests() == [] and bench.hs.requests() == []


def test_an_unknown_key_in_a_taxonomy_file_points_at_that_file_not_the_config(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fails today (``connector/tomlsource.py``): every unknown key, in whichever file, is
    answered "see config.example.toml for the keys there are", which sends an admin editing
    the taxonomy to the wrong file."""
    path = _mapping_copy(bench, "taxonomy.toml", lambda t: t + "\n[bogus]\nx = 1\n")

    outcome = bench.run(capsys, "validate")

    assert outcome.code == 2
    assert f"{path}:{_line_of(path, '[bogus]')}: bogus: unknown key" in outcome.stderr
    assert "config.example.toml" not in outcome.stderr


# -- the state database ---------------------------------------------------------------------


def test_a_state_database_locked_by_another_process_is_exit_3_and_readers_go_on(
    bench: Bench,
) -> None:
    """The busy timeout is ``connector.state.dialect.DEFAULT_BUSY_TIMEOUT_S`` (15 s): there is
    no setting to shorten it for a test (``StateStore.open(busy_timeout_s=)`` is not reachable
    from the config), so this test waits it out once."""
    bench.seed_leads([lead(1)])
    bench.sync()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(bench.db_path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        bench.seed_leads([lead(2)])
        started = time.monotonic()

        stopped = bench.cli("sync")
        waited = time.monotonic() - started

        # A reader is not blocked by the writer that holds the lock.
        status = bench.cli("status")
    finally:
        holder.communicate("\n", timeout=10)

    assert stopped.code == 3, stopped.output
    assert "Traceback" not in stopped.output
    assert f"state database {bench.db_path} is locked by another process" in stopped.stderr
    assert waited >= 10
    assert status.code == 0 and "leads" in status.stdout
    assert len(bench.contacts()) == 1  # nothing was written while the state could not be
    bench.sync()
    assert len(bench.contacts()) == 2


def test_a_read_only_state_database_is_a_clear_exit_2(bench: Bench) -> None:
    """chmod 444 on the SQLite file; as root (which ignores file modes) crmsync runs as
    ``nobody`` through ``setpriv``, with everything it needs readable to that user."""
    bench.seed_leads([lead(1)])
    bench.sync()
    shared = Path(tempfile.mkdtemp(prefix="crmsync-ro-"))
    try:
        os.chmod(shared, 0o755)
        state = shared / "state"
        state.mkdir()
        db = state / "crmsync.db"
        with sqlite3.connect(bench.db_path) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
        ca = shared / "ca.pem"
        shutil.copy(bench.running.tls.ca_path, ca)
        bench.config_path = shared / "crmsync.toml"
        bench.write_config(
            state_url=f"sqlite:///{db}",
            salesforce={"ca_bundle": str(ca)},
            hubspot={"ca_bundle": str(ca)},
            secrets={"client_secret": "SF_SECRET", "access_token": "HS_TOKEN"},
        )
        for path in (ca, bench.config_path):
            os.chmod(path, 0o644)
        prefix: list[str] = []
        if os.geteuid() == 0:
            os.chown(state, 65534, 65534)
            os.chown(db, 65534, 65534)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        os.chmod(db, 0o444)
        env = {"SF_SECRET": "emulator-client-secret", "HS_TOKEN": "emulator-hubspot-token"}

        outcome = _cli_as(bench, prefix, env, "sync")
        status = _cli_as(bench, prefix, env, "status")
    finally:
        shutil.rmtree(shared, ignore_errors=True)

    assert outcome.code == 2, outcome.output
    assert "Traceback" not in outcome.output
    assert f"{db}: the state database is read-only" in outcome.stderr
    assert "check its permissions" in outcome.stderr
    assert status.code == 0, status.output  # reading it still works


def _cli_as(
    bench: Bench, prefix: list[str], env: dict[str, str], *args: str
) -> fault_support.Outcome:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
    environ.update(env)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "connector", *args, "--config", str(bench.config_path)],
        cwd=REPO,
        env={**environ, "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return fault_support.Outcome(done.returncode, done.stdout, done.stderr)
