"""Sync rules, as admins know them from HubSpot's integration, and deciding one row by them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Final, Literal

from connector.model import Side
from connector.transforms import Comparable

SYSTEM_NAMES: Final = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}


class SyncRule(StrEnum):
    """Which way a field flows, as HubSpot's own Salesforce integration names it."""

    TWO_WAY = "two_way"
    PREFER_SALESFORCE_UNLESS_BLANK = "prefer_salesforce_unless_blank"
    ALWAYS_SALESFORCE = "always_salesforce"
    ALWAYS_HUBSPOT = "always_hubspot"
    PREFER_HUBSPOT_UNLESS_BLANK = "prefer_hubspot_unless_blank"
    NONE = "none"

    def writes(self, side: Side) -> bool:
        """Whether this rule can ever write into ``side``."""
        return side in _WRITES[self]


_BOTH = frozenset(Side)
_WRITES: Final[dict[SyncRule, frozenset[Side]]] = {
    SyncRule.TWO_WAY: _BOTH,
    SyncRule.PREFER_SALESFORCE_UNLESS_BLANK: _BOTH,
    SyncRule.PREFER_HUBSPOT_UNLESS_BLANK: _BOTH,
    SyncRule.ALWAYS_SALESFORCE: frozenset({Side.HUBSPOT}),
    SyncRule.ALWAYS_HUBSPOT: frozenset({Side.SALESFORCE}),
    SyncRule.NONE: frozenset(),
}


class NoSnapshot(Enum):
    """The pair was never synced: there is no last-synced value to tell what changed."""

    NO_SNAPSHOT = "no snapshot"


NO_SNAPSHOT: Final = NoSnapshot.NO_SNAPSHOT
Snapshot = Comparable | Literal[NoSnapshot.NO_SNAPSHOT]


@dataclass(frozen=True)
class Decision:
    """What one row of one matched pair needs.

    ``winner`` is the side whose value stands and ``write`` the side to write (the other one),
    both ``None`` when there is nothing to do. ``snapshot`` is the value both sides hold
    afterwards, to remember as last synced (``NO_SNAPSHOT`` for rule ``none``: remember nothing).
    ``reason`` says why, for ``--dry-run``.
    """

    winner: Side | None
    write: Side | None
    snapshot: Snapshot
    reason: str


def decide(
    rule: SyncRule,
    salesforce: Comparable,
    hubspot: Comparable,
    snapshot: Snapshot,
    salesforce_modified: datetime | None,
    hubspot_modified: datetime | None,
) -> Decision:
    """Resolve one row from both sides' values, already in one comparable form.

    ``two_way``: only a side whose value differs from the snapshot has changed; if both have,
    the newer modification wins. Without a snapshot (first sync of a matched pair) the newer
    record wins, except that a blank never overwrites a value. ``prefer_X_unless_blank``: X's
    value unless it is blank. ``always_X``: X's value, even blank. ``none``: never written.
    Ties in time go to Salesforce, the CRM of record.
    """
    if rule is SyncRule.NONE:
        return Decision(None, None, NO_SNAPSHOT, "rule none: never written")
    if salesforce == hubspot:
        return Decision(None, None, salesforce, "both sides agree")
    if rule is SyncRule.ALWAYS_SALESFORCE:
        return _wins(Side.SALESFORCE, salesforce, "always_salesforce")
    if rule is SyncRule.ALWAYS_HUBSPOT:
        return _wins(Side.HUBSPOT, hubspot, "always_hubspot")
    if rule is SyncRule.PREFER_SALESFORCE_UNLESS_BLANK:
        if salesforce is not None:
            return _wins(Side.SALESFORCE, salesforce, "prefer_salesforce_unless_blank")
        return _wins(Side.HUBSPOT, hubspot, "prefer_salesforce_unless_blank: Salesforce is blank")
    if rule is SyncRule.PREFER_HUBSPOT_UNLESS_BLANK:
        if hubspot is not None:
            return _wins(Side.HUBSPOT, hubspot, "prefer_hubspot_unless_blank")
        return _wins(Side.SALESFORCE, salesforce, "prefer_hubspot_unless_blank: HubSpot is blank")
    return _two_way(salesforce, hubspot, snapshot, salesforce_modified, hubspot_modified)


def _two_way(
    salesforce: Comparable,
    hubspot: Comparable,
    snapshot: Snapshot,
    salesforce_modified: datetime | None,
    hubspot_modified: datetime | None,
) -> Decision:
    values = {Side.SALESFORCE: salesforce, Side.HUBSPOT: hubspot}
    if snapshot is NoSnapshot.NO_SNAPSHOT:
        if hubspot is None:
            return _wins(Side.SALESFORCE, salesforce, "first sync: HubSpot is blank")
        if salesforce is None:
            return _wins(Side.HUBSPOT, hubspot, "first sync: Salesforce is blank")
        newer = _newer(salesforce_modified, hubspot_modified)
        return _wins(
            newer, values[newer], f"first sync: the newer record ({SYSTEM_NAMES[newer]}) wins"
        )
    salesforce_changed = salesforce != snapshot
    hubspot_changed = hubspot != snapshot
    if salesforce_changed and not hubspot_changed:
        return _wins(Side.SALESFORCE, salesforce, "two_way: changed in Salesforce")
    if hubspot_changed and not salesforce_changed:
        return _wins(Side.HUBSPOT, hubspot, "two_way: changed in HubSpot")
    newer = _newer(salesforce_modified, hubspot_modified)
    return _wins(
        newer,
        values[newer],
        f"two_way: changed on both sides, the newer ({SYSTEM_NAMES[newer]}) wins",
    )


def _newer(salesforce_modified: datetime | None, hubspot_modified: datetime | None) -> Side:
    if hubspot_modified is None:
        return Side.SALESFORCE
    if salesforce_modified is None or hubspot_modified > salesforce_modified:
        return Side.HUBSPOT
    return Side.SALESFORCE


def _wins(side: Side, value: Comparable, reason: str) -> Decision:
    return Decision(side, side.other, value, reason)
