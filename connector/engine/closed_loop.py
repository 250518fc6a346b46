"""Closed loop: a converted lead's opportunity, told to its HubSpot contact and deal.

Two follow-ups carry it, one per pipeline:

- :class:`OpportunityWatch` (``after_run`` of the leads pipeline). The leads mapping copies the
  converted lead's opportunity to the contact (``ConvertedOpportunity.StageName`` and friends
  → ``closed_loop_*``, and the stage: won → customer, lost → disqualified/lost_deal). But an
  opportunity's change does not touch its lead's ``SystemModstamp``, so no incremental read of
  leads sees it. The watch reads Opportunity changes since its own cursor (``Opportunity`` of
  the leads pipeline's Salesforce side), finds the leads converted into them
  (``ConvertedOpportunityId IN (...)``) and runs those leads through the leads cycle, cursors
  untouched: snapshots, echoes, audit entries and dead letters work as for any change. A
  quiet cycle costs it one query.
- :class:`DealAssociations` (``after_write`` of the opportunities pipeline). Once a deal is
  upserted and first linked, it is associated (HubSpot v4, default type) with the contacts of
  its opportunity: the converted lead's HubSpot contact, and the contacts of its contact roles.
  A refused association fails the opportunity's pair into dead letters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from connector.engine.cursors import advance, after_cursor
from connector.engine.pairs import Pair, PairPlan, Rejection
from connector.mapping import FieldMap
from connector.model import Record, Side
from connector.systems.base import chunked

if TYPE_CHECKING:
    from connector.engine.cycle import Cycle, CycleResult

# Lead's standard lookup to the opportunity its conversion created, and its relationship name.
CONVERTED_OPPORTUNITY_ID = "ConvertedOpportunityId"
CONVERTED_OPPORTUNITY = "ConvertedOpportunity."
OPPORTUNITY = "Opportunity"
# Where Salesforce keeps the HubSpot contact id (design §3: Lead.HubSpot_Contact_Id__c; the
# contacts pipeline writes the same field on Contact).
HUBSPOT_CONTACT_ID = "HubSpot_Contact_Id__c"
CONTACT_ROLE = "OpportunityContactRole"


class OpportunityWatch:
    """``after_run`` of a leads pipeline: converted leads whose opportunity changed, re-synced."""

    def __init__(self, field_map: FieldMap) -> None:
        self.fields = opportunity_fields(field_map)

    def __call__(self, cycle: Cycle, result: CycleResult) -> None:
        if not self.fields:
            return
        salesforce = cycle.system(Side.SALESFORCE)
        with cycle.store.transaction(readonly=True) as tx:
            cursor = tx.get_cursor(cycle.pipeline, Side.SALESFORCE, OPPORTUNITY)
        changes = salesforce.read_changes(OPPORTUNITY, self.fields, cursor.position)
        changed = list(after_cursor(changes, cursor))
        for batch in chunked(changed, salesforce.limits.read_by_ids_batch):
            leads = salesforce.find_by_values(
                cycle.object(Side.SALESFORCE),
                CONVERTED_OPPORTUNITY_ID,
                [o.id for o in batch],
                cycle.fields(Side.SALESFORCE),
            )
            # A lead that already failed in this run would only fail again.
            side = Side.SALESFORCE.value
            leads = [r for r in leads if f"{side}:{r.object}:{r.id}" not in result.failed_keys]
            if leads:
                cycle.process(Side.SALESFORCE, leads, None, result)
            if cycle.dry_run:
                continue
            cursor = advance(cursor, batch)
            with cycle.store.transaction() as tx:
                tx.set_cursor(cycle.pipeline, Side.SALESFORCE, OPPORTUNITY, cursor)
            if cycle.should_stop():
                return


def opportunity_fields(field_map: FieldMap) -> tuple[str, ...]:
    """The Opportunity fields a leads mapping reads through ``ConvertedOpportunity.``."""
    if field_map.salesforce_object != "Lead":
        return ()
    names = [
        name.removeprefix(CONVERTED_OPPORTUNITY)
        for name in field_map.salesforce_fields()
        if name.startswith(CONVERTED_OPPORTUNITY)
    ]
    return tuple(dict.fromkeys(names))


# --- deal ↔ contact associations ---------------------------------------------------------------

# HubSpot's v4 batch association calls take 100 pairs.
ASSOCIATION_BATCH = 100


class Answer(Protocol):
    """A HubSpot answer as the adapter's API layer returns it."""

    @property
    def ok(self) -> bool: ...
    @property
    def data(self) -> Any: ...


@runtime_checkable
class AssociationApi(Protocol):
    """HubSpot's v4 default associations, as the HubSpot adapter's API layer offers them.

    The engine's Protocol has no association call, and the adapter's own ``associate`` takes
    one source record per call; pairs of many deals and contacts go 100 to a call here.
    """

    def associate_default(self, from_type: str, to_type: str, body: dict[str, Any]) -> Answer: ...


class DealAssociations:
    """``after_write`` of an opportunities pipeline: each deal, once linked, gets its contacts."""

    def __init__(self, contacts_object: str = "contacts") -> None:
        self.contacts_object = contacts_object

    def __call__(
        self, cycle: Cycle, succeeded: Sequence[tuple[PairPlan, Pair]]
    ) -> list[tuple[PairPlan, Rejection]]:
        api = getattr(cycle.system(Side.HUBSPOT), "api", None)
        if not isinstance(api, AssociationApi):
            return []
        # A pair linked before was associated then; a new link (a deal just created, or found
        # again after a crash before the link was stored) is associated now. HubSpot answers an
        # association that already exists as made, so doing it twice is harmless.
        fresh = [
            (plan, pair)
            for plan, pair in succeeded
            if pair.link_id is None and pair.salesforce is not None and pair.hubspot is not None
        ]
        if not fresh:
            return []
        contacts = self._contacts(
            cycle, [pair.salesforce.id for _, pair in fresh if pair.salesforce]
        )
        wanted: list[tuple[PairPlan, Pair, str]] = []
        for plan, pair in fresh:
            assert pair.salesforce is not None
            wanted += [(plan, pair, c) for c in sorted(contacts.get(pair.salesforce.id, ()))]
        refused: dict[int, tuple[PairPlan, Rejection]] = {}
        deals = cycle.object(Side.HUBSPOT)
        for batch in chunked(wanted, ASSOCIATION_BATCH):
            inputs = [(_deal_id(pair), contact) for _, pair, contact in batch]
            answer = api.associate_default(
                deals,
                self.contacts_object,
                {"inputs": [{"from": {"id": d}, "to": {"id": c}} for d, c in inputs]},
            )
            for (plan, pair, contact), problem in zip(
                batch, _problems(answer, inputs), strict=True
            ):
                if problem is None or id(plan) in refused:
                    continue
                code, text = problem
                message = (
                    f"{pair.label}: the deal could not be associated with HubSpot contact "
                    f"{contact}: {text}"
                )
                refused[id(plan)] = (plan, Rejection(Side.HUBSPOT, code, message))
        return list(refused.values())

    def _contacts(self, cycle: Cycle, opportunity_ids: list[str]) -> Mapping[str, set[str]]:
        """HubSpot contact ids per opportunity: its converted lead's, and its contact roles'."""
        salesforce = cycle.system(Side.SALESFORCE)
        found: dict[str, set[str]] = {}
        for batch in chunked(opportunity_ids, salesforce.limits.read_by_ids_batch):
            wanted = [CONVERTED_OPPORTUNITY_ID, HUBSPOT_CONTACT_ID]
            leads = salesforce.find_by_values("Lead", CONVERTED_OPPORTUNITY_ID, batch, wanted)
            _collect(found, leads, CONVERTED_OPPORTUNITY_ID, HUBSPOT_CONTACT_ID)
            via_contact = f"Contact.{HUBSPOT_CONTACT_ID}"
            roles = salesforce.find_by_values(
                CONTACT_ROLE, "OpportunityId", batch, ["OpportunityId", via_contact]
            )
            _collect(found, roles, "OpportunityId", via_contact)
        return found


def _deal_id(pair: Pair) -> str:
    assert pair.hubspot is not None
    return pair.hubspot.id


def _problems(answer: Answer, inputs: list[tuple[str, str]]) -> list[tuple[str, str] | None]:
    """Per input pair: ``None`` if associated, else HubSpot's code and message."""
    data = answer.data if isinstance(answer.data, dict) else {}
    if not answer.ok:
        code = str(data.get("category") or "ASSOCIATION_REFUSED")
        text = str(data.get("message") or answer.data)
        return [(code, text)] * len(inputs)
    # Each pair is answered in both directions, so either end may be the deal.
    done: set[frozenset[str]] = set()
    for result in data.get("results") or ():
        ends = (result.get("from") or {}, result.get("to") or {})
        done.add(frozenset(str(end.get("id")) for end in ends))
    errors = list(data.get("errors") or ())
    problems: list[tuple[str, str] | None] = []
    for deal, contact in inputs:
        if frozenset((deal, contact)) in done:
            problems.append(None)
            continue
        # An error names the ids it concerns somewhere in its context.
        error = next((e for e in errors if {deal, contact} & _context_ids(e)), None)
        if error is None:
            problems.append(("NO_RESULT", "HubSpot did not answer for this pair"))
        else:
            code = str(error.get("category") or "ASSOCIATION_REFUSED")
            problems.append((code, str(error.get("message", ""))))
    return problems


def _context_ids(error: Mapping[str, Any]) -> set[str]:
    context = error.get("context") or {}
    return {str(v) for values in context.values() for v in (values or ())}


def _collect(found: dict[str, set[str]], records: Iterable[Record], key: str, value: str) -> None:
    for record in records:
        opportunity: Any = record.get(key)
        contact: Any = record.get(value)
        if opportunity and contact:
            found.setdefault(str(opportunity), set()).add(str(contact))
