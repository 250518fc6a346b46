"""A smoke check at scale: 100,000 leads, a 2,000-record page, a 200-record collection.

It prints timings for a human to read; it asserts only correctness (benchmarks own speed).
"""

from __future__ import annotations

import time
from typing import Any

from sf_support import Org, lead
from simple_salesforce import Salesforce

from connector.emulators.salesforce import SalesforceService
from connector.emulators.salesforce.admin import seed

LEADS = 100_000


def test_large_org_pages_and_collections_stay_correct(org: Org, sf: Salesforce) -> None:
    service = org.server.service
    assert isinstance(service, SalesforceService)
    started = time.perf_counter()
    seed(
        service.org,
        {
            "objects": {
                "Lead": [
                    lead(LastName=f"L{n:06d}", Email=f"l{n}@example.com") for n in range(LEADS)
                ]
            }
        },
    )
    seeded = time.perf_counter() - started

    started = time.perf_counter()
    first = sf.query("SELECT Id, Email, SystemModstamp FROM Lead")
    first_page = time.perf_counter() - started
    started = time.perf_counter()
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    next_page = time.perf_counter() - started
    assert first["totalSize"] == LEADS
    assert len(first["records"]) == len(second["records"]) == 2000
    assert {r["Id"] for r in first["records"]}.isdisjoint(r["Id"] for r in second["records"])

    records: list[dict[str, Any]] = [
        {"attributes": {"type": "Lead"}, "id": r["Id"], "Title": "VP"}
        for r in second["records"][:200]
    ]
    started = time.perf_counter()
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": records})
    collection = time.perf_counter() - started
    assert all(r["success"] for r in results)

    started = time.perf_counter()
    found = sf.query("SELECT Id FROM Lead WHERE Email = 'l99999@example.com'")
    selective = time.perf_counter() - started
    assert found["totalSize"] == 1
    print(
        f"\nseed {LEADS}: {seeded:.2f}s; first page (full scan): {first_page * 1000:.0f} ms; "
        f"next page: {next_page * 1000:.0f} ms; 200-record collection: {collection * 1000:.0f} ms; "
        f"selective query: {selective * 1000:.0f} ms"
    )
