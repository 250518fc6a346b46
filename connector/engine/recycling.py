"""The recycle sweep: records whose recycle date has come return to ``prospect`` in both systems.

A recycle date arrives without any record changing, so no incremental read would ever bring the
record back. Once a day (the first cycle of the day, by the pipeline's clock) the leads pipeline
asks HubSpot for the contacts whose ``recycle_date`` is today or earlier (crmsync writes the
date to both systems, and a converted lead's date lives only in HubSpot) and runs them through
the cycle like any change: the taxonomy step sees the date has come and writes ``prospect`` to
both systems, with audit entries, while the cursors stay where they are.

The sweep costs one search a day when nothing is due. Its progress is a checkpoint
(``recycle`` of the pipeline's HubSpot side) holding the last day swept; a sweep that stops
midway is simply run again by the next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from connector.model import Side
from connector.systems.base import chunked
from connector.taxonomy import Taxonomy

if TYPE_CHECKING:
    from connector.engine.cycle import Cycle, CycleResult

log = logging.getLogger(__name__)

CHECKPOINT = "recycle"
SEARCH_PAGE = 200
# One search query pages through at most this many results (HubSpot's search cap).
SEARCH_CAP = 10_000


@runtime_checkable
class SearchApi(Protocol):
    """HubSpot's CRM search, as the HubSpot adapter's API layer offers it."""

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]: ...


def search_api(system: object) -> SearchApi | None:
    """The HubSpot adapter's search, if ``system`` has one (the engine's Protocol has none)."""
    api = getattr(system, "api", None)
    return api if isinstance(api, SearchApi) else None


class RecycleSweep:
    """``after_run`` of a leads pipeline: bring back what is due, once a day."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy

    def __call__(self, cycle: Cycle, result: CycleResult) -> None:
        search = search_api(cycle.hubspot)
        if search is None:
            return
        today = cycle.clock().date()
        with cycle.store.transaction(readonly=True) as tx:
            token = tx.get_checkpoint(cycle.pipeline, Side.HUBSPOT, CHECKPOINT)
        swept = token.get("swept") if isinstance(token, dict) else None
        if isinstance(swept, str) and swept >= today.isoformat():
            return
        due = list(self._due(search, cycle.object(Side.HUBSPOT), today))
        system = cycle.system(Side.HUBSPOT)
        for batch in chunked(due, system.limits.read_by_ids_batch):
            records = system.read_by_ids(
                cycle.object(Side.HUBSPOT), batch, cycle.fields(Side.HUBSPOT)
            )
            if records:
                cycle.process(Side.HUBSPOT, records, None, result)
            if cycle.should_stop():
                return
        if due:
            log.info("%s: %d record(s) due for recycling on %s", cycle.pipeline, len(due), today)
        if not cycle.dry_run:
            with cycle.store.transaction() as tx:
                tx.set_checkpoint(
                    cycle.pipeline, Side.HUBSPOT, CHECKPOINT, {"swept": today.isoformat()}
                )

    def _due(self, search: SearchApi, object_type: str, today: date) -> Iterator[str]:
        """Ids of the records whose recycle date is ``today`` or earlier, ascending.

        Windowed by id, so any number of them is read past the search cap.
        """
        prop = self.taxonomy.hubspot_fields.recycle_date
        # A date property is searched as epoch milliseconds at midnight UTC.
        until = datetime(today.year, today.month, today.day, tzinfo=UTC)
        until_ms = int(until.timestamp() * 1000)
        last_id: int | None = None
        while True:
            filters: list[dict[str, str]] = [
                {"propertyName": prop, "operator": "LTE", "value": str(until_ms)}
            ]
            if last_id is not None:
                filters.append(
                    {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}
                )
            after: str | None = None
            read = 0
            capped = False
            while True:
                body: dict[str, Any] = {
                    "filterGroups": [{"filters": filters}],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    "properties": ["hs_object_id"],
                    "limit": SEARCH_PAGE,
                }
                if after is not None:
                    body["after"] = after
                answer = search.search(object_type, body)
                for found in answer.get("results") or ():
                    object_id = str(found.get("id"))
                    if object_id.isdigit():
                        last_id = max(last_id or 0, int(object_id))
                    read += 1
                    yield object_id
                after = ((answer.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
                if read >= SEARCH_CAP:
                    capped = True
                    break
            if not capped:
                return
