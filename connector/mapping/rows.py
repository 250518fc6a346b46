"""Compiled rows: one field pair's transforms both ways, compared in one form and resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.errors import InvariantBroken
from connector.mapping.rules import SYSTEM_NAMES, Decision, Snapshot, SyncRule, decide
from connector.model import Side
from connector.transforms import (
    Comparable,
    Transform,
    TransformContext,
    ValueRejected,
    comparable,
    hubspot_wire,
    salesforce_wire,
)


@dataclass(frozen=True)
class Resolution:
    """A row resolved for one matched pair.

    Both sides in comparable form, the decision, and the value to write into ``decision.write``
    in that system's wire form (``None`` when there is nothing to write).
    """

    row: FieldRow
    salesforce: Comparable
    hubspot: Comparable
    decision: Decision
    value: Any = None


@dataclass(frozen=True)
class FieldRow:
    """One compiled ``[[fields]]`` row: its rule and its transforms in each direction.

    Values are compared in the form of the side the rule writes (HubSpot's when it can write
    both), so that what was written reads back equal and nothing is written twice.
    """

    salesforce: str
    hubspot: str
    rule: SyncRule
    label: str
    _to_hubspot: Transform | None = field(repr=False, compare=False)
    _to_salesforce: Transform | None = field(repr=False, compare=False)
    _hubspot_form: Transform = field(repr=False, compare=False)
    _salesforce_form: Transform = field(repr=False, compare=False)

    def writes(self, side: Side) -> bool:
        return self.rule.writes(side)

    def to_hubspot(self, value: Any, ctx: TransformContext) -> str:
        """A Salesforce value as HubSpot is to be sent it (text; ``""`` clears)."""
        transform = self._direction(self._to_hubspot, Side.HUBSPOT)
        try:
            return hubspot_wire(transform(value, ctx))
        except ValueRejected as exc:
            raise self._blame(exc, Side.SALESFORCE) from None

    def to_salesforce(self, value: Any, ctx: TransformContext) -> Any:
        """A HubSpot value as Salesforce is to be sent it (``None`` clears)."""
        transform = self._direction(self._to_salesforce, Side.SALESFORCE)
        try:
            return salesforce_wire(transform(value, ctx))
        except ValueRejected as exc:
            raise self._blame(exc, Side.HUBSPOT) from None

    def value_for(self, target: Side, value: Any, ctx: TransformContext) -> Any:
        """The other side's ``value`` as ``target`` is to be sent it."""
        if target is Side.HUBSPOT:
            return self.to_hubspot(value, ctx)
        return self.to_salesforce(value, ctx)

    @staticmethod
    def comparable(value: Any) -> Comparable:
        return comparable(value)

    def comparable_pair(
        self, salesforce: Any, hubspot: Any, ctx: TransformContext
    ) -> tuple[Comparable, Comparable]:
        """Both sides' values in the one form this row compares them in."""
        resolution = self._forms(salesforce, hubspot, ctx)
        return resolution[0], resolution[1]

    def resolve(
        self,
        salesforce: Any,
        hubspot: Any,
        snapshot: Snapshot,
        salesforce_modified: datetime | None,
        hubspot_modified: datetime | None,
        ctx: TransformContext,
    ) -> Resolution:
        """Compare, decide, and produce the value to write, for one matched pair.

        Raises a ``ValueRejected`` (dead letter) when a value cannot be converted, an owner has
        no counterpart, or a value is missing from a value map.
        """
        sf_form, hs_form, converted = self._forms(salesforce, hubspot, ctx)
        decision = decide(
            self.rule, sf_form, hs_form, snapshot, salesforce_modified, hubspot_modified
        )
        value: Any = None
        if decision.write in converted:
            value = converted[decision.write]
        elif decision.write is not None:
            source = hubspot if decision.write is Side.SALESFORCE else salesforce
            value = self.value_for(decision.write, source, ctx)
        return Resolution(self, sf_form, hs_form, decision, value)

    def _forms(
        self, salesforce: Any, hubspot: Any, ctx: TransformContext
    ) -> tuple[Comparable, Comparable, dict[Side, Any]]:
        if self.rule.writes(Side.HUBSPOT):
            as_hubspot = self.to_hubspot(salesforce, ctx)
            hubspot_form = self._canonical(self._hubspot_form, hubspot, ctx)
            return comparable(as_hubspot), hubspot_form, {Side.HUBSPOT: as_hubspot}
        if self.rule.writes(Side.SALESFORCE):
            as_salesforce = self.to_salesforce(hubspot, ctx)
            salesforce_form = self._canonical(self._salesforce_form, salesforce, ctx)
            return salesforce_form, comparable(as_salesforce), {Side.SALESFORCE: as_salesforce}
        return comparable(salesforce), comparable(hubspot), {}

    @staticmethod
    def _canonical(form: Transform, value: Any, ctx: TransformContext) -> Comparable:
        # The side about to be overwritten may hold anything; a value that does not parse simply
        # compares unequal, and is overwritten.
        try:
            return comparable(form(value, ctx))
        except ValueRejected:
            return comparable(value)

    def _direction(self, transform: Transform | None, target: Side) -> Transform:
        if transform is None:
            raise InvariantBroken(
                f"{self.label}: rule {self.rule} never writes {SYSTEM_NAMES[target]}, "
                "so this row has no transform towards it"
            )
        return transform

    def _blame(self, exc: ValueRejected, source: Side) -> ValueRejected:
        names = {Side.SALESFORCE: self.salesforce, Side.HUBSPOT: self.hubspot}
        target = source.other
        context = f"{SYSTEM_NAMES[source]} {names[source]} → {SYSTEM_NAMES[target]} {names[target]}"
        return exc.for_field(names[source], context)


@dataclass(frozen=True)
class Identity:
    """How two records are matched when no id link exists yet: one field on each side."""

    salesforce: str
    hubspot: str
    _normalize: Transform = field(repr=False, compare=False)

    def key(self, value: Any) -> str | None:
        """``value`` as a match key (``None`` when blank: a blank matches nothing)."""
        return comparable(self._normalize(value, TransformContext()))
