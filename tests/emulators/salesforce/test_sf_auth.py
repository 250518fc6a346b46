"""Sessions: OAuth token grants, SOAP login as simple-salesforce sends it, and refusals."""

from __future__ import annotations

import base64

import pytest
import requests
from sf_support import REFERENCE, VERSION, Org, reference_json
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from connector.emulators.salesforce import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    USERNAME,
)

TOKEN_KEYS = {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}


def _token(org: Org, **form: str) -> requests.Response:
    return org.http.post(f"{org.url}/services/oauth2/token", data=form)


def test_client_credentials_grant_answers_a_usable_token(org: Org) -> None:
    response = _token(
        org, grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == org.url
    assert body["id"].startswith(f"{org.url}/id/00D")
    assert body["issued_at"].isdigit()
    sf = Salesforce(
        instance_url=body["instance_url"],
        session_id=body["access_token"],
        version=VERSION,
        session=org.http,
    )
    assert sf.query("SELECT Id FROM User")["totalSize"] == 1


def test_client_credentials_in_a_basic_header_as_simple_salesforce_sends_them(org: Org) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = org.http.post(
        f"{org.url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize("password", [PASSWORD, PASSWORD + SECURITY_TOKEN])
def test_password_grant_with_or_without_the_security_token(org: Org, password: str) -> None:
    response = _token(
        org,
        grant_type="password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        password=password,
    )
    assert response.status_code == 200
    assert set(response.json()) == TOKEN_KEYS


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"},
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
            "invalid_client",
            "invalid client credentials",
        ),
        (
            {
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "username": USERNAME,
                "password": "wrong",
            },
            "invalid_grant",
            "authentication failure",
        ),
        ({"grant_type": "implicit"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_wrong_credentials_get_the_real_oauth_error(
    org: Org, form: dict[str, str], error: str, description: str
) -> None:
    response = _token(org, **form)
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_soap_login_through_simple_salesforce(org: Org) -> None:
    session_id, instance = SalesforceLogin(
        username=USERNAME,
        password=PASSWORD,
        security_token="",
        session=org.http,
        sf_version=VERSION,
        scratch_url=org.url,
    )
    assert instance == org.url.removeprefix("https://")
    sf = Salesforce(instance=instance, session_id=session_id, version=VERSION, session=org.http)
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == USERNAME


def test_soap_login_answers_the_recorded_response_shape(org: Org) -> None:
    recorded = (REFERENCE / "fixtures/simple-salesforce/login_response_success.xml").read_text()
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login>'
        f"<urn:username>{USERNAME}</urn:username><urn:password>{PASSWORD}</urn:password>"
        "</urn:login></soapenv:Body></soapenv:Envelope>"
    )
    response = org.http.post(
        f"{org.url}/services/Soap/u/{VERSION}",
        data=body,
        headers={"content-type": "text/xml", "SOAPAction": "login"},
    )
    assert response.status_code == 200
    for element in ("sessionId", "serverUrl", "userId", "metadataServerUrl", "userInfo"):
        assert f"<{element}>" in recorded
        assert f"<{element}>" in response.text
    assert f"<serverUrl>{org.url}/services/Soap/u/{VERSION}/" in response.text


def test_soap_login_with_a_bad_password_is_the_real_fault(org: Org) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        SalesforceLogin(
            username=USERNAME,
            password="wrong",
            security_token="",
            session=org.http,
            sf_version=VERSION,
            scratch_url=org.url,
        )
    assert failure.value.code == "INVALID_LOGIN"
    assert failure.value.auth_message == (
        "Invalid username, password, security token; or user locked out."
    )


def test_calls_without_a_valid_session_get_the_real_401(org: Org) -> None:
    expected = reference_json("fixtures/restforce/list_sobjects_error_response.json")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = org.http.get(f"{org.api}/sobjects", headers=headers)
        assert response.status_code == 401
        assert response.json() == expected


def test_expiring_tokens_mid_cycle_forces_a_new_login(org: Org) -> None:
    sf = org.client()
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0
    org.admin("expire-tokens")
    with pytest.raises(SalesforceExpiredSession) as failure:
        sf.query("SELECT Id FROM Lead")
    assert failure.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert org.client().query("SELECT Id FROM Lead")["totalSize"] == 0


def test_versions_list_is_public_and_in_the_recorded_shape(org: Org) -> None:
    recorded = reference_json("fixtures/nango/list-available-resources.test.json")
    expected = recorded["api"]["get"]["/services/data"]["response"]
    response = org.http.get(f"{org.url}/services/data/")
    assert response.status_code == 200
    assert response.json() == expected
