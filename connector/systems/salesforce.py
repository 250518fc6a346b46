"""The Salesforce adapter: simple-salesforce, unmodified, over crmsync's own HTTP session.

It logs in itself (``salesforce_auth.py``) and hands simple-salesforce the session id, the
instance URL and a ``SalesforceSession`` that carries trust, retries, re-auth and the API
budget (``http.py``). What it asks of Salesforce:

- changes: SOQL ``WHERE SystemModstamp >= :since AND SystemModstamp < :settled ORDER BY
  SystemModstamp, Id``, paged with ``nextRecordsUrl`` at up to 2,000 records a page
  (``Sforce-Query-Options: batchSize=2000``). ``settled`` is now - ``commit_lag_s`` (default
  5 s; 0 leaves the bound out): a record is stamped when its transaction writes it but seen
  only once it commits, so a record stamped just now may still be invisible while later ones
  are not; reading only changes older than the lag keeps the cursor from passing it. They come
  with the next read;
- everything: ``SELECT COUNT()`` first, then Bulk API 2.0 above ``bulk_threshold`` records,
  else query paging;
- by id or by value: ``Id IN (...)`` / ``Email IN (...)`` in chunks of 200, fewer when long
  values would take the query past Salesforce's URI limit (SOQL ``=`` and ``IN`` compare text
  case-insensitively, so e-mail matching is too);
- writes: sObject Collections, 200 records a call, ``allOrNone: false``, one result per
  record; upserts by external id with ``PATCH composite/sobjects/{Object}/{Field}``; records
  refused with ``UNABLE_TO_LOCK_ROW`` are sent again on their own (updates and upserts only).

Values are kept as Salesforce answers them; field mapping is the engine's business.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import quote_plus

from pydantic import SecretStr
from simple_salesforce.api import Salesforce
from simple_salesforce.bulk2 import SFBulk2Handler
from simple_salesforce.exceptions import SalesforceError, SalesforceOperationError

from connector.clock import Clock, system_clock
from connector.errors import (
    ConfigError,
    CredentialsRefused,
    CrmsyncError,
    SystemUnreachable,
)
from connector.model import (
    CallStats,
    FieldInfo,
    Owner,
    Record,
    Side,
    WriteKind,
    WriteOp,
    WriteResult,
)
from connector.systems import soql
from connector.systems.base import SystemLimits, chunked
from connector.systems.budget import Monotonic, SalesforceBudget
from connector.systems.classify import classify_row, vendor_error
from connector.systems.http import SalesforceSession, Transport
from connector.systems.retry import CallRunner, RetrySettings, Sleep
from connector.systems.salesforce_auth import SalesforceAuthenticator, SalesforceCredentials
from connector.systems.salesforce_values import dig, from_csv, parse_datetime, to_json

T = TypeVar("T")

QUERY_PAGE = 2000
# Salesforce refuses a request whose URI and headers pass 16,384 bytes (414 URI Too Long), and
# a query's SOQL travels URL-encoded in the URI: a lookup's values are bounded by their encoded
# length as well as by count, leaving room for the host, the path and the headers.
QUERY_URI_BUDGET = 12_000
# A record id: 15 (case-sensitive) or 18 (case-safe) letters and digits.
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
COLLECTION_SIZE = 200
# Records per Bulk API 2.0 result page. Each page is held as CSV text while it is parsed, so
# a smaller page keeps a backfill's memory flat; 10,000 rows cost one call per 10,000 records.
BULK_PAGE = 10_000
# Salesforce may answer smaller pages than asked, never larger; 2,000 is its maximum.
_BATCH_HEADER = {"Sforce-Query-Options": f"batchSize={QUERY_PAGE}"}
# Request-level codes that mean the mapping or config names something the org lacks.
_CONFIG_CODES = {
    "INVALID_FIELD",
    "INVALID_TYPE",
    "MALFORMED_QUERY",
    "INVALID_QUERY_FILTER_OPERATOR",
    "NOT_FOUND",
    "INVALID_FIELD_FOR_INSERT_UPDATE",
}


class SalesforceSystem:
    """``CrmSystem`` for a Salesforce org."""

    side = Side.SALESFORCE
    limits = SystemLimits(
        write_batch=COLLECTION_SIZE,
        read_page=QUERY_PAGE,
        read_by_ids_batch=COLLECTION_SIZE,
        # Salesforce allows far more concurrent requests; two keep rows of one chunk's batches
        # from contending for the same locks (UNABLE_TO_LOCK_ROW) more than they must.
        in_flight=2,
    )

    def __init__(
        self,
        credentials: SalesforceCredentials,
        *,
        instance_url: str | None = None,
        transport: Transport | None = None,
        bulk_threshold: int = 10_000,
        retry: RetrySettings | None = None,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        clock: Clock = system_clock,
        reserve_fraction: float = 0.05,
        bulk_poll_s: int = 1,
        commit_lag_s: float = 5.0,
    ) -> None:
        self.credentials = credentials
        self.instance_url = instance_url
        self.transport = transport or Transport()
        self.bulk_threshold = bulk_threshold
        self.clock = clock
        self.commit_lag_s = commit_lag_s
        # simple-salesforce polls a Bulk 2.0 job with its own sleep, starting from this.
        self.bulk_poll_s = bulk_poll_s
        self.budget = SalesforceBudget(sleep, monotonic, reserve_fraction)
        self.runner = CallRunner(Side.SALESFORCE, self.budget, retry, sleep, clock)
        self.session = SalesforceSession(self.transport, self.runner)
        self.authenticator = SalesforceAuthenticator(
            credentials, self.transport, self.runner, self.session
        )
        self.session.relogin = self._relogin
        self._sf: Salesforce | None = None
        self._login_lock = threading.Lock()
        self._types: dict[str, dict[str, str]] = {}

    def settled_until(self) -> datetime:
        """Changes stamped before this instant are committed; later ones may not be yet."""
        return self.clock() - timedelta(seconds=self.commit_lag_s)

    # -- connection ---------------------------------------------------------------------------

    @property
    def sf(self) -> Salesforce:
        """The simple-salesforce client, logged in on first use (by one thread, once)."""
        with self._login_lock:
            return self._client()

    def _client(self) -> Salesforce:
        if self._sf is None:
            login = self.authenticator.login()
            self.session.bearer.token = login.access_token
            self._sf = Salesforce(
                instance_url=self.instance_url or login.instance_url,
                session_id=login.access_token.get_secret_value(),
                version=self.credentials.api_version,
                session=self.session,
            )
        return self._sf

    def _relogin(self) -> SecretStr:
        return self.authenticator.login().access_token

    def close(self) -> None:
        self.session.close()
        self.authenticator.close()

    def stats(self) -> CallStats:
        stats = self.runner.stats()
        extra = dict(stats.extra)
        if self.budget.used is not None and self.budget.total is not None:
            extra["api_used"] = self.budget.used
            extra["api_max"] = self.budget.total
        return CallStats(stats.calls, stats.rate_limited, stats.retries, extra)

    # -- reads --------------------------------------------------------------------------------

    def read_changes(
        self, object: str, fields: Sequence[str], since: datetime | None
    ) -> Iterator[Record]:
        terms = []
        if since is not None:
            terms.append(soql.condition("SystemModstamp", ">=", since))
        if self.commit_lag_s > 0:
            terms.append(soql.condition("SystemModstamp", "<", self.settled_until()))
        where = " AND ".join(terms) or None
        query = soql.select(object, self._columns(fields), where, ["SystemModstamp", "Id"])
        return self._query(object, query, fields)

    def read_all(
        self, object: str, fields: Sequence[str], since: datetime | None = None
    ) -> Iterator[Record]:
        where = soql.condition("SystemModstamp", ">=", since) if since else None
        count = self._count(object, where)
        if count > self.bulk_threshold:
            return self._bulk(object, fields, where)
        return self._query(
            object, soql.select(object, self._columns(fields), where, ["Id"]), fields
        )

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        # An id that is not shaped like one (a partner id typed by hand into HubSpot) names no
        # record, and Salesforce refuses a whole query over it (INVALID_QUERY_FILTER_OPERATOR,
        # "invalid ID field"): it is answered as not found, not sent.
        wanted = [i for i in dict.fromkeys(ids) if _RECORD_ID.match(i)]
        return self._read_in(object, "Id", wanted, fields)

    def find_by_values(
        self, object: str, field: str, values: Sequence[str], fields: Sequence[str]
    ) -> list[Record]:
        # SOQL compares text case-insensitively; duplicates only differing in case are sent once.
        # lower(), not casefold(): casefold also merges values that are different text, not
        # different case ("straße" and "strasse"), and the one dropped would never be found.
        unique = list({value.strip().lower(): value.strip() for value in values}.values())
        return self._read_in(object, field, unique, fields)

    def _read_in(
        self, object: str, field: str, values: list[str], fields: Sequence[str]
    ) -> list[Record]:
        columns = self._columns([*fields, field])
        empty = soql.select(object, columns, soql.condition(field, "IN", []), ["Id"])
        room = QUERY_URI_BUDGET - len(quote_plus(empty))
        records: list[Record] = []
        for chunk in _bounded_chunks(values, room):
            where = soql.condition(field, "IN", chunk)
            query = soql.select(object, columns, where, ["Id"])
            records.extend(self._query(object, query, fields))
        return records

    def _columns(self, fields: Sequence[str]) -> list[str]:
        seen: dict[str, str] = {}
        for name in ("Id", "SystemModstamp", *fields):
            seen.setdefault(name.lower(), name)
        return list(seen.values())

    def _count(self, object: str, where: str | None) -> int:
        query = f"SELECT COUNT() FROM {soql.name(object)}" + (f" WHERE {where}" if where else "")
        answer = self._sdk(lambda: self.sf.query(query), f"count {object}")
        return int(answer.get("totalSize", 0))

    def _query(self, object: str, query: str, fields: Sequence[str]) -> Iterator[Record]:
        what = f"query {object}"
        page = self._sdk(lambda: self.sf.query(query, headers=_BATCH_HEADER), what)
        while True:
            for raw in page.get("records", []):
                yield self._record(object, raw, fields)
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            more = functools.partial(
                self.sf.query_more,
                str(page["nextRecordsUrl"]),
                identifier_is_url=True,
                headers=_BATCH_HEADER,
            )
            page = self._sdk(more, what)

    def _bulk(self, object: str, fields: Sequence[str], where: str | None) -> Iterator[Record]:
        query = soql.select(object, self._columns(fields), where)
        types = self._field_types(object)
        bulk2 = cast(SFBulk2Handler, self.sf.bulk2)
        job = getattr(bulk2, object)
        pages = self._sdk(
            lambda: iter(job.query(query, max_records=BULK_PAGE, wait=self.bulk_poll_s)),
            f"bulk query {object}",
        )
        while True:
            page = self._sdk(lambda: next(pages, None), f"bulk query {object}")
            if page is None:
                return
            for row in csv.DictReader(io.StringIO(str(page))):
                raw = {name: from_csv(cell, types.get(name)) for name, cell in row.items()}
                yield self._record(object, raw, fields)

    def _record(self, object: str, raw: dict[str, Any], fields: Sequence[str]) -> Record:
        values = {name: dig(raw, name) for name in fields}
        return Record(
            Side.SALESFORCE,
            object,
            str(raw["Id"]),
            values,
            parse_datetime(raw.get("SystemModstamp")),
        )

    # -- writes -------------------------------------------------------------------------------

    def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(ops)
        groups: dict[tuple[str, WriteKind, str | None], list[int]] = {}
        for index, op in enumerate(ops):
            groups.setdefault((op.object, op.kind, op.key_field), []).append(index)
        for (object, kind, key_field), indexes in groups.items():
            for chunk in chunked(indexes, COLLECTION_SIZE):
                written = self.runner.retry_rows(
                    [ops[i] for i in chunk],
                    functools.partial(self._collection, object, kind, key_field),
                    lambda result: classify_row(Side.SALESFORCE, result.error_code),
                    repeatable=kind is not WriteKind.CREATE,
                )
                for index, result in zip(chunk, written, strict=True):
                    results[index] = result
        return [result for result in results if result is not None]

    def _collection(
        self, object: str, kind: WriteKind, key_field: str | None, ops: list[WriteOp]
    ) -> list[WriteResult]:
        records = [self._body(op, kind) for op in ops]
        body = {"allOrNone": False, "records": records}
        if kind is WriteKind.UPSERT:
            if not key_field:
                return [_refused(op, "MISSING_ARGUMENT", "an upsert needs key_field") for op in ops]
            path = f"composite/sobjects/{soql.name(object)}/{soql.name(key_field)}"
            method = "PATCH"
        else:
            path = "composite/sobjects"
            method = "PATCH" if kind is WriteKind.UPDATE else "POST"
        try:
            answer = self.sf.restful(path, method=method, json=body)
        except SalesforceError as exc:
            code, message, fields = _sdk_error(exc)
            if exc.status in (401, 403) and code not in _CONFIG_CODES:
                raise CredentialsRefused(
                    f"Salesforce refused {method} {path}: {code}: {message}"
                ) from None
            return [_refused(op, code or str(exc.status), message, fields) for op in ops]
        rows = answer if isinstance(answer, list) else []
        if len(rows) != len(ops):
            raise SystemUnreachable(
                f"Salesforce answered {len(rows)} results for {len(ops)} records to {path}"
            )
        return [_result(op, row) for op, row in zip(ops, rows, strict=True)]

    def _body(self, op: WriteOp, kind: WriteKind) -> dict[str, Any]:
        record: dict[str, Any] = {"attributes": {"type": op.object}}
        record.update({name: to_json(value) for name, value in op.fields.items()})
        if kind is WriteKind.UPDATE:
            record["Id"] = op.id
        elif kind is WriteKind.UPSERT and op.key_field:
            record[op.key_field] = op.key_value
        return record

    # -- describe, owners ---------------------------------------------------------------------

    def describe(self, object: str) -> list[FieldInfo]:
        answer = self._sdk(
            lambda: self.sf.restful(f"sobjects/{soql.name(object)}/describe"),
            f"describe {object}",
        )
        fields = [_field_info(raw) for raw in (answer or {}).get("fields", [])]
        self._types[object] = {info.name: info.type for info in fields}
        return fields

    def _field_types(self, object: str) -> dict[str, str]:
        if object not in self._types:
            self.describe(object)
        return self._types[object]

    def list_owners(self) -> list[Owner]:
        query = soql.select("User", ["Id", "Email", "Name", "IsActive"], order_by=["Id"])
        owners: list[Owner] = []
        for record in self._query("User", query, ["Email", "Name", "IsActive"]):
            email = record.get("Email")
            if email:
                owners.append(
                    Owner(
                        record.id,
                        str(email),
                        str(record.get("Name") or ""),
                        bool(record.get("IsActive")),
                    )
                )
        return owners

    # -- SDK errors ---------------------------------------------------------------------------

    def _sdk(self, fn: Callable[[], T], what: str) -> T:
        """Run an SDK call, turning simple-salesforce's errors into the error tree."""
        try:
            return fn()
        except CrmsyncError:
            raise
        except SalesforceOperationError as exc:
            raise SystemUnreachable(
                f"Salesforce could not complete {what}: {self.runner.scrub(str(exc))[:300]}"
            ) from None
        except SalesforceError as exc:
            code, message, _ = _sdk_error(exc)
            text = self.runner.scrub(f"{code}: {message}" if code else message)
            if code in _CONFIG_CODES:
                raise ConfigError("Salesforce", f"{what} was refused: {text}") from None
            if exc.status in (401, 403):
                raise CredentialsRefused(f"Salesforce refused {what}: {text}") from None
            raise SystemUnreachable(f"Salesforce answered {exc.status} to {what}: {text}") from None


def _bounded_chunks(values: list[str], room: int) -> Iterator[list[str]]:
    """``values`` in chunks of at most ``COLLECTION_SIZE`` that fit a lookup's URI.

    A chunk's SOQL literals, URL-encoded and comma-separated, take at most ``room``
    characters; a single longer value goes alone.
    """
    chunk: list[str] = []
    used = 0
    for value in values:
        size = len(quote_plus(soql.literal(value))) + len(quote_plus(","))
        if chunk and (len(chunk) == COLLECTION_SIZE or used + size > room):
            yield chunk
            chunk, used = [], 0
        chunk.append(value)
        used += size
    if chunk:
        yield chunk


def _sdk_error(exc: SalesforceError) -> tuple[str | None, str, tuple[str, ...]]:
    """Code, message and fields of a simple-salesforce error, as Salesforce said them."""
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        code = first.get("errorCode") or first.get("statusCode")
        return (
            str(code) if code else None,
            str(first.get("message", "")),
            tuple(str(f) for f in first.get("fields") or ()),
        )
    raw = content if isinstance(content, bytes | str) else str(content)
    code, message = vendor_error(Side.SALESFORCE, raw)
    return code, message, ()


def _refused(op: WriteOp, code: str, message: str, fields: tuple[str, ...] = ()) -> WriteResult:
    return WriteResult(op, ok=False, error_code=code, error_message=message, error_fields=fields)


def _result(op: WriteOp, row: dict[str, Any]) -> WriteResult:
    if row.get("success"):
        created = bool(row.get("created", op.kind is WriteKind.CREATE))
        return WriteResult(op, ok=True, id=row.get("id") or op.id, created=created)
    errors = row.get("errors") or [{}]
    first = errors[0]
    return WriteResult(
        op,
        ok=False,
        id=row.get("id"),
        error_code=str(first.get("statusCode") or "UNKNOWN_EXCEPTION"),
        error_message=str(first.get("message") or ""),
        error_fields=tuple(str(f) for f in first.get("fields") or ()),
    )


def _field_info(raw: dict[str, Any]) -> FieldInfo:
    picklist = tuple(
        str(entry["value"])
        for entry in raw.get("picklistValues") or ()
        if entry.get("active", True) and entry.get("value") is not None
    )
    return FieldInfo(
        name=str(raw["name"]),
        type=str(raw.get("type", "")),
        label=str(raw.get("label", "")),
        length=raw.get("length") or None,
        picklist=picklist,
        restricted=bool(raw.get("restrictedPicklist", False)),
        external_id=bool(raw.get("externalId", False)),
        unique=bool(raw.get("unique", False)),
        updateable=bool(raw.get("updateable", True)),
        nillable=bool(raw.get("nillable", True)),
    )
