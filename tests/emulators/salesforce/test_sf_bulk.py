"""Bulk API 2.0 query jobs, driven by simple-salesforce's bulk2 client."""

from __future__ import annotations

import csv
import io

import requests
from sf_support import VERSION, Org, lead, reference_json
from simple_salesforce import Salesforce


def _rows(pages: list[str]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for page in pages:
        rows.extend(csv.DictReader(io.StringIO(page)))
    return rows


def test_query_pages_through_every_record(org: Org, sf: Salesforce) -> None:
    org.seed({"Lead": [lead(LastName=f"L{n:03d}", Lead_Score__c=n) for n in range(250)]})
    pages = list(
        sf.bulk2.Lead.query(
            "SELECT Id, LastName, Lead_Score__c, IsConverted, CreatedDate, Owner.Username "
            "FROM Lead",
            max_records=100,
            wait=0.01,
        )
    )
    assert len(pages) == 3
    rows = _rows(pages)
    assert len(rows) == 250
    assert list(rows[0]) == [
        "Id",
        "LastName",
        "Lead_Score__c",
        "IsConverted",
        "CreatedDate",
        "Owner.Username",
    ]
    assert rows[0]["IsConverted"] == "false"
    assert rows[0]["Owner.Username"] == "emulator@crmsync.test"
    assert rows[0]["CreatedDate"].endswith(".000Z")
    assert pages[0].startswith('"Id","LastName"')


def test_query_all_includes_deleted(org: Org, sf: Salesforce) -> None:
    ids = org.seed({"Lead": [lead(), lead()]})["Lead"]
    sf.Lead.delete(ids[0])
    live = _rows(list(sf.bulk2.Lead.query("SELECT Id FROM Lead", wait=0.01)))
    everything = _rows(list(sf.bulk2.Lead.query_all("SELECT Id FROM Lead", wait=0.01)))
    assert [r["Id"] for r in live] == [ids[1]]
    assert sorted(r["Id"] for r in everything) == sorted(ids)


def test_job_moves_through_the_real_states_with_the_recorded_shape(org: Org) -> None:
    recorded = reference_json("fixtures/airbyte/job_response.json")
    headers = {"Authorization": f"Bearer {org.token()}"}
    jobs = f"{org.api}/jobs/query"
    created = org.http.post(
        jobs, json={"operation": "query", "query": "SELECT Id FROM Lead"}, headers=headers
    )
    assert created.status_code == 200
    job = created.json()
    assert list(job) == list(recorded)
    assert (job["state"], job["object"], job["apiVersion"]) == ("UploadComplete", "Lead", 59.0)
    assert job["id"].startswith("750")
    early = org.http.get(f"{jobs}/{job['id']}/results", headers=headers)
    assert early.status_code == 400
    states = [org.http.get(f"{jobs}/{job['id']}", headers=headers).json()["state"] for _ in "ab"]
    assert states == ["InProgress", "JobComplete"]
    results = org.http.get(f"{jobs}/{job['id']}/results", headers=headers)
    assert results.headers["Sforce-Locator"] == "null"
    assert results.headers["Sforce-NumberOfRecords"] == "0"
    listed = org.http.get(jobs, headers=headers).json()
    assert [j["id"] for j in listed["records"]] == [job["id"]]
    assert org.http.delete(f"{jobs}/{job['id']}", headers=headers).status_code == 204
    assert org.http.get(f"{jobs}/{job['id']}", headers=headers).status_code == 404


def test_abort_and_bad_query(org: Org) -> None:
    headers = {"Authorization": f"Bearer {org.token()}"}
    jobs = f"{org.api}/jobs/query"
    job = org.http.post(
        jobs, json={"operation": "query", "query": "SELECT Id FROM Lead"}, headers=headers
    ).json()
    aborted = org.http.patch(f"{jobs}/{job['id']}", json={"state": "Aborted"}, headers=headers)
    assert aborted.json()["state"] == "Aborted"
    bad = requests.post(
        jobs,
        json={"operation": "query", "query": "SELECT Nope FROM Lead"},
        headers=headers,
        verify=org.http.verify,
    )
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"
    assert f"/services/data/v{VERSION}" in jobs
