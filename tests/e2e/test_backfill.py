"""`crmsync backfill`: everything reconciled, killed midway and resumed without redoing work."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.cli import crmsync
from tests.e2e.conftest import Site

CONTACTS_PATH = "/crm/v3/objects/contacts"


def seed_leads(site: Site, count: int, start: int = 0) -> None:
    leads = [
        {
            "FirstName": f"First{i}",
            "LastName": f"Last{i}",
            "Company": f"Company {i % 97}",
            "Email": f"lead{i}@example.com",
            "Status": "Open - Not Contacted",
        }
        for i in range(start, start + count)
    ]
    site.sf_admin("seed", {"objects": {"Lead": leads}})


def emails(site: Site) -> collections.Counter[str]:
    return collections.Counter(
        (c["properties"].get("email") or "").lower() for c in site.records("hubspot", "contacts")
    )


def write_calls(site: Site) -> int:
    return sum(
        1
        for entry in site.hs_admin("requests")
        if entry["method"] in ("POST", "PATCH") and "/batch/upsert" in entry["path"]
    )


def test_backfill_reconciles_every_record_once(site: Site) -> None:
    seed_leads(site, 700)
    # Two of them already exist in HubSpot, one with its e-mail in another case.
    site.hs_admin(
        "seed",
        {
            "objects": {
                "contacts": [
                    {"properties": {"email": "LEAD3@Example.com", "firstname": "Old"}},
                    {"properties": {"email": "lead4@example.com", "lifecyclestage": "lead"}},
                ]
            }
        },
    )
    result = crmsync(
        "backfill",
        "--pipeline",
        "leads",
        "--config",
        str(site.config_path),
        cwd=site.config_path.parent,
    )
    assert result.code == 0, result.output
    assert "leads salesforce Lead: 700 records" in result.stderr
    counted = emails(site)
    assert len(counted) == 700
    assert set(counted.values()) == {1}
    leads = site.records("salesforce", "Lead")
    assert all(lead["HubSpot_Contact_Id__c"] for lead in leads)
    # HubSpot is read before Salesforce: its two contacts fit one list page, and the 698
    # contacts the backfill created are not listed again afterwards (each page would be a call
    # under HubSpot's rate limit, spent on echoes).
    list_pages = [
        e
        for e in site.hs_admin("requests")
        if e["method"] == "GET" and e["path"].split("?")[0].rstrip("/") == CONTACTS_PATH
    ]
    assert len(list_pages) == 1
    # A second backfill finds everything in agreement and writes nothing.
    site.hs_admin("requests/clear", {})
    site.sf_admin("requests/clear", {})
    again = crmsync(
        "backfill",
        "--pipeline",
        "leads",
        "--config",
        str(site.config_path),
        cwd=site.config_path.parent,
    )
    assert again.code == 0, again.output
    assert write_calls(site) == 0
    sf_writes = [
        e
        for e in site.sf_admin("requests")
        if e["method"] in ("POST", "PATCH") and "composite/sobjects" in e["path"]
    ]
    assert sf_writes == []


def test_backfill_killed_midway_resumes_without_redoing_committed_work(site: Site) -> None:
    total = 4000
    seed_leads(site, total)
    site.hs_admin("settings", {"burst_limit": 100000})
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector",
            "backfill",
            "--pipeline",
            "leads",
            "--config",
            str(site.config_path),
        ],
        cwd=site.config_path.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "Lead: 2000 records" in line or not line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    written_before = len(emails(site))
    assert 0 < written_before < total, "the kill should land midway"

    site.hs_admin("requests/clear", {})
    resumed = crmsync(
        "backfill",
        "--pipeline",
        "leads",
        "--resume",
        "--config",
        str(site.config_path),
        cwd=site.config_path.parent,
    )
    assert resumed.code == 0, resumed.output
    counted = emails(site)
    assert len(counted) == total
    assert set(counted.values()) == {1}, "no record may be created twice"
    # Committed work is not redone: the resume upserts only what was missing (plus at most
    # the batch that was in flight when the process died).
    remaining = total - written_before
    assert write_calls(site) <= (remaining + 200) // 100 + 2


def test_resume_with_nothing_to_resume_runs_a_full_backfill(site: Site) -> None:
    seed_leads(site, 50)
    result = crmsync(
        "backfill", "--resume", "--config", str(site.config_path), cwd=site.config_path.parent
    )
    assert result.code in (0, 1), result.output
    assert len(emails(site)) == 50


def test_bad_backfill_arguments(site: Site, tmp_path: Path) -> None:
    bad_date = crmsync(
        "backfill", "--since", "last tuesday", "--config", str(site.config_path), cwd=tmp_path
    )
    assert bad_date.code == 2
    assert "'last tuesday' is not a date; expected YYYY-MM-DD" in bad_date.stderr
    unknown = crmsync(
        "backfill", "--pipeline", "nope", "--config", str(site.config_path), cwd=tmp_path
    )
    assert unknown.code == 2
    assert "no pipeline named 'nope'" in unknown.stderr
    assert "Traceback" not in bad_date.output + unknown.output
