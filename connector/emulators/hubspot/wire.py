"""HubSpot on the wire: reading requests (JSON bodies, list parameters, flags), batch answers.

List parameters (``properties``, ``associations``) arrive either comma-separated
(hubspot-api-client sends ``properties=a,b``) or repeated (``properties=a&properties=b``);
both spellings are accepted, as HubSpot accepts them.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from connector.emulators.hubspot.errors import (
    HubSpotError,
    error_body,
    json_response,
    validation_error,
)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or HubSpot's 400 for a body it cannot read."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        # HubSpot names the parser's position; it sends no category for unreadable JSON.
        message = f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise HubSpotError(400, error_body(message)) from exc


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON on line 1, column 1: expected an object")
    return body


def query_list(request: Request, name: str) -> list[str] | None:
    """A list parameter's values, or ``None`` when the parameter is absent."""
    raw = request.query_params.getlist(name)
    if not raw:
        return None
    return [item.strip() for value in raw for item in value.split(",") if item.strip()]


def query_flag(request: Request, name: str, default: bool = False) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


def query_int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise validation_error(f"Unable to parse {name}: {value} is not a valid integer") from exc


def body_list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error(f"Invalid input JSON on line 1, column 1: {name} must be a list")
    return value


def batch_answer(
    results: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    started: str,
    completed: str,
    ok_status: int,
) -> Response:
    """A batch call's answer: ``ok_status`` when every input went through, else 207."""
    if errors:
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "numErrors": len(errors),
            "errors": errors,
            "startedAt": started,
            "completedAt": completed,
        }
        return json_response(body, 207)
    # Key order of the recorded batch answers.
    body = {
        "completedAt": completed,
        "status": "COMPLETE",
        "startedAt": started,
        "results": results,
    }
    return json_response(body, ok_status)
