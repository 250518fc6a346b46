"""The recycle queue: who returns to nurture and when, and whose contract ends soon.

Recycle dates are the ones crmsync wrote (``Recycle_Date__c``, ``recycle_date``); contract end
dates are what sales entered. A contract ending within the window is a renewal to prepare for:
the moment a competitor's customer may be ready to talk.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from connector.report.model import RecycleEntry, RecycleQueue, RenewalEntry
from connector.report.records import (
    Classified,
    contract_end,
    person,
    recycle_date,
    stage_label,
)
from connector.taxonomy import Stage, Taxonomy

RENEWAL_WINDOW_DAYS = 90


def recycle_queue(
    taxonomy: Taxonomy,
    records: Iterable[Classified],
    today: date,
    window_days: int = RENEWAL_WINDOW_DAYS,
) -> RecycleQueue:
    """Disqualified records with a recycle date, soonest first; contracts ending in the window."""
    returns: list[RecycleEntry] = []
    renewals: list[RenewalEntry] = []
    horizon = today + timedelta(days=window_days)
    for item in records:
        if item.stage is Stage.DISQUALIFIED and item.reason is not None:
            on = recycle_date(taxonomy, item.record)
            if on is not None:
                returns.append(
                    RecycleEntry(person(item.record), item.reason, on, (on - today).days)
                )
        end = contract_end(taxonomy, item.record)
        if end is not None and today <= end <= horizon:
            renewals.append(
                RenewalEntry(
                    person(item.record), stage_label(item.reading), end, (end - today).days
                )
            )
    returns.sort(key=lambda e: (e.recycle_on, e.person.name.casefold(), e.person.id))
    renewals.sort(key=lambda e: (e.contract_end, e.person.name.casefold(), e.person.id))
    return RecycleQueue(tuple(returns), tuple(renewals), window_days)
