"""Who may call the API: the OAuth token endpoint, SOAP ``login`` and bearer-token checks.

The emulator knows one connected app (``emulator-client-id`` / ``emulator-client-secret``) and
one integration user (``emulator@crmsync.test`` / ``emulator-password``, optionally followed by
the security token). Tokens are opaque strings shaped like real ones (``00D…!…``); the admin
API can expire them all at once, after which every call gets ``INVALID_SESSION_ID`` and a
client must log in again, as after a real session timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import xml.dom.minidom
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce import ids

CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"
USERNAME = "emulator@crmsync.test"
PASSWORD = "emulator-password"
SECURITY_TOKEN = "emulatorSecurityToken0001"
ORG_ID = ids.to_18("00D" + ids.POD + "0000000001")


@dataclass(frozen=True)
class Session:
    """One issued access token and the user it acts for."""

    token: str
    user_id: str
    issued_at: datetime


class Sessions:
    """Issued tokens; a token is valid until the admin API expires it."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def issue(self, user_id: str, now: datetime) -> Session:
        # Real tokens: the org id, "!", then an opaque string of letters, digits, '.' and '_'.
        secret = secrets.token_urlsafe(72).replace("-", ".")
        session = Session(f"{ORG_ID[:15]}!{secret}", user_id, now)
        self._sessions[session.token] = session
        return session

    def check(self, authorization: str | None) -> Session | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return None
        return self._sessions.get(token.strip())

    def expire_all(self) -> None:
        self._sessions.clear()


def _password_ok(password: str) -> bool:
    # The security token, when used, is appended to the password.
    return password in (PASSWORD, PASSWORD + SECURITY_TOKEN)


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def instance_url(request: Request) -> str:
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"https://{host}"


async def token_endpoint(
    request: Request, sessions: Sessions, user_id: str, now: datetime
) -> Response:
    """``POST /services/oauth2/token``: client-credentials and username-password flows."""
    body = (await request.body()).decode("utf-8", "replace")
    form = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
    for key, value in request.query_params.items():
        form.setdefault(key, value)
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(basic[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _oauth_error("invalid_client", "invalid client credentials")
        client_id, _, client_secret = decoded.partition(":")
    grant = form.get("grant_type")
    if grant not in ("client_credentials", "password"):
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    if client_id != CLIENT_ID:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if client_secret != CLIENT_SECRET:
        return _oauth_error("invalid_client", "invalid client credentials")
    if grant == "password" and (
        form.get("username") != USERNAME or not _password_ok(form.get("password") or "")
    ):
        return _oauth_error("invalid_grant", "authentication failure")
    session = sessions.issue(user_id, now)
    base = instance_url(request)
    identity = f"{base}/id/{ORG_ID}/{user_id}"
    issued_at = str(int(now.timestamp() * 1000))
    # The real signature: base64 HMAC-SHA256 over id + issued_at, keyed by the client secret.
    digest = hmac.new(CLIENT_SECRET.encode(), (identity + issued_at).encode(), hashlib.sha256)
    return JSONResponse(
        {
            "access_token": session.token,
            "instance_url": base,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest.digest()).decode(),
        }
    )


_SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope \
xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>\
<faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail>\
<sf:{fault} xsi:type="sf:{fault}"><sf:exceptionCode>{code}</sf:exceptionCode>\
<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:{fault}></detail></soapenv:Fault>\
</soapenv:Body></soapenv:Envelope>"""

_SOAP_LOGIN = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope \
xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>\
<metadataServerUrl>{base}/services/Soap/m/{version}/{org15}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>{base}/services/Soap/u/{version}/{org15}</serverUrl>\
<sessionId>{session}</sessionId><userId>{user}</userId><userInfo>\
<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>\
<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>\
<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>\
<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>\
<orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>{org}</organizationId>\
<organizationMultiCurrency>false</organizationMultiCurrency>\
<organizationName>crmsync emulator</organizationName><profileId>00eEm000000001AAAA</profileId>\
<roleId xsi:nil="true"/><sessionSecondsValid>7200</sessionSecondsValid>\
<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{username}</userEmail>\
<userFullName>Integration User</userFullName><userId>{user}</userId>\
<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>\
<userName>{username}</userName><userTimeZone>America/Los_Angeles</userTimeZone>\
<userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo></result>\
</loginResponse></soapenv:Body></soapenv:Envelope>"""

_XML = "text/xml; charset=utf-8"


def soap_fault(code: str, message: str, fault: str = "LoginFault") -> Response:
    body = _SOAP_FAULT.format(code=code, message=escape(message), fault=fault)
    # SOAP faults travel with HTTP 500, as the SOAP 1.1 binding says and Salesforce does.
    return Response(body, status_code=500, media_type=_XML)


def _element(document: xml.dom.minidom.Document, local_name: str) -> str | None:
    for node in document.getElementsByTagNameNS("*", local_name):
        return "".join(child.data for child in node.childNodes if child.nodeType == child.TEXT_NODE)
    return None


async def soap_login(
    request: Request, version: str, sessions: Sessions, user_id: str, now: datetime
) -> Response:
    """``POST /services/Soap/u/{version}``: the partner ``login`` call."""
    raw = await request.body()
    try:
        document = xml.dom.minidom.parseString(raw)
    except Exception:
        return soap_fault("INVALID_XML", "Unable to parse the request", "UnexpectedErrorFault")
    if not document.getElementsByTagNameNS("*", "login"):
        return soap_fault(
            "INVALID_SESSION_ID",
            "Invalid Session ID found in SessionHeader",
            "UnexpectedErrorFault",
        )
    username = _element(document, "username") or ""
    password = _element(document, "password") or ""
    if username != USERNAME or not _password_ok(password):
        return soap_fault(
            "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
        )
    session = sessions.issue(user_id, now)
    body = _SOAP_LOGIN.format(
        base=instance_url(request),
        version=version,
        org15=ORG_ID[:15],
        org=ORG_ID,
        session=session.token,
        user=user_id,
        username=USERNAME,
    )
    return Response(body, media_type=_XML)
