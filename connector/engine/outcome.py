"""What the writes of one chunk came to, pair by pair, and the dead letters of those that failed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connector.engine.jsonsafe import json_safe
from connector.engine.pairs import Pair, PairPlan, PlannedWrite, Rejection
from connector.state import NewDeadLetter


@dataclass
class Outcome:
    """What the writes of one chunk came to, pair by pair."""

    ok: dict[int, tuple[PairPlan, Pair]] = field(default_factory=dict)
    failed: list[tuple[PairPlan, Rejection, PlannedWrite | None]] = field(default_factory=list)
    links: dict[int, Pair] = field(default_factory=dict)
    _failed_ids: set[int] = field(default_factory=set)
    _link_keys: dict[int, int] = field(default_factory=dict)

    def succeed(self, plan: PairPlan, pair: Pair) -> None:
        key = id(plan.pair)
        if key in self._failed_ids:
            return
        current = self.ok.get(key)
        self.ok[key] = (current[0] if current else plan, self.links.get(key, pair))

    def link(self, plan: PairPlan, pair: Pair) -> None:
        self.links[id(plan.pair)] = pair
        self._link_keys[id(pair)] = id(plan.pair)
        if id(plan.pair) in self.ok:
            self.ok[id(plan.pair)] = (self.ok[id(plan.pair)][0], pair)

    def replan(self, plan: PairPlan) -> None:
        """A follow-up plan replaces the create's plan: its snapshot is the agreed state."""
        # Fix: this searched every link for every follow-up, comparing whole records: a chunk
        # of n creates cost n² comparisons (10,000 new leads: minutes of CPU; see
        # bench/sync_leads.py). A follow-up is planned on the very pair ``link`` stored.
        key = self._link_keys.get(id(plan.pair))
        if key is not None and self.links.get(key) is plan.pair:
            self.ok[key] = (plan, plan.pair)
            return
        for key, pair in self.links.items():
            if pair is plan.pair or (
                pair.salesforce == plan.pair.salesforce and pair.hubspot == plan.pair.hubspot
            ):
                self.ok[key] = (plan, pair)

    def fail(self, plan: PairPlan, rejection: Rejection, write: PlannedWrite | None = None) -> None:
        key = id(plan.pair)
        self._failed_ids.add(key)
        self.ok.pop(key, None)
        if key not in {id(p.pair) for p, _, _ in self.failed}:
            self.failed.append((plan, rejection, write))

    def succeeded(self) -> Iterable[tuple[PairPlan, Pair]]:
        return list(self.ok.values())

    def pairs_to_link(self) -> list[Pair]:
        """Pairs that succeeded with both sides present and no stored link yet."""
        found = []
        for _plan, pair in self.ok.values():
            if pair.link_id is None and pair.salesforce is not None and pair.hubspot is not None:
                found.append(pair)
        return found


def dead_letter(plan: PairPlan, rejection: Rejection, write: PlannedWrite | None) -> NewDeadLetter:
    pair = plan.pair
    record = pair.record(rejection.side) or pair.record(rejection.side.other)
    assert record is not None
    payload: dict[str, Any] = {
        "record": json_safe(dict(record.fields)),
        "source": record.side.value,
    }
    if write is not None:
        payload["write"] = {
            "kind": write.op.kind.value,
            "object": write.op.object,
            "id": write.op.id,
            "key_field": write.op.key_field,
            "key_value": write.op.key_value,
            "fields": json_safe(dict(write.op.fields)),
        }
    if rejection.field:
        payload["field"] = rejection.field
    target_object = write.op.object if write is not None else record.object
    return NewDeadLetter(
        side=rejection.side,
        object=target_object,
        record_key=f"{record.side.value}:{record.object}:{record.id}",
        record_id=record.id,
        payload=payload,
        error_code=rejection.code,
        error_message=rejection.message,
    )
