"""Bulk API 2.0 query jobs (``/jobs/query``), driven the way simple-salesforce's ``bulk2`` does.

A job is created ``UploadComplete``; each status read moves it on one step (``InProgress``, then
``JobComplete``), so a client polling as against a real org sees the same sequence without
waiting. The query runs when the job completes. Results are CSV pages: ``maxRecords`` per page,
``Sforce-Locator`` naming the next page (the literal ``null`` on the last) and
``Sforce-NumberOfRecords`` the rows in this one. Every value is quoted and datetimes end in
``Z``, as in real Bulk API 2.0 results.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce import ids, soql
from connector.emulators.salesforce.errors import RequestFailed, SfError, not_found
from connector.emulators.salesforce.routes import Call
from connector.emulators.salesforce.timestamps import bulk_datetime, format_datetime

_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_STEPS = ("UploadComplete", "InProgress", "JobComplete")
DEFAULT_PAGE = 50_000


@dataclass
class BulkJob:
    """One query job and, once complete, its result rows."""

    id: str
    operation: str
    object: str
    query: soql.Query
    created_by: str
    created: str
    api_version: str
    line_ending: str
    delimiter: str
    state: str = "UploadComplete"
    modstamp: str = ""
    rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    def info(self, *, full: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
        }
        if full:
            body["jobType"] = "V2Query"
        body["lineEnding"] = self.line_ending
        body["columnDelimiter"] = self.delimiter
        if full:
            body.update(
                numberRecordsProcessed=len(self.rows) if self.state == "JobComplete" else 0,
                retries=0,
                totalProcessingTime=0,
                isPkChunkingSupported=True,
            )
        return body


class BulkJobs:
    """Every query job of the org, by id."""

    def __init__(self) -> None:
        self.jobs: dict[str, BulkJob] = {}
        self._ids = ids.IdFactory()

    def new_id(self) -> str:
        return self._ids.new("750")

    def created_today(self, now: datetime) -> int:
        day = format_datetime(now)[:10]
        return sum(1 for job in self.jobs.values() if job.created.startswith(day))


def _invalid(message: str, code: str = "INVALIDJOB") -> RequestFailed:
    return RequestFailed(400, [SfError(code, message, with_fields=False)])


def _job(call: Call) -> BulkJob:
    job = call.org.jobs.jobs.get(ids.normalize(call.params["job"]) or call.params["job"])
    if job is None:
        raise not_found()
    return job


async def create(call: Call) -> Response:
    body = await call.json_object()
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        raise _invalid(f"Invalid operation: {operation}", "API_ERROR")
    delimiter = str(body.get("columnDelimiter") or "COMMA")
    line_ending = str(body.get("lineEnding") or "LF")
    if delimiter not in _DELIMITERS or line_ending not in _LINE_ENDINGS:
        raise _invalid("Invalid column delimiter or line ending", "API_ERROR")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("Query is required for a query job", "API_ERROR")
    store = call.org.store
    try:
        query = soql.parse(text)
        soql.run_count(query, store, (), now=call.org.now())
    except soql.SoqlError as error:
        raise RequestFailed(400, [SfError(error.code, error.message, with_fields=False)]) from None
    jobs = call.org.jobs
    job = BulkJob(
        id=jobs.new_id(),
        operation=operation,
        object=store.canonical_object(query.object_name),
        query=query,
        created_by=call.session.user_id,
        created=store.stamp(),
        api_version=call.version,
        line_ending=line_ending,
        delimiter=delimiter,
    )
    jobs.jobs[job.id] = job
    return JSONResponse(job.info(full=False))


async def get(call: Call) -> Response:
    job = _job(call)
    if job.state in _STEPS[:-1]:
        job.state = _STEPS[_STEPS.index(job.state) + 1]
        job.modstamp = call.org.store.stamp()
        if job.state == "JobComplete":
            _run(call, job)
    return JSONResponse(job.info(full=True))


async def list_jobs(call: Call) -> Response:
    records = [job.info(full=True) for job in call.org.jobs.jobs.values()]
    return JSONResponse({"done": True, "records": records, "nextRecordsUrl": None})


async def abort(call: Call) -> Response:
    job = _job(call)
    body = await call.json_object()
    if body.get("state") != "Aborted":
        raise _invalid("Invalid state for a query job: only Aborted can be set", "API_ERROR")
    if job.state not in ("UploadComplete", "InProgress"):
        raise _invalid(f"Job {job.id} is already in state {job.state}", "INVALIDJOB")
    job.state = "Aborted"
    job.modstamp = call.org.store.stamp()
    return JSONResponse(job.info(full=True))


async def delete(call: Call) -> Response:
    job = _job(call)
    if job.state in ("UploadComplete", "InProgress"):
        raise _invalid(f"Job {job.id} is in progress and cannot be deleted", "INVALIDJOB")
    del call.org.jobs.jobs[job.id]
    return Response(status_code=204)


async def results(call: Call) -> Response:
    job = _job(call)
    if job.state != "JobComplete":
        raise _invalid(f"Job {job.id} is not in a JobComplete state", "INVALIDJOB")
    params = call.request.query_params
    try:
        page = int(params.get("maxRecords") or DEFAULT_PAGE)
        offset = _offset(params.get("locator"))
    except ValueError:
        raise _invalid("Invalid locator or maxRecords", "INVALIDLOCATOR") from None
    if page < 1 or offset > len(job.rows):
        raise _invalid("Invalid locator or maxRecords", "INVALIDLOCATOR")
    chunk = job.rows[offset : offset + page]
    end = offset + len(chunk)
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=_DELIMITERS[job.delimiter],
        lineterminator=_LINE_ENDINGS[job.line_ending],
        quoting=csv.QUOTE_ALL,
    )
    writer.writerow(job.header)
    writer.writerows(chunk)
    locator = _locator(end) if end < len(job.rows) else "null"
    call.set_records(len(chunk))
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))},
    )


def _locator(offset: int) -> str:
    # Real locators are opaque; they happen to be base64 of the row offset.
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str | None) -> int:
    if not locator or locator == "null":
        return 0
    padded = locator + "=" * (-len(locator) % 4)
    try:
        return int(base64.b64decode(padded, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("bad locator") from exc


def _run(call: Call, job: BulkJob) -> None:
    store = call.org.store
    records = soql.run(
        job.query,
        store,
        store.rows(job.object),
        include_deleted=job.operation == "queryAll",
        api_version=job.api_version,
        now=call.org.now(),
    )
    columns = _columns(records) if records else list(job.query.fields)
    job.header = columns
    paths = [column.split(".") for column in columns]
    job.rows = [[_cell(_walk(record, path)) for path in paths] for record in records]


def _columns(records: list[dict[str, Any]]) -> list[str]:
    """CSV columns in select order; a lookup that is null on one record is read from others."""
    names: dict[str, None] = {}
    for record in records:
        for name in _paths(record):
            names.setdefault(name)
    # A null lookup shows as one key ("Owner"); where others show its fields, drop it.
    parents = {name.rsplit(".", 1)[0] for name in names if "." in name}
    return [name for name in names if name not in parents]


def _paths(record: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            names.extend(_paths(value, f"{prefix}{key}."))
        else:
            names.append(prefix + key)
    return names


def _walk(record: dict[str, Any] | None, path: list[str]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) == 28 and value.endswith("+0000"):
        return bulk_datetime(value)
    return str(value)
