"""sObject Collections (``/composite/sobjects``): up to 200 records per call, one result each.

A well-formed request answers 200 with a result per record, in request order: ``{id, success,
errors}`` (plus ``created`` for upserts). A failing record does not stop its siblings unless the
request says ``allOrNone: true``; then every change is rolled back, the failing records keep
their own errors and the others report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``. A malformed request
(more than 200 records, an unknown field, a record without a type) fails whole with 400.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce import ids
from connector.emulators.salesforce.dml import Outcome, Transaction
from connector.emulators.salesforce.errors import ROLLED_BACK, RequestFailed, SfError
from connector.emulators.salesforce.rest import external_key, render, sobject
from connector.emulators.salesforce.routes import Call
from connector.emulators.salesforce.schema import ObjectDef
from connector.emulators.salesforce.validation import read_body

MAX_RECORDS = 200


def _too_many() -> RequestFailed:
    return RequestFailed(
        400,
        [
            SfError(
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_RECORDS} records into this "
                "call",
                with_fields=False,
            )
        ],
    )


def _bad_request(code: str, message: str) -> RequestFailed:
    return RequestFailed(400, [SfError(code, message, with_fields=False)])


async def _records(call: Call) -> tuple[list[Mapping[str, Any]], bool]:
    body = await call.json_object()
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _bad_request("JSON_PARSER_ERROR", "The 'records' property must be a list of sObjects")
    if len(records) > MAX_RECORDS:
        raise _too_many()
    return records, bool(body.get("allOrNone", False))


def _typed(call: Call, record: Mapping[str, Any]) -> ObjectDef:
    attributes = record.get("attributes")
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    if not type_name:
        raise _bad_request("INVALID_TYPE", "No SObject Type defined in the JSON")
    obj = call.org.schema.get(str(type_name))
    if obj is None:
        raise _bad_request("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
    return obj


def _result(outcome: Outcome, *, keep_id: bool, upsert: bool = False) -> dict[str, Any]:
    if outcome.error is None:
        result: dict[str, Any] = {"id": outcome.id, "success": True, "errors": []}
        if upsert:
            result["created"] = outcome.created
        return result
    result = {"id": outcome.id} if keep_id and outcome.id else {}
    result.update(success=False, errors=[outcome.error.as_record_error()])
    return result


def _finish(
    call: Call,
    outcomes: list[Outcome],
    tx: Transaction,
    all_or_none: bool,
    *,
    keep_id: bool,
    upsert: bool = False,
) -> Response:
    if all_or_none and any(not o.success for o in outcomes):
        tx.rollback()
        outcomes = [
            o if not o.success else Outcome(o.id if keep_id else None, ROLLED_BACK)
            for o in outcomes
        ]
    call.set_records(sum(1 for o in outcomes if o.success))
    return JSONResponse([_result(o, keep_id=keep_id, upsert=upsert) for o in outcomes])


async def create(call: Call) -> Response:
    """``POST /composite/sobjects``: create records of any types, in order."""
    records, all_or_none = await _records(call)
    prepared = []
    for record in records:
        obj = _typed(call, record)
        prepared.append((obj, read_body(obj, record)))
    tx = call.org.transaction()
    outcomes = [call.org.dml.create(obj, values, tx) for obj, values in prepared]
    return _finish(call, outcomes, tx, all_or_none, keep_id=False)


async def update(call: Call) -> Response:
    """``PATCH /composite/sobjects``: update records by ``id``."""
    records, all_or_none = await _records(call)
    prepared = []
    for record in records:
        obj = _typed(call, record)
        record_id = record.get("id") or record.get("Id")
        body = {k: v for k, v in record.items() if k not in ("id", "Id")}
        prepared.append((obj, str(record_id) if record_id else None, read_body(obj, body)))
    seen = Counter(ids.normalize(rid) for _, rid, _ in prepared if rid)
    tx = call.org.transaction()
    outcomes = []
    for obj, record_id, values in prepared:
        if record_id is None:
            outcomes.append(
                Outcome(None, SfError("MISSING_ARGUMENT", "Id not specified in an update call"))
            )
        elif seen[ids.normalize(record_id)] > 1:
            outcomes.append(
                Outcome(record_id, SfError("DUPLICATE_VALUE", f"Duplicate id in list: {record_id}"))
            )
        else:
            outcomes.append(call.org.dml.update(obj, record_id, values, tx))
    return _finish(call, outcomes, tx, all_or_none, keep_id=True)


async def upsert(call: Call) -> Response:
    """``PATCH /composite/sobjects/{O}/{field}``: create or update by an external id."""
    obj = sobject(call)
    key = external_key(call, obj)
    records, all_or_none = await _records(call)
    prepared = []
    for record in records:
        if _typed(call, record).name != obj.name:
            raise _bad_request(
                "INVALID_TYPE", f"The sObject type of every record must be {obj.name}"
            )
        values = read_body(obj, record)
        prepared.append((values.get(key.name), values))
    counts = Counter(str(v).lower() for v, _ in prepared if v is not None)
    tx = call.org.transaction()
    outcomes = []
    for value, values in prepared:
        if value is None:
            error = SfError("MISSING_ARGUMENT", f"{key.name} not specified", (key.name,))
            outcomes.append(Outcome(None, error))
            continue
        if counts[str(value).lower()] > 1:
            error = SfError(
                "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", (key.name,)
            )
            outcomes.append(Outcome(None, error))
            continue
        matches = call.org.dml.matches(obj, key, str(value))
        if len(matches) > 1:
            error = SfError(
                "DUPLICATE_EXTERNAL_ID",
                f"{key.label}: more than one record found for external id field: "
                f"[{', '.join(matches)}]",
                (key.name,),
            )
            outcomes.append(Outcome(None, error))
            continue
        outcomes.append(call.org.dml.upsert(obj, key, str(value), values, tx))
    return _finish(call, outcomes, tx, all_or_none, keep_id=False, upsert=True)


async def delete(call: Call) -> Response:
    """``DELETE /composite/sobjects?ids=…&allOrNone=…``."""
    raw = call.request.query_params.get("ids", "")
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    if not wanted:
        raise RequestFailed(
            400,
            [SfError("REQUIRED_FIELD_MISSING", "At least 1 Id is required.", with_fields=False)],
        )
    if len(wanted) > MAX_RECORDS:
        raise _too_many()
    all_or_none = call.request.query_params.get("allOrNone", "false").lower() == "true"
    tx = call.org.transaction()
    outcomes = []
    for record_id in wanted:
        canonical = ids.normalize(record_id)
        obj = call.org.store.object_of(canonical) if canonical else None
        if canonical is None or obj is None:
            outcomes.append(
                Outcome(record_id, SfError("MALFORMED_ID", f"malformed id {record_id}"))
            )
            continue
        outcomes.append(call.org.dml.delete(obj, canonical, tx))
    return _finish(call, outcomes, tx, all_or_none, keep_id=True)


async def retrieve(call: Call) -> Response:
    """``GET /composite/sobjects/{O}?ids=…&fields=…`` (or POST with the same in the body)."""
    obj = sobject(call)
    if call.request.method == "POST":
        body = await call.json_object()
        wanted = [str(i) for i in body.get("ids") or []]
        field_names = [str(f) for f in body.get("fields") or []]
    else:
        params = call.request.query_params
        wanted = [p.strip() for p in params.get("ids", "").split(",") if p.strip()]
        field_names = [p.strip() for p in params.get("fields", "").split(",") if p.strip()]
    if not wanted:
        raise RequestFailed(
            400,
            [SfError("REQUIRED_FIELD_MISSING", "At least 1 Id is required.", with_fields=False)],
        )
    if not field_names:
        raise _bad_request("REQUIRED_FIELD_MISSING", "The fields parameter is required.")
    if len(wanted) > 2000:
        raise _too_many()
    fields = []
    for name in field_names:
        f = obj.field(name)
        if f is None:
            raise _bad_request("INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'")
        fields.append(f)
    found: list[dict[str, Any] | None] = []
    for record_id in wanted:
        row = call.org.store.get(obj.name, record_id)
        found.append(render(call, obj, row, fields) if row else None)
    call.set_records(sum(1 for r in found if r))
    return JSONResponse(found)
