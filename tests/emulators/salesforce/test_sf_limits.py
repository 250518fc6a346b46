"""The daily API allocation, its header and refusal, the limits resource and injected faults."""

from __future__ import annotations

import pytest
import requests
from sf_support import Org, lead
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceRefusedRequest


def test_every_answer_carries_the_usage_header(org: Org, sf: Salesforce) -> None:
    sf.Lead.create(lead())
    sf.query("SELECT Id FROM Lead")
    assert sf.api_usage["api-usage"].used == 2
    assert sf.api_usage["api-usage"].total == 100_000


def test_spent_allocation_is_refused_as_salesforce_words_it(org: Org, sf: Salesforce) -> None:
    org.admin("limits", {"daily_api_requests": 2})
    sf.query("SELECT Id FROM Lead")
    sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Lead")
    assert refused.value.status == 403
    assert refused.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_allocation_comes_back_after_24_hours(org: Org, sf: Salesforce) -> None:
    org.admin("limits", {"daily_api_requests": 1})
    sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Lead")
    org.admin("clock/advance", {"seconds": 24 * 3600 + 60})
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0


def test_limits_resource_reports_the_daily_allocation(org: Org, sf: Salesforce) -> None:
    org.admin("limits", {"daily_api_requests": 500})
    sf.query("SELECT Id FROM Lead")
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 500, "Remaining": 498}


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (503, "SERVER_UNAVAILABLE", None),
        (500, "UNKNOWN_EXCEPTION", None),
        (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
        (400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"),
    ],
)
def test_injected_faults_answer_salesforce_bodies(
    org: Org, status: int, code: str, message: str | None
) -> None:
    org.admin("faults", {"rules": [{"path": "/query", "status": status, "count": 1}]})
    response = requests.get(
        f"{org.api}/query",
        params={"q": "SELECT Id FROM Lead"},
        headers={"Authorization": f"Bearer {org.token()}"},
        verify=org.http.verify,
    )
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code
    if message:
        assert body[0]["message"] == message
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_fault_rule_can_name_the_error_code(org: Org) -> None:
    org.admin(
        "faults",
        {"rules": [{"path": "/composite", "status": 400, "error_code": "UNABLE_TO_LOCK_ROW"}]},
    )
    response = requests.post(
        f"{org.api}/composite/sobjects",
        json={"records": []},
        headers={"Authorization": f"Bearer {org.token()}"},
        verify=org.http.verify,
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
