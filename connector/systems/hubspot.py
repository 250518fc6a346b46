"""The HubSpot adapter: hubspot-api-client, unmodified, behind crmsync's HTTP layer.

What it asks of HubSpot:

- changes: search on ``lastmodifieddate`` (``hs_lastmodifieddate`` for other objects)
  ``GTE since``, ascending, 200 a page, windowed past the 10,000-result cap
  (``hubspot_search.py``). Search lags writes, so **``read_changes`` only returns records
  modified before ``safe_until()`` = now - ``search_lag_s``** (default 5 s); later ones come
  with the next read. The budget paces searches to their own per-second limit.
- everything: list paging (``basic_api.get_page``, 100 a page), never search;
- by id: ``batch/read`` (100 a call); by value: ``batch/read`` with ``idProperty`` (e-mail is
  matched trimmed and lower-cased, as HubSpot stores it);
- writes (``hubspot_writes.py``): ``batch/update`` by id, ``batch/upsert`` by a unique
  property, ``batch/create``; 100 a call; backward ``lifecyclestage`` moves cleared first;
- deal↔contact associations (v4, default type) with ``associate``, beyond the Protocol.

Values are kept as HubSpot answers them (property values are text).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from connector.clock import Clock, system_clock
from connector.model import CallStats, FieldInfo, Owner, Record, Side, WriteOp, WriteResult
from connector.systems.base import SystemLimits, chunked
from connector.systems.budget import HubSpotBudget, Monotonic
from connector.systems.classify import vendor_error
from connector.systems.http import Transport
from connector.systems.hubspot_api import HubSpotApi
from connector.systems.hubspot_search import SEARCH_CAP, SEARCH_PAGE, ChangeSearch, parse_instant
from connector.systems.hubspot_writes import (
    BATCH_SIZE,
    DEFAULT_LIFECYCLE_ORDER,
    HubSpotWriter,
)
from connector.systems.retry import CallRunner, RetrySettings, Sleep

LIST_PAGE = 100
_ID_FIELDS = {"id", "hs_object_id"}


def modified_property(object_type: str) -> str:
    """The property search filters and sorts changes by: contacts have their own name."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


@dataclass(frozen=True)
class AssociationResult:
    """Whether one association was made, with HubSpot's reason when not."""

    to_id: str
    ok: bool
    error_code: str | None = None
    error_message: str | None = None


# Two calls in flight hide the latency (a call takes ~50-100 ms, the burst window allows one
# every ~53 ms at 190 per 10 s) and stay within what one private app may spend.
IN_FLIGHT = 2
# Calls of the burst window never spent: up to two chunks' batches and the next chunk's
# look-ups can be in flight at once.
BURST_RESERVE = 2 * IN_FLIGHT


class HubSpotSystem:
    """``CrmSystem`` for a HubSpot portal reached with a private-app token."""

    side = Side.HUBSPOT
    limits = SystemLimits(
        write_batch=BATCH_SIZE,
        read_page=SEARCH_PAGE,
        read_by_ids_batch=BATCH_SIZE,
        search_cap=SEARCH_CAP,
        in_flight=IN_FLIGHT,
    )
    list_page = LIST_PAGE

    def __init__(
        self,
        access_token: SecretStr,
        *,
        base_url: str = "https://api.hubapi.com",
        transport: Transport | None = None,
        retry: RetrySettings | None = None,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        clock: Clock = system_clock,
        search_lag_s: float = 5.0,
        search_per_second: int = 4,
        daily_reserve_fraction: float = 0.05,
        lifecycle_order: Sequence[str] = DEFAULT_LIFECYCLE_ORDER,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        self.limits = SystemLimits(
            write_batch=BATCH_SIZE,
            read_page=SEARCH_PAGE,
            read_by_ids_batch=BATCH_SIZE,
            search_cap=search_cap,
            in_flight=IN_FLIGHT,
        )
        self.transport = transport or Transport()
        self.clock = clock
        self.search_lag_s = search_lag_s
        self.budget = HubSpotBudget(
            sleep,
            monotonic,
            clock,
            search_per_second=search_per_second,
            daily_reserve_fraction=daily_reserve_fraction,
            # Answers to calls in flight together can come back in another order than HubSpot
            # counted them, so one may report a slot already spent: a few are kept in hand
            # (a 429 would cost a whole 10 s window).
            burst_reserve=BURST_RESERVE,
        )
        self.runner = CallRunner(Side.HUBSPOT, self.budget, retry, sleep, clock)
        self.api = HubSpotApi(access_token, base_url, self.transport, self.runner)
        self.writer = HubSpotWriter(self.api, self.runner, lifecycle_order)
        self.search_windows = 0

    def safe_until(self) -> datetime:
        """Changes before this instant are visible to search; later ones may not be yet."""
        return self.clock() - timedelta(seconds=self.search_lag_s)

    def stats(self) -> CallStats:
        stats = self.runner.stats()
        extra = dict(stats.extra)
        extra["search_windows"] = self.search_windows
        if self.budget.daily_remaining is not None:
            extra["daily_remaining"] = self.budget.daily_remaining
        return CallStats(stats.calls, stats.rate_limited, stats.retries, extra)

    # -- reads --------------------------------------------------------------------------------

    def read_changes(
        self, object: str, fields: Sequence[str], since: datetime | None
    ) -> Iterator[Record]:
        search = ChangeSearch(
            lambda body: self.api.search(object, body),
            modified_property(object),
            fields,
            self.safe_until(),
            cap=self.limits.search_cap or SEARCH_CAP,
        )
        try:
            for result in search.read(since):
                yield self._record(object, result, fields)
        finally:
            self.search_windows += search.windows

    def read_all(
        self, object: str, fields: Sequence[str], since: datetime | None = None
    ) -> Iterator[Record]:
        properties = list(dict.fromkeys([*fields, modified_property(object)]))
        after: str | None = None
        while True:
            page = self.api.list_page(object, properties, after, LIST_PAGE)
            for result in page.get("results") or ():
                record = self._record(object, result, fields)
                if since is None or (
                    record.modified_at is not None and record.modified_at >= since
                ):
                    yield record
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        return self._batch_read(object, None, list(dict.fromkeys(ids)), fields)

    def find_by_values(
        self, object: str, field: str, values: Sequence[str], fields: Sequence[str]
    ) -> list[Record]:
        if field in _ID_FIELDS:
            return self.read_by_ids(object, values, fields)
        if field == "email":
            # HubSpot stores e-mail addresses lower-cased and trimmed, and reads them so.
            values = [value.strip().lower() for value in values]
        unique = list(dict.fromkeys(value for value in values if value))
        return self._batch_read(object, field, unique, [*fields, field])

    def _batch_read(
        self, object: str, id_property: str | None, keys: list[str], fields: Sequence[str]
    ) -> list[Record]:
        records: list[Record] = []
        properties = list(dict.fromkeys([*fields, modified_property(object)]))
        for chunk in chunked(keys, BATCH_SIZE):
            body: dict[str, Any] = {
                "inputs": [{"id": key} for key in chunk],
                "properties": properties,
                "propertiesWithHistory": [],
            }
            if id_property is not None:
                body["idProperty"] = id_property
            data = self.api.batch_read(object, body)
            records.extend(
                self._record(object, result, fields) for result in data.get("results") or ()
            )
        return records

    def _record(self, object: str, result: dict[str, Any], fields: Sequence[str]) -> Record:
        props = result.get("properties") or {}
        modified = parse_instant(props.get(modified_property(object))) or parse_instant(
            result.get("updatedAt")
        )
        return Record(
            Side.HUBSPOT,
            object,
            str(result["id"]),
            {name: props.get(name) for name in fields},
            modified,
        )

    # -- writes -------------------------------------------------------------------------------

    def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return self.writer.write(ops)

    def associate(
        self, from_object: str, from_id: str, to_object: str, to_ids: Sequence[str]
    ) -> list[AssociationResult]:
        """Associate one record with others (default association type), 100 pairs a call."""
        results: list[AssociationResult] = []
        for chunk in chunked(list(dict.fromkeys(to_ids)), BATCH_SIZE):
            body = {"inputs": [{"from": {"id": from_id}, "to": {"id": to_id}} for to_id in chunk]}
            answer = self.api.associate_default(from_object, to_object, body)
            if not answer.ok:
                code, message = vendor_error(Side.HUBSPOT, _text(answer.data))
                results.extend(AssociationResult(t, False, code, message) for t in chunk)
                continue
            data = answer.data if isinstance(answer.data, dict) else {}
            # Each pair is answered in both directions; a to-id on either end was associated.
            done = {
                str(end.get("id"))
                for pair in data.get("results") or ()
                for end in (pair.get("from") or {}, pair.get("to") or {})
            }
            errors = list(data.get("errors") or ())
            for to_id in chunk:
                if to_id in done:
                    results.append(AssociationResult(to_id, True))
                    continue
                # An error names the ids it concerns somewhere in its context.
                error = next((e for e in errors if to_id in _context_values(e)), None)
                if error is None:
                    results.append(AssociationResult(to_id, False, "NO_RESULT", "not answered"))
                else:
                    code = error.get("category")
                    message = str(error.get("message", ""))
                    results.append(AssociationResult(to_id, False, code, message))
        return results

    # -- describe, owners ---------------------------------------------------------------------

    def describe(self, object: str) -> list[FieldInfo]:
        data = self.api.properties(object)
        return [_field_info(raw) for raw in data.get("results") or ()]

    def list_owners(self) -> list[Owner]:
        owners: list[Owner] = []
        after: str | None = None
        while True:
            page = self.api.owners_page(after)
            for raw in page.get("results") or ():
                if not raw.get("email"):
                    continue
                name = " ".join(p for p in (raw.get("firstName"), raw.get("lastName")) if p)
                owners.append(
                    Owner(str(raw["id"]), str(raw["email"]), name, not raw.get("archived", False))
                )
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return owners


def _context_values(error: dict[str, Any]) -> set[str]:
    context = error.get("context") or {}
    return {str(value) for values in context.values() for value in (values or ())}


def _text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data)


def _field_info(raw: dict[str, Any]) -> FieldInfo:
    options = [o for o in raw.get("options") or () if not o.get("hidden", False)]
    options.sort(key=lambda o: o.get("displayOrder", 0))
    metadata = raw.get("modificationMetadata") or {}
    kind = str(raw.get("type", ""))
    return FieldInfo(
        name=str(raw["name"]),
        type=kind,
        label=str(raw.get("label", "")),
        picklist=tuple(str(o["value"]) for o in options if o.get("value") is not None),
        # An enumeration takes only its options' values.
        restricted=kind == "enumeration",
        unique=bool(raw.get("hasUniqueValue", False)),
        updateable=not bool(metadata.get("readOnlyValue", False) or raw.get("calculated", False)),
    )
