"""The replication resources: ids updated and records deleted in a time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sf_support import Org, lead, reference_json
from simple_salesforce import Salesforce


def _now(org: Org) -> datetime:
    return datetime.fromisoformat(org.admin("clock/advance", {"seconds": 0})["now"])


def test_updated_lists_changed_ids_in_the_recorded_shape(org: Org, sf: Salesforce) -> None:
    recorded = reference_json("fixtures/restforce/get_updated_success_response.json")
    start = _now(org) - timedelta(minutes=1)
    changed = sf.Lead.create(lead())["id"]
    org.admin("clock/advance", {"seconds": 120})
    result = sf.Lead.updated(start, _now(org).astimezone(UTC))
    assert set(result) == set(recorded)
    assert result["ids"] == [changed]
    assert result["latestDateCovered"].endswith(":00.000+0000")


def test_deleted_lists_deleted_records_in_the_recorded_shape(org: Org, sf: Salesforce) -> None:
    recorded = reference_json("fixtures/restforce/get_deleted_success_response.json")
    start = _now(org) - timedelta(minutes=1)
    gone = sf.Lead.create(lead())["id"]
    sf.Lead.delete(gone)
    org.admin("clock/advance", {"seconds": 120})
    result = sf.Lead.deleted(start, _now(org))
    assert set(result) == set(recorded)
    assert [r["id"] for r in result["deletedRecords"]] == [gone]
    assert set(result["deletedRecords"][0]) == set(recorded["deletedRecords"][0])
