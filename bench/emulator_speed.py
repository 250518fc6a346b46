"""How fast the emulators answer: they must never be the bottleneck of a benchmark.

Issue 3's goal: 100,000 records per object held in memory; a 2,000-record query page or a
100/200-record batch served in well under 50 ms. Run:

    .venv/bin/python bench/emulator_speed.py --records 100000
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from simple_salesforce.api import Salesforce

from connector.emulators.hubspot import HubSpotService
from connector.emulators.salesforce import SalesforceService
from connector.emulators.server import EmulatorServer, make_tls
from connector.systems.http import PinnedSession, Transport


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    n = args.records
    tls = make_tls(Path(tempfile.mkdtemp()) / "tls")
    sf_service, hs_service = SalesforceService(), HubSpotService()
    with EmulatorServer(sf_service, tls) as sf, EmulatorServer(hs_service, tls) as hs:
        trust = ssl.create_default_context(cafile=str(tls.ca_path))
        client = httpx.Client(verify=trust, timeout=600)
        leads = [
            {
                "LastName": f"L{i}",
                "Company": "C",
                "Email": f"l{i}@example.com",
                "Status": "Open - Not Contacted",
            }
            for i in range(n)
        ]
        started = time.perf_counter()
        client.post(f"{sf.url}/__emulator__/seed", json={"objects": {"Lead": leads}})
        contacts = [
            {"properties": {"email": f"c{i}@example.com", "firstname": "F"}} for i in range(n)
        ]
        client.post(f"{hs.url}/__emulator__/seed", json={"objects": {"contacts": contacts}})
        print(f"seeded {n} leads and {n} contacts in {time.perf_counter() - started:.1f} s")

        token = client.post(
            f"{sf.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "emulator-client-id",
                "client_secret": "emulator-client-secret",
            },
        ).json()["access_token"]
        session = PinnedSession(Transport(tls.ca_path, 60))
        sdk = Salesforce(instance_url=sf.url, session_id=token, version="59.0", session=session)
        soql = "SELECT Id, Email, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id"
        first = sdk.query(soql)
        print(
            f"Salesforce first query page (2,000 of {n}): {timed(lambda: sdk.query(soql)):.1f} ms"
        )
        if not first["done"]:
            locator = first["nextRecordsUrl"]

            def next_page() -> None:
                sdk.query_more(locator, identifier_is_url=True)

            print(f"Salesforce next page (2,000): {timed(next_page):.1f} ms")
        batch = [
            {"attributes": {"type": "Lead"}, "id": r["Id"], "Title": "X"}
            for r in first["records"][:200]
        ]
        update = {"allOrNone": False, "records": batch}

        def collection() -> None:
            sdk.restful("composite/sobjects", method="PATCH", json=update)

        print(f"Salesforce 200-record collection update: {timed(collection):.1f} ms")

        headers = {"Authorization": "Bearer emulator-hubspot-token"}
        stored = client.get(f"{hs.url}/__emulator__/records/contacts").json()
        ids = [c["id"] for c in stored[:100]]
        body = {"inputs": [{"id": i, "properties": {"firstname": "G"}} for i in ids]}

        def batch_update() -> None:
            url = f"{hs.url}/crm/v3/objects/contacts/batch/update"
            client.post(url, json=body, headers=headers)

        print(f"HubSpot 100-input batch update: {timed(batch_update):.1f} ms")
        search = {
            "filterGroups": [
                {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"}]}
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["email"],
            "limit": 200,
            "after": "0",
        }

        def search_page() -> None:
            url = f"{hs.url}/crm/v3/objects/contacts/search"
            client.post(url, json=search, headers=headers)

        print(f"HubSpot 200-result search page: {timed(search_page, repeat=3):.1f} ms")

        incremental = soql.replace(
            "ORDER BY", "WHERE SystemModstamp >= 2000-01-01T00:00:00Z ORDER BY"
        )
        print(
            f"Salesforce incremental first page (2,000 of {n}): "
            f"{timed(lambda: sdk.query(incremental)):.1f} ms"
        )


if __name__ == "__main__":
    main()
