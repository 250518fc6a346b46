"""Pairs built while matching, and the rejections matching itself can decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.engine.pairs import Pair, PairPlan, Rejection
from connector.model import Record, Side
from connector.state import Link


def make_pair(
    record: Record,
    partner: Record | None,
    link_id: int | None,
    snapshot: Any,
    match_key: str | None = None,
) -> Pair:
    sf = record if record.side is Side.SALESFORCE else partner
    hs = record if record.side is Side.HUBSPOT else partner
    return Pair(salesforce=sf, hubspot=hs, link_id=link_id, snapshot=snapshot, match_key=match_key)


def claimed_partners(pairs: Sequence[Pair], side: Side) -> set[str]:
    """Ids on ``side`` that pairs built so far already use."""
    return {r.id for pair in pairs if (r := pair.record(side)) is not None}


def id_order(record: Record) -> tuple[int, str]:
    return (len(record.id), record.id)


def missing_partner(record: Record, link: Link, other: Side) -> PairPlan:
    partner = link.hubspot_id if other is Side.HUBSPOT else link.salesforce_id
    message = (
        f"{record.object} {record.id} is linked to {other.value} record {partner}, which no "
        "longer exists there (deleted or merged?); not re-created automatically"
    )
    pair = make_pair(record, None, link.id, None)
    return PairPlan(pair=pair, rejection=Rejection(other, "PARTNER_MISSING", message))


def duplicate(dup: Record, first: Record, key: str) -> PairPlan:
    message = (
        f"{dup.object} {dup.id} has the same e-mail ({key}) as {first.object} {first.id} in "
        f"{dup.side.value}; only one can be linked — merge the duplicates"
    )
    return PairPlan(
        pair=make_pair(dup, None, None, None, key),
        rejection=Rejection(dup.side, "DUPLICATE_MATCH_KEY", message),
    )


def already_linked(record: Record, partner: Record, key: str) -> PairPlan:
    message = (
        f"{record.object} {record.id} has the e-mail {key} of {partner.object} {partner.id}, "
        "which is already linked to another record; merge the duplicates"
    )
    return PairPlan(
        pair=make_pair(record, None, None, None, key),
        rejection=Rejection(record.side, "DUPLICATE_MATCH_KEY", message),
    )
