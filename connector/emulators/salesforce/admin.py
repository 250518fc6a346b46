"""The Salesforce-only admin API under ``/__emulator__/`` and the seed loader.

Seeded records skip validation, like legacy data imported before a rule existed, but are stored
in the same form as API writes (ids canonical, numbers as numbers, stamps in Salesforce's
format). The other endpoints let a test play the parts a real org's people play: a rep
converting a lead or editing a record, an admin shrinking the API allocation, a session timeout,
another process holding a record lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connector.emulators.salesforce import ids
from connector.emulators.salesforce.convert import ConversionFailed, convert_lead
from connector.emulators.salesforce.dml import derive
from connector.emulators.salesforce.errors import RequestFailed
from connector.emulators.salesforce.org import Org
from connector.emulators.salesforce.validation import canonical_reference, read_body

if TYPE_CHECKING:
    from connector.emulators.salesforce.service import SalesforceService

ADMIN = "/__emulator__"
# Parents before children, so seeded references can point at seeded records.
SEED_ORDER = ("User", "Account", "Contact", "Lead", "Opportunity", "OpportunityContactRole")
_STAMPS = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


def seed(org: Org, payload: dict[str, Any]) -> dict[str, Any]:
    """Load ``{"objects": {name: [record, ...]}}``; answer ``{"ids": {name: [id, ...]}}``."""
    objects = payload.get("objects")
    if not isinstance(objects, dict):
        raise ValueError("seed payload needs 'objects': {object name: [records]}")
    names = sorted(objects, key=lambda n: SEED_ORDER.index(n) if n in SEED_ORDER else 99)
    created: dict[str, list[str]] = {}
    for name in names:
        obj = org.schema.get(name)
        if obj is None:
            raise ValueError(f"unknown object {name!r}")
        records = objects[name]
        if not isinstance(records, list):
            raise ValueError(f"objects.{name} must be a list of records")
        created[name] = [seed_record(org, obj.name, record) for record in records]
    return {"ids": created}


def seed_record(org: Org, object_name: str, record: dict[str, Any]) -> str:
    obj = org.schema.objects[object_name.lower()]
    store = org.store
    fields = dict(record)
    given_id = fields.pop("Id", None) or fields.pop("id", None)
    if given_id is not None:
        record_id = ids.normalize(str(given_id))
        if record_id is None or ids.key_prefix(record_id) != obj.key_prefix:
            raise ValueError(f"{object_name}: {given_id!r} is not a {object_name} id")
        if store.find(obj.name, record_id) is not None:
            raise ValueError(f"{object_name}: id {record_id} is already taken")
    else:
        record_id = store.new_id(obj)
    try:
        values = read_body(obj, fields)
    except RequestFailed as failure:
        raise ValueError(f"{object_name}: {failure.errors[0].message}") from None
    row = store.tables[obj.name.lower()].blank()
    org.dml.fill_defaults(obj, row)
    now = store.stamp()
    row.update(Id=record_id)
    for stamp_field in _STAMPS:
        if obj.has(stamp_field):
            row[stamp_field] = now
    for by in ("CreatedById", "LastModifiedById"):
        if obj.has(by):
            row[by] = store.api_user_id or record_id
    for name, value in values.items():
        f = obj.field(name)
        row[name] = canonical_reference(value) if f and f.type == "reference" else value
    derive(obj, row)
    store.insert(obj.name, row)
    if row.get("IsDeleted"):
        store.log_delete(obj.name, record_id, row["SystemModstamp"])
    return record_id


def routes(service: SalesforceService) -> list[BaseRoute]:
    def endpoint(
        handler: Callable[[Request, Org], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                return await handler(request, service.org)
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)

        return run

    return [
        Route(f"{ADMIN}/expire-tokens", endpoint(_expire_tokens), methods=["POST"]),
        Route(f"{ADMIN}/limits", endpoint(_limits), methods=["GET", "POST"]),
        Route(f"{ADMIN}/convert-lead", endpoint(_convert_lead), methods=["POST"]),
        Route(f"{ADMIN}/update", endpoint(_update), methods=["POST"]),
        Route(f"{ADMIN}/lock-row", endpoint(_lock_row), methods=["POST"]),
    ]


async def _expire_tokens(request: Request, org: Org) -> Response:
    org.sessions.expire_all()
    return JSONResponse({"ok": True})


async def _limits(request: Request, org: Org) -> Response:
    if request.method == "POST":
        body = await request.json()
        daily = int(body["daily_api_requests"])
        if daily < 0:
            raise ValueError("daily_api_requests must be 0 or more")
        org.allocation.reset(daily)
    now = org.now()
    return JSONResponse(
        {
            "daily_api_requests": org.allocation.daily_max,
            "used": org.allocation.used(now),
            "remaining": org.allocation.remaining(now),
        }
    )


async def _convert_lead(request: Request, org: Org) -> Response:
    body = await request.json()
    amount = body.get("amount")
    try:
        conversion = convert_lead(
            org,
            str(body["lead_id"]),
            opportunity=bool(body.get("opportunity", True)),
            stage=body.get("stage"),
            amount=float(amount) if amount is not None else None,
        )
    except ConversionFailed as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(conversion.as_json())


async def _update(request: Request, org: Org) -> Response:
    body = await request.json()
    obj = org.schema.get(str(body["object"]))
    if obj is None:
        raise ValueError(f"unknown object {body['object']!r}")
    row = org.store.get(obj.name, str(body["id"]))
    if row is None:
        return JSONResponse({"error": f"no live {obj.name} {body['id']}"}, status_code=404)
    try:
        values = read_body(obj, dict(body.get("fields") or {}))
    except RequestFailed as failure:
        raise ValueError(failure.errors[0].message) from None
    by = body.get("by")
    new = org.dml.apply(obj, row, values, org.transaction(), by=str(by) if by else None)
    return JSONResponse(new)


async def _lock_row(request: Request, org: Org) -> Response:
    body = await request.json()
    record_id = ids.normalize(str(body["id"]))
    if record_id is None:
        raise ValueError(f"not a record id: {body['id']!r}")
    count = int(body.get("count", 1))
    org.locks.lock(record_id, count)
    return JSONResponse({"id": record_id, "count": count})
