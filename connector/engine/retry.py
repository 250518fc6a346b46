"""``crmsync errors retry``: the records behind dead letters, read again and synced again.

The letter names the record (``side:object:id``); the record is read fresh from that side, so a
fix made since (in the data or in the mapping) is what gets written. A letter is marked retried
only after its record went through; a record that fails again keeps its letter open, with one
more attempt counted and the new error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from connector.engine.cycle import CHUNK, CycleResult
from connector.errors import ConfigError
from connector.mapping import FieldMap
from connector.model import Side
from connector.state import DeadLetter, DeadLetterStatus
from connector.systems.base import chunked

if TYPE_CHECKING:
    from connector.engine.runner import Runner


def retry_letters(
    runner: Runner,
    maps: Mapping[str, FieldMap],
    letter_ids: Sequence[int],
    *,
    pipeline: str | None,
) -> list[CycleResult]:
    letters = _select(runner, letter_ids, pipeline)
    by_pipeline: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        by_pipeline.setdefault(letter.pipeline, []).append(letter)
    results = []
    for name, group in by_pipeline.items():
        field_map = maps.get(name)
        if field_map is None:
            raise ConfigError(
                "crmsync errors retry",
                f"dead letter {group[0].id} belongs to pipeline '{name}', which the config no "
                "longer has",
            )
        results.append(_retry_pipeline(runner, name, field_map, group))
    return results


def _select(runner: Runner, letter_ids: Sequence[int], pipeline: str | None) -> list[DeadLetter]:
    with runner.store.transaction(readonly=True) as tx:
        if not letter_ids:
            return list(tx.list_dead_letters(pipeline))
        chosen = []
        for letter_id in letter_ids:
            letter = tx.get_dead_letter(letter_id)
            if letter is None or letter.status is not DeadLetterStatus.OPEN:
                raise ConfigError(
                    "crmsync errors retry", f"no open dead letter with id {letter_id}"
                )
            chosen.append(letter)
        return chosen


def _retry_pipeline(
    runner: Runner, name: str, field_map: FieldMap, letters: list[DeadLetter]
) -> CycleResult:
    cycle = runner.cycle(name, field_map)
    result = CycleResult(name)
    wanted: dict[Side, list[str]] = {Side.SALESFORCE: [], Side.HUBSPOT: []}
    for letter in letters:
        source, _object, record_id = letter.record_key.split(":", 2)
        wanted[Side(source)].append(record_id)
    # A letter names one record, but the change that failed may have come from its partner
    # (a HubSpot edit refused by Salesforce is lettered under the lead). Both sides are read,
    # so whichever holds the change differs from the snapshot and is planned again.
    with runner.store.transaction(readonly=True) as tx:
        to_hubspot = tx.links_by_salesforce_ids(
            name, field_map.salesforce_object, wanted[Side.SALESFORCE]
        )
        to_salesforce = tx.links_by_hubspot_ids(
            name, field_map.hubspot_object, wanted[Side.HUBSPOT]
        )
    wanted[Side.HUBSPOT] += [link.hubspot_id for link in to_hubspot.values()]
    wanted[Side.SALESFORCE] += [link.salesforce_id for link in to_salesforce.values()]
    found: set[str] = set()
    for side, ids in wanted.items():
        system = cycle.system(side)
        for batch in chunked(list(dict.fromkeys(ids)), CHUNK):
            records = system.read_by_ids(cycle.object(side), batch, cycle.fields(side))
            found.update(f"{side.value}:{r.object}:{r.id}" for r in records)
            if records:
                cycle.process(side, records, None, result)
    with runner.store.transaction() as tx:
        for letter in letters:
            # A record that is gone, or failed again, keeps its letter open.
            if letter.record_key in found and letter.record_key not in result.failed_keys:
                tx.mark_dead_letter(letter.id, DeadLetterStatus.RETRIED)
    return result
