"""HubSpot's error answers: the bodies, categories and status codes a real portal sends.

The envelope is compact JSON with ``status`` ("error"), ``message``, ``correlationId`` (a UUID,
echoed in the ``x-hubspot-correlation-id`` header), then ``errors``, ``context`` and
``category`` when present, as in captured bodies such as
``{"status":"error","message":"Contact already exists. Existing ID: 37765128953",
"correlationId":"2dea5219-...","category":"CONFLICT"}`` (HubSpot/hubspot-api-nodejs#545).
Batch answers carry per-record ``StandardError`` objects instead, whose required fields are
``status``, ``category``, ``message``, ``context``, ``errors`` and ``links`` (HubSpot's OpenAPI
documents, as summarised in shared/reference/README.md; hubspot-api-client refuses a 207
answer that lacks any of them).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json;charset=utf-8"

# HubSpot's 401 text for a missing or unknown token (captured 2025-2026 bodies; the same text
# answers a malformed bearer token).
AUTH_MISSING_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class HubSpotError(Exception):
    """An error answer, raised by a handler and rendered by the service."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(str(body.get("message", status)))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


@dataclass(frozen=True)
class PropertyProblem:
    """Why one property value was refused (one entry of "Property values were not valid")."""

    name: str
    error: str
    message: str


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Compact JSON with HubSpot's content type and correlation header."""
    all_headers = dict(headers or {})
    if isinstance(body, dict) and "correlationId" in body:
        all_headers["x-hubspot-correlation-id"] = str(body["correlationId"])
    else:
        all_headers.setdefault("x-hubspot-correlation-id", new_correlation_id())
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content, status_code=status, headers=all_headers, media_type=JSON_MEDIA_TYPE)


def error_body(
    message: str,
    category: str | None = None,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    context: Mapping[str, Sequence[str]] | None = None,
    sub_category: str | None = None,
) -> dict[str, Any]:
    """The error envelope, keys in HubSpot's order."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": new_correlation_id(),
    }
    if sub_category is not None:
        body["subCategory"] = sub_category
    if errors is not None:
        body["errors"] = [dict(item) for item in errors]
    if context is not None:
        body["context"] = {key: list(values) for key, values in context.items()}
    if category is not None:
        body["category"] = category
    return body


def standard_error(
    message: str,
    category: str,
    *,
    context: Mapping[str, Sequence[str]] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    sub_category: str | None = None,
) -> dict[str, Any]:
    """One entry of a batch answer's ``errors``."""
    entry: dict[str, Any] = {"status": "error", "category": category}
    if sub_category is not None:
        entry["subCategory"] = sub_category
    entry["message"] = message
    entry["context"] = {key: list(values) for key, values in (context or {}).items()}
    entry["errors"] = [dict(item) for item in errors or []]
    entry["links"] = {}
    return entry


def error_as_standard(error: HubSpotError, context: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """A single-record error answer restated as a batch entry, with the record named."""
    body = error.body
    merged = {key: list(values) for key, values in body.get("context", {}).items()}
    for key, values in context.items():
        merged.setdefault(key, []).extend(values)
    return standard_error(
        str(body["message"]),
        str(body.get("category", "OBJECT_NOT_FOUND" if error.status == 404 else "ERROR")),
        context=merged,
        errors=body.get("errors", []),
        sub_category=body.get("subCategory"),
    )


def property_problems(problems: Sequence[PropertyProblem], portal_id: int) -> HubSpotError:
    """400 "Property values were not valid", every refused property listed.

    The message embeds a compact JSON array of ``{isValid, message, error, name,
    localizedErrorMessage, portalId}`` results, and ``errors`` repeats each as ``{message,
    code, context: {propertyName: [name]}}``, keys in the order of a captured real answer
    (an unknown property ``description`` refused with ``PROPERTY_DOESNT_EXIST``).
    """
    results = [
        {
            "isValid": False,
            "message": problem.message,
            "error": problem.error,
            "name": problem.name,
            "localizedErrorMessage": problem.message,
            "portalId": portal_id,
        }
        for problem in problems
    ]
    details = [
        {
            "message": problem.message,
            "code": problem.error,
            "context": {"propertyName": [problem.name]},
        }
        for problem in problems
    ]
    message = "Property values were not valid: " + json.dumps(results, separators=(",", ":"))
    return HubSpotError(400, error_body(message, "VALIDATION_ERROR", errors=details))


def validation_error(
    message: str, context: Mapping[str, Sequence[str]] | None = None
) -> HubSpotError:
    """400 ``VALIDATION_ERROR`` with a plain message."""
    return HubSpotError(400, error_body(message, "VALIDATION_ERROR", context=context))


def contact_exists(existing_id: str) -> HubSpotError:
    """409 for a create whose e-mail another contact already has (captured body)."""
    return HubSpotError(
        409, error_body(f"Contact already exists. Existing ID: {existing_id}", "CONFLICT")
    )


def unique_value_taken(singular: str, name: str, value: str, existing_id: str) -> HubSpotError:
    """409 for a value of a ``hasUniqueValue`` property that another record holds.

    Emulator wording, shaped like the e-mail conflict: the real text for custom unique
    properties was not found in any capture.
    """
    message = (
        f"A {singular} with the unique property value {name}={value} already exists. "
        f"Existing ID: {existing_id}"
    )
    return HubSpotError(409, error_body(message, "CONFLICT", context={name: [value]}))


def resource_not_found() -> HubSpotError:
    """404 for a numeric id no record has: HubSpot sends no category here (captured)."""
    return HubSpotError(404, error_body("resource not found"))


def object_not_found(raw_id: str) -> HubSpotError:
    """404 for an id that is not numeric; the two spaces are HubSpot's (captured body)."""
    return HubSpotError(
        404,
        error_body(
            "Object not found.  objectId are usually numeric.",
            "OBJECT_NOT_FOUND",
            context={"id": [raw_id]},
        ),
    )


def unauthenticated() -> HubSpotError:
    return HubSpotError(401, error_body(AUTH_MISSING_MESSAGE, "INVALID_AUTHENTICATION"))


def token_expired(seconds_ago: int) -> HubSpotError:
    """401 for a token past its expiry (captured wording, for instance in segmentio docs)."""
    if seconds_ago >= 86_400:
        ago = f"{seconds_ago // 86_400} day(s)"
    else:
        ago = f"{max(seconds_ago, 1)} second(s)"
    message = f"The OAuth token used to make this call expired {ago} ago."
    return HubSpotError(401, error_body(message, "EXPIRED_AUTHENTICATION"))


RATE_LIMIT_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
    "SECONDLY": "You have reached your secondly limit.",
}


def rate_limited(policy: str, headers: Mapping[str, str] | None = None) -> HubSpotError:
    """429 naming the policy that was exhausted (HubSpot usage guidelines)."""
    correlation = new_correlation_id()
    body = {
        "status": "error",
        "message": RATE_LIMIT_MESSAGES.get(
            policy, f"You have reached your {policy.lower()} limit."
        ),
        "errorType": "RATE_LIMIT",
        "correlationId": correlation,
        "policyName": policy,
        "requestId": new_correlation_id(),
    }
    return HubSpotError(429, body, headers)


_GATEWAY_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def server_fault(status: int) -> Response:
    """What a failing HubSpot sends: JSON from the API itself, HTML from its gateway.

    HubSpot's 502/504 pages are the proxy's HTML, not JSON (HubSpot/hubspot-php#315 shows
    ``<html><head><title>502 Bad Gateway</title></head>...``), so clients must not expect a body
    they can parse. A 500 comes from the service and is JSON without a category.
    """
    if status in _GATEWAY_TITLES:
        title = _GATEWAY_TITLES[status]
        page = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return Response(page, status_code=status, media_type="text/html")
    if status == 500:
        return json_response(error_body("internal error"), 500)
    if status == 401:
        return unauthenticated().response()
    return json_response(error_body(f"HTTP {status}"), status)
