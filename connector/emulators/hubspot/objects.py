"""``/crm/v3/objects/{type}``: list, read, create, update and archive, one record or a batch.

Status codes follow real portals, not the documentation: a create (single or batch) answers
200, as every recorded create does; ``create_status`` switches to the documented 201. Batches
take at most 100 inputs. Per-record failures of a batch answer 207 with the successes in
``results`` and one ``errors`` entry per failure (or per group of unknown ids); with the
``reject_batch`` setting the first failure refuses the whole batch instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import (
    HubSpotError,
    error_as_standard,
    json_response,
    object_not_found,
    resource_not_found,
    standard_error,
    validation_error,
)
from connector.emulators.hubspot.render import (
    created_json,
    read_json,
    read_names,
    written_json,
)
from connector.emulators.hubspot.store import ObjectStore, StoredRecord
from connector.emulators.hubspot.wire import (
    batch_answer,
    body_list,
    query_flag,
    query_int,
    query_list,
    read_object,
)
from connector.emulators.hubspot.writes import Plan, Writer

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

MAX_BATCH = 100
MAX_LIST_PAGE = 100

# Emulator wording: HubSpot's exact text for an oversized batch was not found in any capture;
# this follows the one it sends for the 50-input limit of property-history reads ("The maximum
# number of inputs supported in a batch request for property histories is 50. Please reduce
# the number of items and try again").
BATCH_TOO_LARGE = (
    "The maximum number of inputs supported in a batch request is {limit}. "
    "Please reduce the number of items and try again"
)


def parse_record_id(raw: str) -> int:
    """A path id; a non-numeric one is HubSpot's "Object not found" 404."""
    if not raw.isdigit():
        raise object_not_found(raw)
    return int(raw)


def missing_objects(store: ObjectStore, ids: list[str]) -> dict[str, Any]:
    """The batch error for ids no live record has (HubSpot groups them in one entry)."""
    kind = store.object_type[:-1].upper() if store.object_type != "companies" else "COMPANY"
    message = (
        f"Could not get some {kind} objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )
    return standard_error(message, "OBJECT_NOT_FOUND", context={"ids": ids})


class ObjectRoutes:
    """Basic and batch endpoints of the CRM objects."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        base = "/crm/v3/objects/{object_type}"
        return [
            Route(base, self.list_records, methods=["GET"]),
            Route(base, self.create, methods=["POST"]),
            Route(f"{base}/batch/read", self.batch_read, methods=["POST"]),
            Route(f"{base}/batch/create", self.batch_create, methods=["POST"]),
            Route(f"{base}/batch/update", self.batch_update, methods=["POST"]),
            Route(f"{base}/batch/upsert", self.batch_upsert, methods=["POST"]),
            Route(f"{base}/batch/archive", self.batch_archive, methods=["POST"]),
            Route(base + "/{record_id}", self.get_record, methods=["GET"]),
            Route(base + "/{record_id}", self.update, methods=["PATCH"]),
            Route(base + "/{record_id}", self.archive, methods=["DELETE"]),
        ]

    # -- single records ----------------------------------------------------------------

    async def list_records(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        limit = query_int(request, "limit", 10)
        if limit < 1:
            raise validation_error(f"limit must be positive, got {limit}")
        # Pages hold at most 100 records; a larger limit is served as 100.
        limit = min(limit, MAX_LIST_PAGE)
        after = query_int(request, "after", 0)
        archived = query_flag(request, "archived")
        names = read_names(store, query_list(request, "properties"))
        associations = query_list(request, "associations")
        with self.portal.lock:
            page: list[StoredRecord] = []
            following: StoredRecord | None = None
            for record in store.ordered_from(after):
                if record.archived != archived:
                    continue
                if len(page) == limit:
                    following = record
                    break
                page.append(record)
            results = [read_json(self.portal, store, r, names, associations) for r in page]
        body: dict[str, Any] = {"results": results}
        if following is not None:
            next_after = str(following.id)
            link = str(request.url.include_query_params(after=next_after))
            body["paging"] = {"next": {"after": next_after, "link": link}}
        request.state.records = len(results)
        return json_response(body)

    async def get_record(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        names = read_names(store, query_list(request, "properties"))
        associations = query_list(request, "associations")
        with self.portal.lock:
            record = self._find(
                store,
                request.path_params["record_id"],
                request.query_params.get("idProperty"),
                query_flag(request, "archived"),
            )
            body = read_json(self.portal, store, record, names, associations)
        request.state.records = 1
        return json_response(body)

    async def create(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        with self.portal.lock:
            writer = Writer(self.portal, store)
            plan = writer.plan_create(0, payload.get("properties"), payload.get("associations"))
            record = writer.apply(plan)
            body = created_json(self.portal, store, record)
        request.state.records = 1
        return json_response(body, self.portal.settings.create_status)

    async def update(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        with self.portal.lock:
            record = self._find(
                store, request.path_params["record_id"], request.query_params.get("idProperty")
            )
            writer = Writer(self.portal, store)
            plan = writer.plan_update(0, record, payload.get("properties"))
            writer.apply(plan)
            body = written_json(self.portal, store, record, plan.written)
        request.state.records = 1
        return json_response(body)

    async def archive(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        with self.portal.lock:
            record_id = parse_record_id(request.path_params["record_id"])
            record = store.get(record_id)
            # Archiving what is already gone (or never was) still answers 204.
            if record is not None and not record.archived:
                store.archive(record, self.portal.now_ms())
                request.state.records = 1
        return Response(status_code=204)

    def _find(
        self,
        store: ObjectStore,
        raw_id: str,
        id_property: str | None,
        archived: bool = False,
    ) -> StoredRecord:
        if id_property and id_property != "hs_object_id":
            self._check_id_property(store, id_property)
            record = store.find_by(id_property, raw_id)
        else:
            record = store.get(parse_record_id(raw_id))
        if record is None or record.archived != archived:
            raise resource_not_found()
        return record

    def _check_id_property(self, store: ObjectStore, name: str) -> None:
        if name == "email" and store.object_type == "contacts":
            return
        definition = store.schema.get(name)
        if definition is None or not definition.has_unique_value:
            raise validation_error(
                f"{name} is not a unique property of {store.object_type}; idProperty must "
                "name a property with unique values",
                {"idProperty": [name]},
            )

    # -- batches -----------------------------------------------------------------------

    def _inputs(self, payload: dict[str, Any]) -> list[Any]:
        inputs = body_list(payload, "inputs")
        if len(inputs) > MAX_BATCH:
            raise validation_error(BATCH_TOO_LARGE.format(limit=MAX_BATCH))
        return inputs

    def _no_duplicate_ids(self, ids: list[str]) -> None:
        seen: set[str] = set()
        repeated: list[str] = []
        for value in ids:
            if value in seen and value not in repeated:
                repeated.append(value)
            seen.add(value)
        if repeated:
            raise validation_error(
                f"Duplicate IDs found in batch input: [{', '.join(repeated)}]. IDs must be unique",
                {"ids": repeated},
            )

    async def batch_read(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        inputs = self._inputs(payload)
        ids = [str(item.get("id", "")) if isinstance(item, dict) else "" for item in inputs]
        self._no_duplicate_ids(ids)
        id_property = payload.get("idProperty")
        requested = payload.get("properties")
        names = read_names(store, requested if isinstance(requested, list) else None)
        archived = query_flag(request, "archived")
        started = self.portal.now_text()
        results: list[dict[str, Any]] = []
        missing: list[str] = []
        with self.portal.lock:
            if id_property and id_property != "hs_object_id":
                self._check_id_property(store, id_property)
            for raw_id in ids:
                try:
                    record = self._find(store, raw_id, id_property, archived)
                except HubSpotError:
                    missing.append(raw_id)
                    continue
                results.append(read_json(self.portal, store, record, names))
        errors = [missing_objects(store, missing)] if missing else []
        request.state.records = len(results)
        return batch_answer(results, errors, started, self.portal.now_text(), 200)

    async def batch_create(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        inputs = self._inputs(payload)
        started = self.portal.now_text()
        with self.portal.lock:
            writer = Writer(self.portal, store)

            def plan(index: int, item: Any) -> Plan:
                item = item if isinstance(item, dict) else {}
                return writer.plan_create(
                    index,
                    item.get("properties"),
                    item.get("associations"),
                    item.get("objectWriteTraceId"),
                )

            def render(record: StoredRecord, _: Plan) -> dict[str, Any]:
                return created_json(self.portal, store, record)

            results, errors = self._run(writer, inputs, plan, render, _trace_context)
        request.state.records = len(results)
        return batch_answer(
            results, errors, started, self.portal.now_text(), self.portal.settings.create_status
        )

    async def batch_update(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        inputs = self._inputs(payload)
        items = [item if isinstance(item, dict) else {} for item in inputs]
        self._no_duplicate_ids([str(item.get("id", "")) for item in items])
        started = self.portal.now_text()
        missing: list[str] = []
        with self.portal.lock:
            writer = Writer(self.portal, store)
            found: list[tuple[dict[str, Any], StoredRecord]] = []
            for item in items:
                raw_id = str(item.get("id", ""))
                try:
                    record = self._find(store, raw_id, item.get("idProperty"))
                except HubSpotError as exc:
                    if exc.status != 404:
                        raise
                    missing.append(raw_id)
                    continue
                found.append((item, record))

            def plan(index: int, pair: tuple[dict[str, Any], StoredRecord]) -> Plan:
                item, record = pair
                return writer.plan_update(
                    index, record, item.get("properties"), item.get("objectWriteTraceId")
                )

            def render(record: StoredRecord, done: Plan) -> dict[str, Any]:
                return written_json(self.portal, store, record, done.written)

            if missing and self.portal.settings.batch_errors == "reject_batch":
                raise resource_not_found()
            results, errors = self._run(
                writer, found, plan, render, lambda pair: {"ids": [str(pair[1].id)]}
            )
        if missing:
            errors.insert(0, missing_objects(store, missing))
        request.state.records = len(results)
        return batch_answer(results, errors, started, self.portal.now_text(), 200)

    async def batch_upsert(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        inputs = self._inputs(payload)
        items = [item if isinstance(item, dict) else {} for item in inputs]
        self._no_duplicate_ids([str(item.get("id", "")) for item in items])
        started = self.portal.now_text()
        with self.portal.lock:
            writer = Writer(self.portal, store)

            def plan(index: int, item: dict[str, Any]) -> Plan:
                id_property = item.get("idProperty")
                raw_id = str(item.get("id", ""))
                if not id_property:
                    raise validation_error("idProperty is required for upsert", {"id": [raw_id]})
                self._check_id_property(store, str(id_property))
                properties = dict(item.get("properties") or {})
                existing = store.find_by(str(id_property), raw_id)
                if existing is not None:
                    return writer.plan_update(
                        index, existing, properties, item.get("objectWriteTraceId")
                    )
                properties.setdefault(str(id_property), raw_id)
                return writer.plan_create(index, properties, None, item.get("objectWriteTraceId"))

            results, errors = self._run(
                writer, items, plan, self._upsert_json(store), _upsert_context
            )
        request.state.records = len(results)
        return batch_answer(results, errors, started, self.portal.now_text(), 200)

    def _upsert_json(self, store: ObjectStore) -> Callable[[StoredRecord, Plan], dict[str, Any]]:
        def render(record: StoredRecord, done: Plan) -> dict[str, Any]:
            is_new = done.target is None
            if is_new:
                body = created_json(self.portal, store, record)
            else:
                body = written_json(self.portal, store, record, done.written)
            body["new"] = is_new
            return body

        return render

    async def batch_archive(self, request: Request) -> Response:
        store = self.portal.store(request.path_params["object_type"])
        payload = await read_object(request)
        inputs = self._inputs(payload)
        count = 0
        with self.portal.lock:
            now_ms = self.portal.now_ms()
            for item in inputs:
                raw_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                record = store.get(int(raw_id)) if raw_id.isdigit() else None
                if record is not None and not record.archived:
                    store.archive(record, now_ms)
                    count += 1
        request.state.records = count
        return Response(status_code=204)

    def _run(
        self,
        writer: Writer,
        inputs: list[Any],
        plan: Callable[[int, Any], Plan],
        render: Callable[[StoredRecord, Plan], dict[str, Any]],
        context: Callable[[Any], dict[str, list[str]]],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Plan and apply each input; collect per-record errors (or refuse the batch)."""
        reject = self.portal.settings.batch_errors == "reject_batch"
        planned: list[Plan] = []
        errors: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        for index, item in enumerate(inputs):
            try:
                current = plan(index, item)
            except HubSpotError as exc:
                if reject:
                    raise
                errors.append(error_as_standard(exc, context(item)))
                continue
            if reject:
                planned.append(current)
            else:
                results.append(render(writer.apply(current), current))
        for current in planned:
            results.append(render(writer.apply(current), current))
        return results, errors


def _trace_context(item: Any) -> dict[str, list[str]]:
    trace = item.get("objectWriteTraceId") if isinstance(item, dict) else None
    return {"objectWriteTraceId": [str(trace)]} if trace else {}


def _upsert_context(item: dict[str, Any]) -> dict[str, list[str]]:
    context = {"id": [str(item.get("id", ""))]}
    trace = item.get("objectWriteTraceId")
    if trace:
        context["objectWriteTraceId"] = [str(trace)]
    return context
