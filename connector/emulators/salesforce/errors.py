"""Salesforce's error vocabulary and the two shapes it is reported in.

A request-level failure answers a JSON array of ``{"message", "errorCode", "fields"?}``; a record
inside a collection reports ``{"statusCode", "message", "fields"}`` in its own result. The
messages here are worded as the real service words them, since clients (and crmsync's dead
letters) show them to people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse


@dataclass(frozen=True)
class SfError:
    """One Salesforce error: its code, its message and the fields it concerns."""

    code: str
    message: str
    fields: tuple[str, ...] = ()
    with_fields: bool = True

    def as_request_error(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.with_fields:
            body["fields"] = list(self.fields)
        return body

    def as_record_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


@dataclass
class RequestFailed(Exception):
    """A whole request refused: an HTTP status and the errors for its body."""

    status: int
    errors: list[SfError] = field(default_factory=list)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.errors)


def error_response(status: int, errors: list[SfError]) -> JSONResponse:
    return JSONResponse([e.as_request_error() for e in errors], status_code=status)


def refuse(status: int, code: str, message: str, *, fields: tuple[str, ...] | None = None) -> None:
    """Raise a request-level failure (``fields`` present only where the real body has it)."""
    error = SfError(code, message, fields or (), with_fields=fields is not None)
    raise RequestFailed(status, [error])


NOT_FOUND_MESSAGE = "The requested resource does not exist"
ROLLED_BACK = SfError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)
LOCKED = SfError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")
CONVERTED_LEAD = SfError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
LIMIT_EXCEEDED = SfError(
    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", with_fields=False
)
INVALID_SESSION = SfError("INVALID_SESSION_ID", "Session expired or invalid", with_fields=False)


def not_found() -> RequestFailed:
    return RequestFailed(404, [SfError("NOT_FOUND", NOT_FOUND_MESSAGE, with_fields=False)])


def invalid_field(field_name: str, object_name: str) -> SfError:
    return SfError(
        "INVALID_FIELD", f"No such column '{field_name}' on sobject of type {object_name}"
    )


def required_missing(names: list[str]) -> SfError:
    return SfError(
        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(names)}]", tuple(names)
    )


def not_writable(names: list[str]) -> SfError:
    return SfError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {', '.join(names)}. Please check the security settings "
        "of this field and verify that it is read/write for your profile or permission set.",
        tuple(names),
    )


def malformed_id(label: str, value: str, field_name: str) -> SfError:
    return SfError("MALFORMED_ID", f"{label}: id value of incorrect type: {value}", (field_name,))


def duplicate_value(field_name: str, record_id: str) -> SfError:
    return SfError(
        "DUPLICATE_VALUE",
        f"duplicate value found: {field_name} duplicates value on record with id: {record_id[:15]}",
    )


def json_parse_error(type_name: str, value: Any) -> SfError:
    token = "VALUE_STRING" if isinstance(value, str) else "VALUE_NUMBER_INT"
    if isinstance(value, bool):
        token = "VALUE_TRUE" if value else "VALUE_FALSE"
    elif isinstance(value, float):
        token = "VALUE_NUMBER_FLOAT"
    elif isinstance(value, dict):
        token = "START_OBJECT"
    elif isinstance(value, list):
        token = "START_ARRAY"
    return SfError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {token} value {value} or request may "
        "be missing a required field",
        with_fields=False,
    )
