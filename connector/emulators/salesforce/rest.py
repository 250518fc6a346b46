"""The REST resources for single records and metadata: versions, limits, describes, sObject rows.

Status codes follow the real API: create 201 with ``{id, success, errors}``; update and delete
204 with no body; upsert 201 (created) or, from API version 46.0, 200 with ``created: false``
(204 before); an external id matching several records 300 with their URLs; an unknown record
404 ``NOT_FOUND``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce import describe, ids
from connector.emulators.salesforce.errors import (
    RequestFailed,
    SfError,
    not_found,
)
from connector.emulators.salesforce.org import Org
from connector.emulators.salesforce.routes import NEWEST_VERSION, OLDEST_VERSION, Call
from connector.emulators.salesforce.schema import FieldDef, ObjectDef
from connector.emulators.salesforce.store import Row
from connector.emulators.salesforce.timestamps import format_datetime, parse_datetime
from connector.emulators.salesforce.validation import read_body

_SEASONS = ("Summer", "Winter", "Spring")
# Upsert answers 200 with a body for updates from this version on (204, no body, before).
UPSERT_BODY_VERSION = 46.0


def _release_label(version: int) -> str:
    index = version - OLDEST_VERSION
    year = 14 + (index + 2) // 3
    # A fact of the real list: v42.0's label is written with a typographic apostrophe.
    apostrophe = "\u2019" if version == 42 else "'"
    return f"{_SEASONS[index % 3]} {apostrophe}{year:02d}"


async def versions(request: Request, org: Org, params: dict[str, str]) -> Response:
    """``GET /services/data``: public, no session needed, as on a real instance."""
    return JSONResponse(
        [
            {
                "label": _release_label(v),
                "url": f"/services/data/v{v}.0",
                "version": f"{v}.0",
            }
            for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)
        ]
    )


async def resources(call: Call) -> Response:
    names = ("tooling", "metadata", "eclair", "folders", "prechatForms", "connect", "tabs")
    body = {name: f"{call.base}/{name}" for name in names}
    for name in ("query", "queryAll", "sobjects", "limits", "composite", "jobs", "search"):
        body[name] = f"{call.base}/{name}"
    return JSONResponse(body)


async def limits(call: Call) -> Response:
    now = call.org.now()
    allocation = call.org.allocation
    jobs = call.org.jobs.created_today(now)
    return JSONResponse(
        {
            "DailyApiRequests": {
                "Max": allocation.daily_max,
                "Remaining": allocation.remaining(now),
            },
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": max(10000 - jobs, 0)},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
            "FileStorageMB": {"Max": 20, "Remaining": 20},
        }
    )


def sobject(call: Call) -> ObjectDef:
    """The object named in the path, or the real 404 for an unknown one."""
    obj = call.org.schema.get(call.params["object"])
    if obj is None:
        raise not_found()
    return obj


def render(
    call: Call, obj: ObjectDef, row: Row, fields: list[FieldDef] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "attributes": {"type": obj.name, "url": f"{call.base}/sobjects/{obj.name}/{row['Id']}"}
    }
    if fields is None:
        body.update(row)
    else:
        for f in fields:
            body[f.name] = row.get(f.name)
        body["Id"] = row["Id"]
    return body


def _requested_fields(call: Call, obj: ObjectDef) -> list[FieldDef] | None:
    raw = call.request.query_params.get("fields")
    if not raw:
        return None
    chosen = []
    for name in (part.strip() for part in raw.split(",")):
        f = obj.field(name)
        if f is None:
            raise RequestFailed(
                400,
                [
                    SfError(
                        "INVALID_FIELD",
                        f"No such column '{name}' on entity '{obj.name}'. If you are attempting "
                        "to use a custom field, be sure to append the '__c' after the custom "
                        "field name. Please reference your WSDL or the describe call for the "
                        "appropriate names.",
                        with_fields=False,
                    )
                ],
            )
        chosen.append(f)
    return chosen


async def global_describe(call: Call) -> Response:
    return JSONResponse(describe.global_describe(call.org.schema, call.version))


async def object_describe(call: Call) -> Response:
    obj = sobject(call)
    base = f"https://{call.request.headers.get('host', 'localhost')}"
    return JSONResponse(describe.object_describe(obj, call.version, base))


async def object_info(call: Call) -> Response:
    obj = sobject(call)
    return JSONResponse(
        {"objectDescribe": describe.sobject_summary(obj, call.version), "recentItems": []}
    )


async def create(call: Call) -> Response:
    obj = sobject(call)
    values = read_body(obj, await call.json_object())
    tx = call.org.transaction()
    outcome = call.org.dml.create(obj, values, tx)
    if outcome.error is not None:
        raise RequestFailed(400, [outcome.error])
    call.set_records(1)
    return JSONResponse(
        {"id": outcome.id, "success": True, "errors": []},
        status_code=201,
        headers={"Location": f"{call.base}/sobjects/{obj.name}/{outcome.id}"},
    )


def _live_row(call: Call, obj: ObjectDef, record_id: str) -> Row:
    canonical = ids.normalize(record_id)
    if canonical is None:
        raise RequestFailed(
            404,
            [
                SfError(
                    "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {record_id}",
                    with_fields=False,
                )
            ],
        )
    row = call.org.store.get(obj.name, canonical)
    if row is None or ids.key_prefix(canonical) != obj.key_prefix:
        raise not_found()
    return row


async def get_record(call: Call) -> Response:
    obj = sobject(call)
    row = _live_row(call, obj, call.params["id"])
    call.set_records(1)
    return JSONResponse(render(call, obj, row, _requested_fields(call, obj)))


async def update_record(call: Call) -> Response:
    obj = sobject(call)
    canonical = ids.normalize(call.params["id"])
    stored = call.org.store.find(obj.name, canonical) if canonical else None
    if stored is not None and stored.get("IsDeleted"):
        raise RequestFailed(404, [SfError("ENTITY_IS_DELETED", "entity is deleted")])
    row = _live_row(call, obj, call.params["id"])
    values = read_body(obj, await call.json_object(), allow_id=True)
    outcome = call.org.dml.update(obj, row["Id"], values, call.org.transaction())
    if outcome.error is not None:
        raise RequestFailed(400, [outcome.error])
    call.set_records(1)
    return Response(status_code=204)


async def delete_record(call: Call) -> Response:
    obj = sobject(call)
    canonical = ids.normalize(call.params["id"])
    row = call.org.store.find(obj.name, canonical) if canonical else None
    if row is None:
        raise not_found()
    outcome = call.org.dml.delete(obj, row["Id"], call.org.transaction())
    if outcome.error is not None:
        status = 404 if outcome.error.code == "ENTITY_IS_DELETED" else 400
        raise RequestFailed(status, [outcome.error])
    call.set_records(1)
    return Response(status_code=204)


def external_key(call: Call, obj: ObjectDef) -> FieldDef:
    """The external id field named in the path, refused as the real API refuses a bad one."""
    name = call.params["field"]
    f = obj.field(name)
    if f is None:
        raise RequestFailed(
            404,
            [
                SfError(
                    "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {name}",
                    with_fields=False,
                )
            ],
        )
    if not (f.external_id or f.id_lookup):
        raise RequestFailed(
            400,
            [
                SfError(
                    "INVALID_FIELD",
                    f"Field name provided, {f.name} is not an External ID or indexed field for "
                    f"{obj.name}",
                    with_fields=False,
                )
            ],
        )
    return f


def _multiple(call: Call, obj: ObjectDef, matches: list[str]) -> Response:
    return JSONResponse(
        [f"{call.base}/sobjects/{obj.name}/{record_id}" for record_id in matches], status_code=300
    )


async def get_by_external(call: Call) -> Response:
    obj = sobject(call)
    key = external_key(call, obj)
    matches = call.org.dml.matches(obj, key, unquote(call.params["value"]))
    if len(matches) > 1:
        return _multiple(call, obj, matches)
    if not matches:
        raise not_found()
    row = call.org.store.get(obj.name, matches[0])
    assert row is not None
    call.set_records(1)
    return JSONResponse(render(call, obj, row, _requested_fields(call, obj)))


async def upsert(call: Call) -> Response:
    obj = sobject(call)
    key = external_key(call, obj)
    value = unquote(call.params["value"])
    values = read_body(obj, await call.json_object())
    matches = call.org.dml.matches(obj, key, value)
    if len(matches) > 1:
        return _multiple(call, obj, matches)
    if key.type == "id" and not matches:
        raise not_found()
    outcome = call.org.dml.upsert(obj, key, value, values, call.org.transaction())
    if outcome.error is not None:
        raise RequestFailed(400, [outcome.error])
    call.set_records(1)
    modern = call.version_number >= UPSERT_BODY_VERSION
    if not outcome.created and not modern:
        return Response(status_code=204)
    body: dict[str, Any] = {"id": outcome.id, "success": True, "errors": []}
    if modern:
        body["created"] = outcome.created
    return JSONResponse(body, status_code=201 if outcome.created else 200)


async def delete_by_external(call: Call) -> Response:
    obj = sobject(call)
    key = external_key(call, obj)
    matches = call.org.dml.matches(obj, key, unquote(call.params["value"]))
    if len(matches) > 1:
        return _multiple(call, obj, matches)
    if not matches:
        raise not_found()
    outcome = call.org.dml.delete(obj, matches[0], call.org.transaction())
    if outcome.error is not None:
        raise RequestFailed(400, [outcome.error])
    call.set_records(1)
    return Response(status_code=204)


def _window(call: Call) -> tuple[datetime, datetime]:
    """``start``/``end`` of a replication call, rounded down to the minute as the API does."""
    bounds = []
    for name in ("start", "end"):
        raw = call.request.query_params.get(name)
        parsed = parse_datetime(raw.replace(" ", "+")) if raw else None
        if parsed is None:
            raise RequestFailed(
                400,
                [
                    SfError(
                        "INVALID_REPLICATION_DATE" if raw else "MISSING_ARGUMENT",
                        f"{name} date is invalid: {raw}" if raw else f"{name} is required",
                        with_fields=False,
                    )
                ],
            )
        bounds.append(parsed.replace(second=0, microsecond=0))
    start, end = bounds
    if end < start:
        raise RequestFailed(
            400,
            [
                SfError(
                    "INVALID_REPLICATION_DATE",
                    "EndDate can not be before StartDate",
                    with_fields=False,
                )
            ],
        )
    now = call.org.now().replace(second=0, microsecond=0)
    return start, min(end, now)


async def updated(call: Call) -> Response:
    obj = sobject(call)
    start, end = _window(call)
    low, high = format_datetime(start), format_datetime(end)
    found = [
        row["Id"]
        for row in call.org.store.rows(obj.name)
        if not row.get("IsDeleted") and low <= (row.get("SystemModstamp") or "") < high
    ]
    call.set_records(len(found))
    return JSONResponse({"ids": found, "latestDateCovered": high})


async def deleted(call: Call) -> Response:
    obj = sobject(call)
    start, end = _window(call)
    low, high = format_datetime(start), format_datetime(end)
    table = call.org.store.table(obj.name)
    log = table.deleted_log if table else []
    found = [{"id": rid, "deletedDate": when} for rid, when in log if low <= when < high]
    earliest = log[0][1] if log else format_datetime(end - timedelta(days=15))
    call.set_records(len(found))
    return JSONResponse(
        {"deletedRecords": found, "earliestDateAvailable": earliest, "latestDateCovered": high}
    )
