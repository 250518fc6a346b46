"""HubSpot batch writes, with every answer mapped back to the input it concerns.

Ops are grouped by object, kind and key, 100 inputs a call: ``batch/update`` by id,
``batch/upsert`` by a unique property (``idProperty``), ``batch/create`` for plain creates.
Each input carries ``objectWriteTraceId`` (its position), which HubSpot echoes in results and
error contexts; without it, results are matched by id or key value, and errors by
``context.ids``/``context.id``.

What HubSpot answers, and what becomes of it:

- 200 or 201 (HubSpot answers 200 where its spec says 201) and 207 (some inputs failed):
  successes and per-input errors are matched to their inputs;
- 400 or 409 for the whole batch (one invalid value or duplicate e-mail refuses all): nothing
  was written, so the batch is split and sent again until the offending inputs stand alone,
  except that a property HubSpot does not have is failed at once for every input setting it;
- rows refused for a transient reason are retried by ``CallRunner.retry_rows`` (update and
  upsert only).

``lifecyclestage`` only moves forward through the API: a write of an earlier stage is accepted
and silently ignored. So before a batch that sets it, the current stages are read (one batch
read), and the records moving backwards are first cleared (``""``, one batch update), as
HubSpot requires, then written with the rest.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from connector.model import Side, WriteKind, WriteOp, WriteResult
from connector.systems.base import chunked
from connector.systems.classify import classify_row, vendor_error
from connector.systems.hubspot_api import Answer, HubSpotApi
from connector.systems.hubspot_search import parse_instant
from connector.systems.retry import CallRunner

log = logging.getLogger(__name__)

BATCH_SIZE = 100
LIFECYCLE = "lifecyclestage"
# HubSpot's default lifecycle stages, in the only order the API moves them.
DEFAULT_LIFECYCLE_ORDER = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
# Codes that refuse a property for every input setting it, whatever its value.
_SCHEMA_CODES = {"PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE", "INVALID_PROPERTY"}
_VERBS = {WriteKind.CREATE: "create", WriteKind.UPDATE: "update", WriteKind.UPSERT: "upsert"}


def wire_value(value: Any) -> str:
    """A value as HubSpot properties take it: text (``""`` clears a property)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fail(op: WriteOp, code: str | None, message: str, fields: Sequence[str] = ()) -> WriteResult:
    return WriteResult(
        op, ok=False, error_code=code or "ERROR", error_message=message, error_fields=tuple(fields)
    )


class HubSpotWriter:
    """``write_batch`` for HubSpot."""

    def __init__(
        self,
        api: HubSpotApi,
        runner: CallRunner,
        lifecycle_order: Sequence[str] = DEFAULT_LIFECYCLE_ORDER,
    ) -> None:
        self.api = api
        self.runner = runner
        self.lifecycle_rank = {stage: rank for rank, stage in enumerate(lifecycle_order)}

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(ops)
        groups: dict[tuple[str, WriteKind, str | None], list[int]] = {}
        for index, op in enumerate(ops):
            groups.setdefault((op.object, op.kind, op.key_field), []).append(index)
        for (object_type, kind, _key), indexes in groups.items():
            for chunk in chunked(indexes, BATCH_SIZE):
                batch = [ops[i] for i in chunk]
                refused = self._clear_backward_lifecycle(object_type, batch)
                for position, result in refused.items():
                    results[chunk[position]] = result
                todo = [index for n, index in enumerate(chunk) if n not in refused]
                written = self.runner.retry_rows(
                    [ops[i] for i in todo],
                    functools.partial(self._send, object_type, kind),
                    lambda result: classify_row(Side.HUBSPOT, result.error_code),
                    repeatable=kind is not WriteKind.CREATE,
                )
                for index, result in zip(todo, written, strict=True):
                    results[index] = result
        return [result for result in results if result is not None]

    # -- one batch call, split when refused whole ---------------------------------------------

    def _send(self, object_type: str, kind: WriteKind, ops: list[WriteOp]) -> list[WriteResult]:
        if not ops:
            return []
        body = {"inputs": [self._input(op, kind, i) for i, op in enumerate(ops)]}
        answer = self.api.batch_write(_VERBS[kind], object_type, body)
        if answer.ok:
            return self._map(ops, kind, answer.data if isinstance(answer.data, dict) else {})
        raw = answer.data if isinstance(answer.data, str) else json.dumps(answer.data)
        code, message = vendor_error(Side.HUBSPOT, raw)
        message = self.runner.scrub(message)
        if answer.status not in (400, 409) or len(ops) == 1:
            return [_fail(op, code, message, _property_names(answer.data)) for op in ops]
        return self._split(object_type, kind, ops, answer, code, message)

    def _split(
        self,
        object_type: str,
        kind: WriteKind,
        ops: list[WriteOp],
        answer: Answer,
        code: str | None,
        message: str,
    ) -> list[WriteResult]:
        """The batch was refused whole (nothing written): find the inputs to blame."""
        names = _property_names(answer.data)
        detail_codes = _detail_codes(answer.data)
        if names and detail_codes and detail_codes <= _SCHEMA_CODES:
            # Every input setting such a property fails the same way: fail them at once.
            blamed = [op for op in ops if set(op.fields) & set(names)]
            if blamed:
                rest = [op for op in ops if op not in blamed]
                failed = {id(op): _fail(op, code, message, names) for op in blamed}
                sent = iter(self._send(object_type, kind, rest))
                return [failed[id(op)] if id(op) in failed else next(sent) for op in ops]
        middle = len(ops) // 2
        return self._send(object_type, kind, ops[:middle]) + self._send(
            object_type, kind, ops[middle:]
        )

    def _input(self, op: WriteOp, kind: WriteKind, position: int) -> dict[str, Any]:
        item: dict[str, Any] = {
            "properties": {name: wire_value(value) for name, value in op.fields.items()},
            # Echoed by HubSpot in results and error contexts: ties each answer to its input.
            "objectWriteTraceId": str(position),
        }
        if kind is WriteKind.UPDATE:
            item["id"] = op.id
        elif kind is WriteKind.UPSERT:
            item["id"] = op.key_value
            item["idProperty"] = op.key_field
        else:
            item["associations"] = []
        return item

    # -- answers to inputs --------------------------------------------------------------------

    def _map(
        self, ops: list[WriteOp], kind: WriteKind, data: Mapping[str, Any]
    ) -> list[WriteResult]:
        """One result per op, from a 2xx batch answer's ``results`` and ``errors``."""
        found: dict[int, WriteResult] = {}
        unplaced_errors: list[Mapping[str, Any]] = []
        for error in data.get("errors") or ():
            indexes = self._match_error(ops, kind, error)
            if not indexes:
                unplaced_errors.append(error)
            for index in indexes:
                found.setdefault(index, self._error_result(ops[index], error))
        unplaced: list[Mapping[str, Any]] = []
        for result in data.get("results") or ():
            matched = self._match_result(ops, kind, result, set(found))
            if matched is None:
                unplaced.append(result)
            else:
                found[matched] = self._success(ops[matched], kind, result)
        missing = [i for i in range(len(ops)) if i not in found]
        if unplaced and len(unplaced) == len(missing) and not unplaced_errors:
            # Nothing else tells these apart; HubSpot answers results in input order.
            for index, result in zip(missing, unplaced, strict=True):
                found[index] = self._success(ops[index], kind, result)
        for index in [i for i in range(len(ops)) if i not in found]:
            if unplaced_errors:
                found[index] = self._error_result(ops[index], unplaced_errors[0])
            else:
                found[index] = _fail(
                    ops[index], "NO_RESULT", "HubSpot's answer named no result for this input"
                )
        return [found[i] for i in range(len(ops))]

    def _success(self, op: WriteOp, kind: WriteKind, result: Mapping[str, Any]) -> WriteResult:
        return WriteResult(
            op,
            ok=True,
            id=str(result["id"]) if result.get("id") is not None else op.id,
            created=kind is WriteKind.CREATE or bool(result.get("new", False)),
            modified_at=parse_instant(result.get("updatedAt")),
        )

    def _match_result(
        self, ops: list[WriteOp], kind: WriteKind, result: Mapping[str, Any], taken: set[int]
    ) -> int | None:
        """The op a success answers: by its echoed trace id, else by id, key or values."""
        trace = result.get("objectWriteTraceId")
        if trace is not None and str(trace).isdigit() and int(trace) < len(ops):
            return int(trace)
        props = result.get("properties") or {}
        for index, op in enumerate(ops):
            if index in taken:
                continue
            if kind is WriteKind.UPDATE and op.id == str(result.get("id")):
                return index
            if kind is WriteKind.UPSERT:
                value = props.get(op.key_field or "")
                if value is not None and _same(value, op.key_value):
                    return index
            if (
                kind is WriteKind.CREATE
                and op.fields
                and all(
                    _same(str(props.get(name, "")), wire_value(value))
                    for name, value in op.fields.items()
                )
            ):
                return index
        return None

    def _match_error(
        self, ops: list[WriteOp], kind: WriteKind, error: Mapping[str, Any]
    ) -> list[int]:
        context = error.get("context") or {}
        traces = [str(t) for t in context.get("objectWriteTraceId") or ()]
        indexes = [int(t) for t in traces if t.isdigit() and int(t) < len(ops)]
        if indexes:
            return indexes
        keys = [str(v) for name in ("ids", "id") for v in context.get(name) or ()]
        for op in ops:
            keys.extend(str(v) for v in context.get(op.key_field or "", ()) or ())
        matched: list[int] = []
        for index, op in enumerate(ops):
            own = op.id if kind is WriteKind.UPDATE else op.key_value
            if own is not None and any(_same(key, own) for key in keys):
                matched.append(index)
        return matched

    def _error_result(self, op: WriteOp, error: Mapping[str, Any]) -> WriteResult:
        code = error.get("category") or error.get("subCategory")
        message = self.runner.scrub(str(error.get("message") or ""))
        return _fail(op, str(code) if code else None, message, _property_names(error))

    # -- lifecyclestage -----------------------------------------------------------------------

    def _clear_backward_lifecycle(
        self, object_type: str, ops: list[WriteOp]
    ) -> dict[int, WriteResult]:
        """Clear the stage of records about to move backwards.

        Answers, by position in ``ops``, the ops whose clearing failed; those are not written.
        """
        moving = [
            i
            for i, op in enumerate(ops)
            if op.kind is not WriteKind.CREATE and wire_value(op.fields.get(LIFECYCLE)) != ""
        ]
        if not moving:
            return {}
        # What the engine read just before planning is current enough: only ops without it
        # cost a read (a known-absent record has no stage to clear).
        unknown = [i for i in moving if ops[i].known is None]
        current = self._current_stages(object_type, ops, unknown) if unknown else {}
        for i in moving:
            known = ops[i].known
            if known is not None and ops[i].id is not None and LIFECYCLE in known:
                current[i] = (ops[i].id or "", known.get(LIFECYCLE))
        backward: list[tuple[int, str]] = []
        for i in moving:
            record_id, stage = current.get(i, (None, None))
            new_rank = self.lifecycle_rank.get(wire_value(ops[i].fields[LIFECYCLE]))
            old_rank = self.lifecycle_rank.get(stage or "")
            if record_id and new_rank is not None and old_rank is not None and new_rank < old_rank:
                backward.append((i, record_id))
        if not backward:
            return {}
        log.info("clearing lifecyclestage of %d %s to move it back", len(backward), object_type)
        clearing = [
            WriteOp(WriteKind.UPDATE, object_type, {LIFECYCLE: ""}, id=record_id, ref=ops[i].ref)
            for i, record_id in backward
        ]
        body = {"inputs": [self._input(op, WriteKind.UPDATE, n) for n, op in enumerate(clearing)]}
        answer = self.api.batch_write("update", object_type, body)
        if answer.ok:
            outcomes = self._map(clearing, WriteKind.UPDATE, answer.data or {})
        else:
            raw = answer.data if isinstance(answer.data, str) else json.dumps(answer.data)
            code, message = vendor_error(Side.HUBSPOT, raw)
            outcomes = [_fail(op, code, message) for op in clearing]
        return {
            i: _fail(
                ops[i],
                outcome.error_code,
                f"could not clear lifecyclestage to move it back: {outcome.error_message}",
                (LIFECYCLE,),
            )
            for (i, _), outcome in zip(backward, outcomes, strict=True)
            if not outcome.ok
        }

    def _current_stages(
        self, object_type: str, ops: list[WriteOp], positions: list[int]
    ) -> dict[int, tuple[str, str | None]]:
        """Position → (record id, current lifecyclestage), read by id or by the upsert key."""
        found: dict[int, tuple[str, str | None]] = {}
        by_key: dict[str | None, list[int]] = {}
        for i in positions:
            op = ops[i]
            by_key.setdefault(None if op.kind is WriteKind.UPDATE else op.key_field, []).append(i)
        for id_property, group in by_key.items():
            keys = [ops[i].id if id_property is None else ops[i].key_value for i in group]
            body: dict[str, Any] = {
                "inputs": [{"id": key} for key in keys],
                "properties": [LIFECYCLE] + ([id_property] if id_property else []),
                "propertiesWithHistory": [],
            }
            if id_property:
                body["idProperty"] = id_property
            data = self.api.batch_read(object_type, body)
            for result in data.get("results") or ():
                props = result.get("properties") or {}
                theirs = result.get("id") if id_property is None else props.get(id_property)
                for i, own in zip(group, keys, strict=True):
                    if theirs is not None and _same(str(theirs), own):
                        found[i] = (str(result.get("id")), props.get(LIFECYCLE))
        return found


def _same(left: str, right: str | None) -> bool:
    # Unique-property values (e-mail above all) are matched without regard to case or spaces.
    return right is not None and str(left).strip().casefold() == str(right).strip().casefold()


def _property_names(data: Any) -> tuple[str, ...]:
    """The properties an error body names (``errors[].context.propertyName``)."""
    if not isinstance(data, Mapping):
        return ()
    names: list[str] = []
    for detail in data.get("errors") or ():
        if isinstance(detail, Mapping):
            names.extend(str(n) for n in (detail.get("context") or {}).get("propertyName") or ())
    return tuple(dict.fromkeys(names))


def _detail_codes(data: Any) -> set[str]:
    if not isinstance(data, Mapping):
        return set()
    return {
        str(detail.get("code"))
        for detail in data.get("errors") or ()
        if isinstance(detail, Mapping) and detail.get("code")
    }
