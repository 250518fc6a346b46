"""Classification: the one table that turns a status and a vendor code into an action.

Every answer either system gives (a whole response, or one row of a batch answer) is looked up
here, and only here, to decide what happens next: carry on, retry, authenticate again, wait
what the service asked, give the record up as rejected, or stop the run. The retry layer
(``http.py``) and the adapters act on the verdict; neither inspects status codes on its own.

Which requests may be repeated at all is decided here too (``safe_to_repeat``): reads freely,
writes only when repeating them cannot write twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from connector.model import Side


class Action(StrEnum):
    """What to do about an answer."""

    OK = "ok"
    RETRY = "retry"  # transient: back off exponentially, then try again (if safe to repeat)
    REAUTH = "reauth"  # the session expired: authenticate once more, then try again
    WAIT = "wait"  # rate limited: wait as long as the service asked, then try again
    REJECT = "reject"  # this request or record is refused; surface the system's own error
    STOP = "stop"  # the run cannot go on: credentials refused, or a daily allocation spent


class StopReason(StrEnum):
    """Why a run stops, which decides the error raised."""

    CREDENTIALS = "credentials"
    LIMIT = "limit"


@dataclass(frozen=True)
class Verdict:
    """The action for one answer, with the vendor's code and message kept for messages."""

    action: Action
    code: str | None = None
    message: str = ""
    wait_s: float | None = None
    stop: StopReason | None = None


@dataclass(frozen=True)
class Rule:
    """One row of the table: statuses (``None``: any) and vendor codes (``None``: any)."""

    side: Side
    statuses: frozenset[int] | None
    codes: frozenset[str] | None
    action: Action
    stop: StopReason | None = None
    wait_s: float | None = None


def _rule(
    side: Side,
    statuses: range | set[int] | None,
    codes: set[str] | None,
    action: Action,
    *,
    stop: StopReason | None = None,
    wait_s: float | None = None,
) -> Rule:
    return Rule(
        side,
        frozenset(statuses) if statuses is not None else None,
        frozenset(codes) if codes is not None else None,
        action,
        stop,
        wait_s,
    )


SF = Side.SALESFORCE
# Not a vendor code: REQUEST_LIMIT_EXCEEDED refined by its message (see ``refine``).
CONCURRENT_LIMIT = "REQUEST_LIMIT_EXCEEDED/Concurrent"
HS = Side.HUBSPOT
SERVER_ERRORS = {500, 502, 503, 504}

# Codes by which Salesforce refuses a login: OAuth token endpoint errors and SOAP login faults.
SALESFORCE_LOGIN_REFUSED = {
    "invalid_client",
    "invalid_client_id",
    "invalid_grant",
    "unsupported_grant_type",
    "invalid_request",
    "unauthorized_client",
    "INVALID_LOGIN",
    "LOGIN_MUST_USE_SECURITY_TOKEN",
    "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
    "PASSWORD_LOCKOUT",
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
    "INSUFFICIENT_ACCESS",
}

# First match wins; put specific rows (status and code) before general ones (status only).
TABLE: tuple[Rule, ...] = (
    # -- Salesforce --------------------------------------------------------------------------
    _rule(SF, range(200, 300), None, Action.OK),
    # The session timed out or was revoked: log in again and repeat the call once.
    _rule(SF, {401}, {"INVALID_SESSION_ID"}, Action.REAUTH),
    _rule(SF, None, SALESFORCE_LOGIN_REFUSED, Action.STOP, stop=StopReason.CREDENTIALS),
    _rule(SF, {401}, None, Action.STOP, stop=StopReason.CREDENTIALS),
    # REQUEST_LIMIT_EXCEEDED names two limits in its message: too many long-running requests
    # at once ("ConcurrentPerOrgLongTxn", "ConcurrentRequests"), which passes in seconds, and
    # the org's rolling 24-hour allocation ("TotalRequests"), which does not.
    _rule(SF, None, {CONCURRENT_LIMIT}, Action.WAIT, wait_s=2.0),
    _rule(SF, {403}, {"REQUEST_LIMIT_EXCEEDED"}, Action.STOP, stop=StopReason.LIMIT),
    _rule(SF, {429}, None, Action.WAIT, wait_s=5.0),
    # Row-level lock contention: another transaction holds the record for a moment.
    _rule(SF, None, {"UNABLE_TO_LOCK_ROW"}, Action.RETRY),
    _rule(SF, SERVER_ERRORS, None, Action.RETRY),
    _rule(SF, None, None, Action.REJECT),
    # -- HubSpot -----------------------------------------------------------------------------
    _rule(HS, range(200, 300), None, Action.OK),
    # The 429 body names the policy that ran out; each has its own cure.
    _rule(HS, {429}, {"DAILY"}, Action.STOP, stop=StopReason.LIMIT),
    _rule(HS, {429}, {"SECONDLY"}, Action.WAIT, wait_s=1.0),
    _rule(HS, {429}, {"TEN_SECONDLY_ROLLING"}, Action.WAIT, wait_s=10.0),
    _rule(HS, {429}, None, Action.WAIT, wait_s=10.0),
    # Private-app tokens do not expire: a 401 or 403 (missing scopes) needs the admin.
    _rule(HS, {401, 403}, None, Action.STOP, stop=StopReason.CREDENTIALS),
    _rule(HS, SERVER_ERRORS, None, Action.RETRY),
    # A batch row HubSpot could not process for a transient reason.
    _rule(HS, None, {"RATE_LIMITS"}, Action.RETRY),
    _rule(HS, None, None, Action.REJECT),
)


def lookup(side: Side, status: int | None, code: str | None) -> Rule:
    """The first rule of ``TABLE`` matching this status and vendor code."""
    for rule in TABLE:
        if rule.side is not side:
            continue
        if rule.statuses is not None and (status is None or status not in rule.statuses):
            continue
        if rule.codes is not None and (code is None or code not in rule.codes):
            continue
        return rule
    raise AssertionError(f"no catch-all rule for {side}")  # pragma: no cover


def classify(
    side: Side, status: int, headers: Mapping[str, str], body: bytes | str | None
) -> Verdict:
    """The verdict for a whole HTTP answer."""
    if 200 <= status < 300:
        return Verdict(Action.OK)
    code, message = vendor_error(side, body)
    code = refine(side, code, message)
    rule = lookup(side, status, code)
    wait_s = rule.wait_s
    if rule.action is Action.WAIT:
        wait_s = retry_after(headers) or _interval(headers, code) or rule.wait_s
    return Verdict(rule.action, code, message, wait_s, rule.stop)


def refine(side: Side, code: str | None, message: str) -> str | None:
    """A vendor code made precise where the vendor puts the distinction in the message."""
    if side is Side.SALESFORCE and code == "REQUEST_LIMIT_EXCEEDED" and "Concurrent" in message:
        return CONCURRENT_LIMIT
    return code


def classify_row(side: Side, code: str | None, message: str = "") -> Verdict:
    """The verdict for one row of a batch answer.

    A row (a Salesforce ``statusCode``, a HubSpot ``category``) has no HTTP status of its own.
    """
    rule = lookup(side, None, code)
    action = Action.REJECT if rule.action is Action.OK else rule.action
    return Verdict(action, code, message, rule.wait_s, rule.stop)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if the answer has one."""
    raw = _header(headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _interval(headers: Mapping[str, str], code: str | None) -> float | None:
    # HubSpot's burst window is rolling; waiting one whole interval empties it.
    if code != "TEN_SECONDLY_ROLLING":
        return None
    raw = _header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
    try:
        return float(raw) / 1000 if raw else None
    except ValueError:
        return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


_SOAP_CODE = re.compile(r"<(?:\w+:)?exceptionCode>([^<]+)</")
_SOAP_MESSAGE = re.compile(r"<(?:\w+:)?exceptionMessage>([^<]*)</")
_SOAP_FAULTCODE = re.compile(r"<faultcode>(?:\w+:)?([^<]+)</faultcode>")


def vendor_error(side: Side, body: bytes | str | None) -> tuple[str | None, str]:
    """The vendor's error code and message from an error body, as the vendor wrote them.

    Salesforce: a JSON array of ``{errorCode, message}``, an OAuth ``{error,
    error_description}``, or a SOAP fault. HubSpot: ``{category, message}``, and for a 429
    the ``policyName``.
    """
    if body is None:
        return None, ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    parsed: Any
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if side is Side.SALESFORCE:
        if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
            first = parsed[0]
            return _str(first.get("errorCode") or first.get("statusCode")), str(
                first.get("message", "")
            )
        if isinstance(parsed, dict):
            if "error" in parsed:
                return _str(parsed.get("error")), str(parsed.get("error_description") or "")
            return _str(parsed.get("errorCode")), str(parsed.get("message", ""))
        match = _SOAP_CODE.search(text) or _SOAP_FAULTCODE.search(text)
        if match:
            message = _SOAP_MESSAGE.search(text)
            return match.group(1).strip(), message.group(1).strip() if message else ""
        return None, text[:200].strip()
    if isinstance(parsed, dict):
        code = parsed.get("policyName") or parsed.get("category") or parsed.get("errorType")
        return _str(code), str(parsed.get("message", ""))
    return None, text[:200].strip()


def _str(value: object) -> str | None:
    return None if value is None else str(value)


# Requests that only read, or write idempotently, though sent with POST. Everything sent with
# GET, HEAD, PUT, PATCH or DELETE is idempotent by HTTP's definition and the vendors honour it:
# a Salesforce PATCH updates or upserts by id or external id, never creates twice.
_SAFE_POSTS: dict[Side, tuple[re.Pattern[str], ...]] = {
    Side.SALESFORCE: (
        re.compile(r"/services/oauth2/token$"),  # a second token is harmless
        re.compile(r"/services/Soap/u/[\d.]+/?$"),  # SOAP login: likewise
        re.compile(r"/jobs/query/?$"),  # a Bulk 2.0 query job only reads
        re.compile(r"/composite/sobjects/\w+/?$"),  # POST with {ids, fields}: a read
    ),
    Side.HUBSPOT: (
        re.compile(r"/crm/v3/objects/\w+/search$"),
        re.compile(r"/crm/v3/objects/\w+/batch/read$"),
        re.compile(r"/crm/v3/objects/\w+/batch/update$"),  # by id
        re.compile(r"/crm/v3/objects/\w+/batch/upsert$"),  # by a unique property
        # Associating a pair that is already associated changes nothing.
        re.compile(r"/crm/v4/associations/\w+/\w+/batch/associate/default$"),
    ),
}


def safe_to_repeat(side: Side, method: str, path: str) -> bool:
    """Whether sending this request twice can do no more than sending it once."""
    if method.upper() in {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}:
        return True
    return any(pattern.search(path) for pattern in _SAFE_POSTS[side])
