"""The SOQL endpoints: ``/query``, ``/queryAll`` and the cursor pages behind ``nextRecordsUrl``.

A query runs once; its result is kept under a query locator (``0r8…``) and served in pages of
the batch size the client asked for in ``Sforce-Query-Options: batchSize=N`` (200 to 2,000,
default 2,000). Like a real org, a user keeps at most 10 cursors open (the oldest is dropped)
and a cursor left idle for 15 minutes expires; asking for a dropped one answers
``INVALID_QUERY_LOCATOR``.
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce import ids, soql
from connector.emulators.salesforce.errors import RequestFailed, SfError
from connector.emulators.salesforce.routes import Call

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_OPEN_CURSORS = 10
CURSOR_IDLE = timedelta(minutes=15)
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_LOCATOR = re.compile(r"^(0r8[0-9A-Za-z]{15})-(\d+)$")


@dataclass
class Cursor:
    """A query's full result, waiting to be paged through (rendered a page at a time)."""

    records: soql.Selection
    batch: int
    endpoint: str
    touched: datetime


class QueryCursors:
    """Open query locators, oldest first."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, Cursor] = OrderedDict()

    def open(self, cursor: Cursor) -> str:
        locator = "0r8" + ids.POD + "".join(secrets.choice(ids.BASE62) for _ in range(13))
        self._open[locator] = cursor
        while len(self._open) > MAX_OPEN_CURSORS:
            self._open.popitem(last=False)
        return locator

    def get(self, locator: str, now: datetime) -> Cursor | None:
        for key in [k for k, c in self._open.items() if now - c.touched > CURSOR_IDLE]:
            del self._open[key]
        cursor = self._open.get(locator)
        if cursor is not None:
            cursor.touched = now
            self._open.move_to_end(locator)
        return cursor


def batch_size(call: Call, default: int = DEFAULT_BATCH) -> int:
    option = call.request.headers.get("sforce-query-options", "")
    found = _BATCH_OPTION.search(option)
    if not found:
        return default
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(found.group(1))))


def run_soql(call: Call, text: str, *, include_deleted: bool) -> tuple[soql.Selection, int]:
    """Parse and run a query; answer the matched records (rendered on demand) and the size."""
    store = call.org.store
    try:
        query = soql.parse(text)
        rows = store.rows(query.object_name)
        now = call.org.now()
        if query.count_only:
            total = soql.run_count(query, store, rows, include_deleted=include_deleted, now=now)
            return soql.select(query, store, [], now=now), total
        records = soql.select(
            query,
            store,
            rows,
            include_deleted=include_deleted,
            api_version=call.version,
            now=now,
        )
    except soql.SoqlError as error:
        raise RequestFailed(400, [SfError(error.code, error.message, with_fields=False)]) from None
    return records, len(records.rows)


async def query(call: Call) -> Response:
    return await _first_page(call, include_deleted=False)


async def query_all(call: Call) -> Response:
    return await _first_page(call, include_deleted=True)


async def _first_page(call: Call, *, include_deleted: bool) -> Response:
    text = call.request.query_params.get("q")
    if text is None:
        raise RequestFailed(
            400,
            [SfError("MALFORMED_QUERY", "A query string has to be specified", with_fields=False)],
        )
    records, total = run_soql(call, text, include_deleted=include_deleted)
    batch = batch_size(call)
    endpoint = "queryAll" if include_deleted else "query"
    if len(records.rows) <= batch:
        call.set_records(len(records.rows))
        page = records.render(0, len(records.rows))
        return JSONResponse({"totalSize": total, "done": True, "records": page})
    cursor = Cursor(records, batch, endpoint, call.org.now())
    locator = call.org.cursors.open(cursor)
    return _page(call, cursor, locator, 0)


async def more(call: Call) -> Response:
    """``GET /query/{locator}-{offset}``: the next page of an open cursor."""
    found = _LOCATOR.match(call.params["locator"])
    cursor = call.org.cursors.get(found.group(1), call.org.now()) if found else None
    if found is None or cursor is None:
        raise RequestFailed(
            400, [SfError("INVALID_QUERY_LOCATOR", "invalid query locator", with_fields=False)]
        )
    offset = int(found.group(2))
    if offset > len(cursor.records.rows):
        raise RequestFailed(
            400, [SfError("INVALID_QUERY_LOCATOR", "invalid query locator", with_fields=False)]
        )
    cursor.batch = batch_size(call, cursor.batch)
    return _page(call, cursor, found.group(1), offset)


def _page(call: Call, cursor: Cursor, locator: str, offset: int) -> Response:
    end = offset + cursor.batch
    total = len(cursor.records.rows)
    page = cursor.records.render(offset, end)
    body: dict[str, Any] = {"totalSize": total, "done": end >= total}
    if not body["done"]:
        body["nextRecordsUrl"] = f"{call.base}/{cursor.endpoint}/{locator}-{end}"
    body["records"] = page
    call.set_records(len(page))
    return JSONResponse(body)
