"""SOQL over REST: paging through nextRecordsUrl, batch sizes, queryAll and query errors."""

from __future__ import annotations

import pytest
import requests
from sf_support import VERSION, Org, lead, nango_response, reference_json
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def _seed_leads(org: Org, count: int) -> list[str]:
    return org.seed({"Lead": [lead(LastName=f"L{n:05d}") for n in range(count)]})["Lead"]


def test_pages_of_2000_with_a_real_shaped_next_records_url(org: Org, sf: Salesforce) -> None:
    recorded, _ = nango_response("accounts")
    _seed_leads(org, 2086)
    first = sf.query("SELECT Id, Name FROM Lead")
    assert list(first) == list(recorded) == ["totalSize", "done", "nextRecordsUrl", "records"]
    assert (first["totalSize"], first["done"], len(first["records"])) == (2086, False, 2000)
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{VERSION}/query/0r8")
    assert first["nextRecordsUrl"].endswith("-2000")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["totalSize"], second["done"], len(second["records"])) == (2086, True, 86)
    assert "nextRecordsUrl" not in second
    seen = {r["Id"] for r in first["records"] + second["records"]}
    assert len(seen) == 2086


def test_batch_size_header_sets_the_page_size_within_bounds(org: Org, sf: Salesforce) -> None:
    _seed_leads(org, 450)
    for asked, expected in (("batchSize=300", 300), ("batchSize=50", 200), ("", 450)):
        page = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": asked})
        assert len(page["records"]) == expected
    every = sf.query_all("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    assert every["totalSize"] == 450


def test_records_count_is_logged_per_page(org: Org, sf: Salesforce) -> None:
    _seed_leads(org, 250)
    org.admin("requests/clear")
    sf.query_all("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    logged = [e["records"] for e in org.admin("requests", method="GET")]
    assert logged == [200, 50]


def test_query_all_includes_deleted_records(org: Org, sf: Salesforce) -> None:
    recorded, _ = nango_response("query-all-records")
    ids = _seed_leads(org, 3)
    sf.Lead.delete(ids[0])
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 2
    everything = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    assert everything["totalSize"] == 3
    assert [r["IsDeleted"] for r in everything["records"]].count(True) == 1
    assert set(everything) == set(recorded) - {"nextRecordsUrl"} | {"totalSize"}


def test_count_query_answers_total_size_only(org: Org, sf: Salesforce) -> None:
    _seed_leads(org, 17)
    assert sf.query("SELECT COUNT() FROM Lead") == {"totalSize": 17, "done": True, "records": []}


def test_unknown_field_is_a_400_invalid_field(sf: Salesforce) -> None:
    recorded = reference_json("fixtures/restforce/query_error_response.json")
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT Nope FROM Lead")
    assert [set(e) for e in refused.value.content] == [set(recorded[0])]
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_unknown_object_is_invalid_type(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT Id FROM XYZZY")
    assert refused.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_bad_syntax_is_malformed_query(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELEKT Id FROM Lead")
    assert refused.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_unknown_locator_is_refused(org: Org) -> None:
    response = requests.get(
        f"{org.api}/query/0r8Em0000000000000-2000",
        headers={"Authorization": f"Bearer {org.token()}"},
        verify=org.http.verify,
    )
    assert response.status_code == 400
    assert response.json() == [
        {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
    ]


def test_relationship_fields_follow_lookups(sf: Salesforce) -> None:
    sf.Lead.create(lead())
    record = sf.query("SELECT Owner.Username, ConvertedAccount.Name FROM Lead")["records"][0]
    assert record["Owner"]["Username"] == "emulator@crmsync.test"
    assert record["ConvertedAccount"] is None
