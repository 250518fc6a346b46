"""``POST /crm/v3/objects/{type}/search``: filters, one sort, free-text query, paging, caps.

Semantics from HubSpot's "Search the CRM" guide: ``filterGroups`` are OR-ed and the filters of
a group AND-ed (a top-level ``filters`` list counts as one more group); since 2024-08-26 at
most 5 groups, 10 filters per group and 25 filters in all ("Breaking Change: Expanded
Filtering Capabilities", HubSpot changelog). Pages hold at most 200 results; a query never
yields more than 10,000 results ("Attempting to page beyond 10,000 will result in a 400
error"), so connectors window by ``lastmodifieddate``. Answers look like the recorded ones:
``{"total", "results", "paging": {"next": {"after": "5"}}}`` with no ``link`` and ``paging``
only while results remain; each result carries ``url``. Without ``sorts`` results come in id
order, as in the recordings. Date filters take epoch milliseconds or ISO 8601 text.

Search lags writes by ``search_lag_ms`` (see ``store.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import json_response, validation_error
from connector.emulators.hubspot.filters import OPERATORS, Compiler, Filter, Predicate
from connector.emulators.hubspot.render import read_names
from connector.emulators.hubspot.schema import OBJECT_TYPE_IDS
from connector.emulators.hubspot.store import ObjectStore, Version
from connector.emulators.hubspot.values import format_instant, parse_instant_text
from connector.emulators.hubspot.wire import read_object

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_PAGE = 200
MAX_RESULTS = 10_000
DEFAULT_PAGE = 10

QUERY_PROPERTIES = {
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname",),
}


@dataclass(frozen=True)
class SearchRequest:
    """A validated search body."""

    groups: tuple[tuple[Filter, ...], ...]
    sort: tuple[str, bool] | None
    query: str | None
    properties: list[str] | None
    limit: int
    after: int


def parse_request(body: dict[str, Any]) -> SearchRequest:
    """Read and check a search body; every refusal is HubSpot's 400 VALIDATION_ERROR."""
    raw_groups = body.get("filterGroups") or []
    if not isinstance(raw_groups, list):
        raise validation_error(
            "Invalid input JSON on line 1, column 1: filterGroups must be a list"
        )
    groups = [
        _filters(group.get("filters") if isinstance(group, dict) else None) for group in raw_groups
    ]
    if body.get("filters"):
        groups.append(_filters(body["filters"]))
    groups = [group for group in groups if group]
    # Limit texts are the emulator's: HubSpot's own wording was not found in any capture.
    if len(groups) > MAX_GROUPS:
        raise validation_error(
            f"Too many filter groups: {len(groups)}. A search may have at most {MAX_GROUPS} "
            "filterGroups."
        )
    for group in groups:
        if len(group) > MAX_FILTERS_PER_GROUP:
            raise validation_error(
                f"Too many filters in a filter group: {len(group)}. A filterGroup may have at "
                f"most {MAX_FILTERS_PER_GROUP} filters."
            )
    total_filters = sum(len(group) for group in groups)
    if total_filters > MAX_FILTERS:
        raise validation_error(
            f"Too many filters: {total_filters}. A search may have at most {MAX_FILTERS} "
            "filters in all filterGroups."
        )
    limit = _integer(body.get("limit"), DEFAULT_PAGE, "limit")
    if limit < 1:
        raise validation_error(f"limit must be at least 1, got {limit}")
    # A page holds at most 200 results; a larger limit is served as 200.
    limit = min(limit, MAX_PAGE)
    after = _integer(body.get("after"), 0, "after")
    if after < 0:
        raise validation_error(f"after must not be negative, got {after}")
    if after + limit > MAX_RESULTS:
        # The cap counts results, not pages: the page that would reach past the 10,000th
        # result is refused. Emulator wording; the real text was not found in any capture.
        raise validation_error(
            f"The search endpoints are limited to {MAX_RESULTS} total results for any given "
            f"query: paging to after={after} with limit={limit} reaches past that. Narrow the "
            "query, for example with a lastmodifieddate window.",
            {"after": [str(after)]},
        )
    properties = body.get("properties")
    query = body.get("query")
    return SearchRequest(
        groups=tuple(tuple(group) for group in groups),
        sort=_sort(body.get("sorts")),
        query=str(query) if query not in (None, "") else None,
        properties=[str(p) for p in properties] if isinstance(properties, list) else None,
        limit=limit,
        after=after,
    )


def _integer(raw: object, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw))
    except ValueError as exc:
        raise validation_error(f"Unable to parse {name}: {raw} is not a valid integer") from exc


def _filters(raw: object) -> list[Filter]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation_error("Invalid input JSON on line 1, column 1: filters must be a list")
    found: list[Filter] = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("propertyName"):
            raise validation_error(
                "Invalid input JSON on line 1, column 1: propertyName is required"
            )
        operator = str(item.get("operator", "EQ")).upper()
        if operator not in OPERATORS:
            raise validation_error(
                f"Invalid input JSON on line 1, column 1: Cannot deserialize value of type "
                f'`FilterOperatorEnum` from String "{operator}"'
            )
        values = item.get("values") or []
        found.append(
            Filter(
                str(item["propertyName"]),
                operator,
                item.get("value"),
                item.get("highValue"),
                tuple(values) if isinstance(values, list) else (values,),
            )
        )
    return found


def _sort(raw: object) -> tuple[str, bool] | None:
    """The first sort as ``(property, descending)``; strings may be ``-name`` for descending."""
    if not raw or not isinstance(raw, list):
        return None
    first = raw[0]
    if isinstance(first, str):
        return (first[1:], True) if first.startswith("-") else (first, False)
    if isinstance(first, dict) and first.get("propertyName"):
        descending = str(first.get("direction", "ASCENDING")).upper() == "DESCENDING"
        return str(first["propertyName"]), descending
    raise validation_error("Invalid input JSON on line 1, column 1: sorts")


def run_search(
    store: ObjectStore, request: SearchRequest, now_ms: int
) -> tuple[int, list[Version]]:
    """Every match's count, and the requested page of records as search sees them."""
    store.settle(now_ms)
    window = _time_window(store, request)
    if window is not None:
        return window
    compiler = Compiler(store)
    query = _query_predicate(store, request.query)
    groups: list[tuple[tuple[Filter, ...], Predicate]] = [
        (group, compiler.group(group)) for group in request.groups
    ] or [((), lambda version: True)]
    matched: dict[int, Version] = {}
    recent = store.recent
    records = store.records
    for filters, predicate in groups:
        for record_id in _candidates(store, filters)[0]:
            if record_id in matched or record_id in recent:
                continue
            record = records.get(record_id)
            if record is None or record.archived:
                continue
            if predicate(record) and query(record):
                matched[record_id] = record
    for record_id in recent:
        seen = store.visible(records[record_id], now_ms)
        if seen is None or seen.archived or record_id in matched:
            continue
        if any(predicate(seen) for _, predicate in groups) and query(seen):
            matched[record_id] = seen
    found = sorted(matched.values(), key=_by_id)
    if request.sort is not None:
        found = _sorted(store, found, *request.sort)
    return len(found), found[request.after : request.after + request.limit]


def _by_id(version: Version) -> int:
    return version.id


def _time_window(store: ObjectStore, request: SearchRequest) -> tuple[int, list[Version]] | None:
    """Answer a query on the modification time alone straight from the time index.

    This is the query connectors run to read past the 10,000-result cap (filter on
    ``lastmodifieddate``, sort ascending by it), so it must stay cheap on a large portal.
    """
    if store.recent or request.query is not None or len(request.groups) != 1:
        return None
    ids, exact = _candidates(store, request.groups[0])
    sort = request.sort
    if not exact or (sort is not None and sort != (store.last_modified, False)):
        return None
    window = list(ids)
    if sort is None:
        window.sort()
    page = window[request.after : request.after + request.limit]
    return len(window), [store.records[record_id] for record_id in page]


def _candidates(store: ObjectStore, filters: Iterable[Filter]) -> tuple[Iterable[int], bool]:
    """Ids worth testing for one group, and whether they are exactly the group's matches.

    An identity filter (``hs_object_id``, ``email``, a unique property) or a range on the
    modification time narrows the candidates through an index; otherwise every record is a
    candidate.
    """
    low: int | None = None
    high: int | None = None
    ranged = False
    exact = True
    for item in filters:
        name, op = item.property_name, item.operator
        if op == "EQ" and item.value is not None and _identifying(store, name):
            found = store.find_by(name, str(item.value).strip())
            return ([found.id] if found is not None else []), False
        if op == "IN" and name == "hs_object_id":
            return [int(str(v)) for v in item.values if str(v).strip().isdigit()], False
        bound = parse_instant_text(str(item.value)) if name == store.last_modified else None
        if bound is None or op not in ("GT", "GTE", "EQ", "BETWEEN", "LT", "LTE"):
            exact = False
            continue
        ranged = True
        lowest = {"GT": bound + 1, "GTE": bound, "EQ": bound, "BETWEEN": bound}.get(op)
        highest = {"LT": bound - 1, "LTE": bound, "EQ": bound}.get(op)
        if op == "BETWEEN":
            highest = parse_instant_text(str(item.high_value))
            exact = exact and highest is not None
        if lowest is not None:
            low = lowest if low is None else max(low, lowest)
        if highest is not None:
            high = highest if high is None else min(high, highest)
    if ranged:
        return store.modified_between(low, high), exact
    return store.records.keys(), False


def _identifying(store: ObjectStore, name: str) -> bool:
    if name == "hs_object_id" or (name == "email" and store.object_type == "contacts"):
        return True
    definition = store.schema.get(name)
    return definition is not None and definition.has_unique_value


def _query_predicate(store: ObjectStore, query: str | None) -> Predicate:
    if query is None:
        return lambda view: True
    needle = query.lower().strip("*")
    names = QUERY_PROPERTIES[store.object_type]
    return lambda view: any(needle in view.properties.get(name, "").lower() for name in names)


def _sorted(store: ObjectStore, views: list[Version], name: str, descending: bool) -> list[Version]:
    definition = store.schema.get(name)
    numeric = definition is not None and definition.type in ("number", "date", "datetime")
    present: list[Version] = []
    absent: list[Version] = []
    for view in views:
        (present if name in view.properties else absent).append(view)
    if numeric:
        present.sort(key=lambda view: view.numbers.get(name, 0.0), reverse=descending)
    else:
        present.sort(key=lambda view: view.properties[name].lower(), reverse=descending)
    # Records without the property come last either way.
    return present + absent


class SearchRoutes:
    """The search endpoint of each object type."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        return [Route("/crm/v3/objects/{object_type}/search", self.search, methods=["POST"])]

    async def search(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        search = parse_request(await read_object(request))
        names = read_names(store, search.properties)
        with self.portal.lock:
            total, page = run_search(store, search, self.portal.now_ms())
            results = [self._result(store, view, names) for view in page]
        body: dict[str, Any] = {"total": total, "results": results}
        following = search.after + search.limit
        if following < total:
            body["paging"] = {"next": {"after": str(following)}}
        request.state.records = len(results)
        return json_response(body)

    def _result(self, store: ObjectStore, view: Version, names: list[str]) -> dict[str, Any]:
        return {
            "id": str(view.id),
            "properties": {name: view.properties.get(name) for name in names},
            "createdAt": format_instant(view.created_ms),
            "updatedAt": format_instant(view.updated_ms),
            "archived": False,
            "url": self.portal.record_url(OBJECT_TYPE_IDS[store.object_type], view.id),
        }
