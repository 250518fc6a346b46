"""The admin's daily verbs: status, errors list/show/retry/drop, with their bad inputs."""

from __future__ import annotations

import json

from tests.e2e.cli import crmsync
from tests.e2e.conftest import Site


def run(site: Site, *args: str):  # type: ignore[no-untyped-def]
    return crmsync(*args, "--config", str(site.config_path), cwd=site.config_path.parent)


def seed(site: Site) -> list[str]:
    answer = site.sf_admin(
        "seed",
        {
            "objects": {
                "Lead": [
                    {
                        "LastName": "Good",
                        "Company": "Acme",
                        "Email": "good@example.com",
                        "Status": "Working - Contacted",
                    },
                    {
                        "LastName": "Legacy",
                        "Company": "Acme",
                        "Email": "legacy@example.com",
                        "Status": "Contacted - Old Process",
                    },
                    {
                        "LastName": "Hopeless",
                        "Company": "Acme",
                        "Email": "hopeless@example.com",
                        "Status": "Closed - Not Converted",
                    },
                ]
            }
        },
    )
    ids: list[str] = answer["ids"]["Lead"]
    return ids


def test_status_before_any_run(site: Site) -> None:
    result = run(site, "status", "--json")
    assert result.code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["pipeline"] for r in rows] == ["leads", "contacts", "opportunities"]
    assert all(r["outcome"] == "never run" and r["dead_letters"] == 0 for r in rows)


def test_dead_letters_listed_retried_after_a_fix_and_dropped(site: Site) -> None:
    good, legacy, hopeless = seed(site)
    synced = run(site, "sync", "--pipeline", "leads")
    assert synced.code == 1, synced.output  # finished, with dead letters
    assert "dead-lettered 2" in synced.stdout

    listed = run(site, "errors", "list")
    assert listed.code == 0
    assert "Contacted - Old Process" in listed.stdout
    assert "disposition reason" in listed.stdout

    status = json.loads(run(site, "status", "--json").stdout)
    leads = next(r for r in status if r["pipeline"] == "leads")
    assert leads["outcome"] == "dead_letters" and leads["dead_letters"] == 2
    assert leads["counts"]["hubspot"]["created"] == 1

    # The admin finds the two letters' ids and fixes the legacy lead's status in Salesforce.
    from connector.state import StateStore

    with StateStore.open(f"sqlite:///{site.state_path}") as store, store.transaction() as tx:
        letters = {letter.record_id: letter.id for letter in tx.list_dead_letters("leads")}
    shown = run(site, "errors", "show", str(letters[legacy]))
    assert shown.code == 0
    detail = json.loads(shown.stdout)
    assert detail["error_code"] == "UNMAPPED_VALUE"
    assert "'Contacted - Old Process' maps to no stage" in detail["error_message"]

    site.sf_admin("update", {"object": "Lead", "id": legacy, "fields": {"Status": "Qualified"}})
    retried = run(site, "errors", "retry", str(letters[legacy]))
    assert retried.code == 0, retried.output
    contacts = site.records("hubspot", "contacts")
    by_email = {c["properties"]["email"]: c["properties"] for c in contacts}
    assert by_email["legacy@example.com"]["lifecyclestage"] == "salesqualifiedlead"

    # Retrying the unfixed one keeps it open, one more attempt counted.
    again = run(site, "errors", "retry")
    assert again.code == 1
    with StateStore.open(f"sqlite:///{site.state_path}") as store, store.transaction() as tx:
        still_open = tx.list_dead_letters("leads")
    assert [letter.record_id for letter in still_open] == [hopeless]
    assert still_open[0].attempts == 2

    dropped = run(site, "errors", "drop", str(letters[hopeless]))
    assert dropped.code == 0
    assert "No dead letters." in run(site, "errors", "list").stdout
    history = run(site, "errors", "list", "--all").stdout
    assert "dropped" in history and "retried" in history
    assert good not in history


def test_errors_bad_inputs(site: Site) -> None:
    missing = run(site, "errors", "show", "999")
    assert missing.code == 2
    assert "no dead letter with id 999" in missing.stderr
    drop = run(site, "errors", "drop", "999")
    assert drop.code == 2
    unknown = run(site, "errors", "list", "--pipeline", "nope")
    assert unknown.code == 2
    assert "no pipeline named 'nope'" in unknown.stderr
    for result in (missing, drop, unknown):
        assert "Traceback" not in result.output
