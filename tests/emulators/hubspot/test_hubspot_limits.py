"""Rate limits, their headers and 429 bodies; authentication; injected faults."""

from __future__ import annotations

import re

import pytest
from hubspot.crm.contacts.exceptions import ApiException
from hubspot_harness import Emulator, recording

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RATE_HEADERS = {
    "x-hubspot-ratelimit-daily",
    "x-hubspot-ratelimit-daily-remaining",
    "x-hubspot-ratelimit-interval-milliseconds",
    "x-hubspot-ratelimit-max",
    "x-hubspot-ratelimit-remaining",
    "x-hubspot-ratelimit-secondly",
    "x-hubspot-ratelimit-secondly-remaining",
}


def list_contacts(hubspot: Emulator) -> object:
    return hubspot.api("GET", "/crm/v3/objects/contacts")


def search(hubspot: Emulator) -> object:
    return hubspot.api("POST", "/crm/v3/objects/contacts/search", {})


def test_answers_carry_the_recorded_rate_limit_headers_plus_the_daily_ones(
    hubspot: Emulator,
) -> None:
    recorded = recording("contacts.test.json")["api"]["get"]["/crm/v3/objects/contacts"]
    recorded_names = {
        name for name in recorded["headers"] if name.startswith("x-hubspot-ratelimit")
    }

    answer = hubspot.api("GET", "/crm/v3/objects/contacts")

    names = {name for name in answer.headers if name.startswith("x-hubspot-ratelimit")}
    assert recorded_names <= names
    # A private app also sees its daily allowance (the recorded OAuth calls do not).
    assert names == RATE_HEADERS
    assert answer.headers["x-hubspot-ratelimit-interval-milliseconds"] == "10000"
    assert answer.headers["x-hubspot-ratelimit-max"] == "190"
    assert answer.headers["x-hubspot-ratelimit-remaining"] == "189"
    assert answer.headers["x-hubspot-ratelimit-secondly"] == "19"


def test_search_answers_carry_no_rate_limit_headers(hubspot: Emulator) -> None:
    recorded = recording("search-companies.test.json")["api"]["post"][
        "/crm/v3/objects/companies/search"
    ]
    assert not any(name.startswith("x-hubspot-ratelimit") for name in recorded["headers"])

    answer = hubspot.api("POST", "/crm/v3/objects/contacts/search", {})

    assert answer.status_code == 200
    assert not any(name.startswith("x-hubspot-ratelimit") for name in answer.headers)
    assert "x-hubspot-correlation-id" in answer.headers


def test_burst_limit_answers_429_ten_secondly_rolling(hubspot: Emulator) -> None:
    hubspot.settings(burst_limit=3)

    allowed = [hubspot.api("GET", "/crm/v3/objects/contacts") for _ in range(3)]
    refused = hubspot.api("GET", "/crm/v3/objects/contacts")

    assert [a.status_code for a in allowed] == [200, 200, 200]
    assert [a.headers["x-hubspot-ratelimit-remaining"] for a in allowed] == ["2", "1", "0"]
    assert refused.status_code == 429
    body = refused.json()
    assert list(body) == [
        "status",
        "message",
        "errorType",
        "correlationId",
        "policyName",
        "requestId",
    ]
    assert body["status"] == "error"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert UUID.match(body["correlationId"])
    assert UUID.match(body["requestId"])
    assert refused.headers["x-hubspot-ratelimit-max"] == "3"
    assert refused.headers["x-hubspot-ratelimit-remaining"] == "0"


def test_the_burst_window_rolls_on_with_the_clock(hubspot: Emulator) -> None:
    hubspot.settings(burst_limit=2)
    for _ in range(2):
        hubspot.api("GET", "/crm/v3/objects/contacts")
    assert hubspot.api("GET", "/crm/v3/objects/contacts").status_code == 429

    hubspot.advance(10)

    assert hubspot.api("GET", "/crm/v3/objects/contacts").status_code == 200


def test_search_has_its_own_per_second_limit(hubspot: Emulator) -> None:
    hubspot.settings(burst_limit=1)
    hubspot.api("GET", "/crm/v3/objects/contacts")

    searches = [hubspot.api("POST", "/crm/v3/objects/contacts/search", {}) for _ in range(6)]
    hubspot.advance(1)
    later = hubspot.api("POST", "/crm/v3/objects/contacts/search", {})

    # Five a second (the search guide's figure), whatever the burst allowance says.
    assert [s.status_code for s in searches] == [200] * 5 + [429]
    body = searches[-1].json()
    assert body["policyName"] == "SECONDLY"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your secondly limit."
    assert later.status_code == 200


def test_daily_limit_answers_429_daily_until_midnight(hubspot: Emulator) -> None:
    hubspot.settings(daily_limit=2)

    first = hubspot.api("GET", "/crm/v3/objects/contacts")
    hubspot.api("POST", "/crm/v3/objects/contacts/search", {})
    refused = hubspot.api("GET", "/crm/v3/objects/contacts")
    hubspot.advance(24 * 3600)
    tomorrow = hubspot.api("GET", "/crm/v3/objects/contacts")

    assert first.headers["x-hubspot-ratelimit-daily"] == "2"
    assert first.headers["x-hubspot-ratelimit-daily-remaining"] == "1"
    assert refused.status_code == 429
    assert refused.json()["policyName"] == "DAILY"
    assert refused.json()["message"] == "You have reached your daily limit."
    assert refused.headers["x-hubspot-ratelimit-daily-remaining"] == "0"
    assert tomorrow.status_code == 200


def test_the_sdk_surfaces_a_429(hubspot: Emulator) -> None:
    hubspot.settings(burst_limit=0)

    with pytest.raises(ApiException) as caught:
        hubspot.client().crm.contacts.basic_api.get_page()

    assert caught.value.status == 429
    assert '"policyName":"TEN_SECONDLY_ROLLING"' in caught.value.body


@pytest.mark.parametrize("token", [None, "pat-na1-00000000-0000-0000-0000-000000000000"])
def test_missing_or_unknown_token_answers_401(hubspot: Emulator, token: str | None) -> None:
    answer = hubspot.api("GET", "/crm/v3/objects/contacts", token=token)

    assert answer.status_code == 401
    body = answer.json()
    assert list(body) == ["status", "message", "correlationId", "category"]
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")


def test_the_sdk_with_a_wrong_token_raises_401(hubspot: Emulator) -> None:
    with pytest.raises(ApiException) as caught:
        hubspot.client(token="wrong").crm.contacts.basic_api.get_page()

    assert caught.value.status == 401


def test_added_tokens_work_until_they_expire(hubspot: Emulator) -> None:
    hubspot.admin("POST", "tokens", {"token": "second-app", "expires_in_seconds": 60})

    fresh = hubspot.api("GET", "/crm/v3/objects/contacts", token="second-app")
    hubspot.advance(61)
    stale = hubspot.api("GET", "/crm/v3/objects/contacts", token="second-app")

    assert fresh.status_code == 200
    assert stale.status_code == 401
    assert stale.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert (
        stale.json()["message"] == "The OAuth token used to make this call expired 1 second(s) ago."
    )


def test_injected_429_names_its_policy(hubspot: Emulator) -> None:
    hubspot.admin(
        "POST",
        "faults",
        {
            "rules": [
                {
                    "path": "/crm/v3/objects/contacts$",
                    "status": 429,
                    "count": 1,
                    "error_code": "DAILY",
                }
            ]
        },
    )

    faulted = hubspot.api("GET", "/crm/v3/objects/contacts")
    after = hubspot.api("GET", "/crm/v3/objects/contacts")

    assert faulted.status_code == 429
    assert faulted.json()["policyName"] == "DAILY"
    assert after.status_code == 200


@pytest.mark.parametrize("status", [502, 503, 504])
def test_injected_gateway_errors_answer_html(hubspot: Emulator, status: int) -> None:
    hubspot.admin("POST", "faults", {"rules": [{"path": "/crm/", "status": status, "count": 1}]})

    answer = hubspot.api("GET", "/crm/v3/objects/contacts")

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert f"<title>{status} " in answer.text


def test_injected_500_answers_hubspot_json(hubspot: Emulator) -> None:
    hubspot.admin("POST", "faults", {"rules": [{"path": "/crm/", "status": 500, "count": 1}]})

    answer = hubspot.api("GET", "/crm/v3/objects/contacts")

    assert answer.status_code == 500
    assert answer.json()["status"] == "error"
    assert UUID.match(answer.json()["correlationId"])
