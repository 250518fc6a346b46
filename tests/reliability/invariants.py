"""What must hold after any crash, and after the restart: each check answers its problems.

- ``duplicates``: no record twice by e-mail or by the partner id it carries, in either system
  (Salesforce keeps the e-mails seeded twice on purpose, and no more);
- ``cursors_behind_writes``: a cursor is never ahead of what was written. Every record whose
  modification time is before a side's cursor position (or at it, among the ids the cursor
  has seen) is reflected on the other side: linked both ways (with its text fields equal
  when the partner is covered by its own cursor too), or in an open dead letter; a HubSpot
  prospect below the handoff gate needs no lead. Records the connector wrote after reading
  them are newer than the cursor, and are read again next time;
- ``dead_letters``: letters only for planted bad records, never two for one record, none
  settled behind the admin's back; once a run has finished, exactly one open letter each;
- ``converged``: every lead but the planted ones has its contact and both agree field by field;
- ``differences``: a recovered run left every record with the values an uninterrupted run
  left (every change present once, none undone by a restart);
- ``quiet``: a run wrote no record (refused writes, such as a planted record tried again,
  write nothing).

Records are read through the emulators' admin API (``records/{object}``), state through the
store's own ``list_cursors`` and ``list_dead_letters``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.clock import parse_instant
from connector.model import Cursor, Side
from connector.state import DeadLetter, DeadLetterStatus, StateStore
from tests.e2e.sync.harness import HUBSPOT_STAGE, TEXT_ROWS, SyncEnv, is_write
from tests.reliability.scene import Planted, contact_key, lead_key

PIPELINE = "leads"
SALES_READY = frozenset({"mql", "sal", "sql"})


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _email(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _state(env: SyncEnv) -> tuple[list[tuple[Side, Cursor]], list[DeadLetter]]:
    if not env.db_path.exists():
        return [], []
    with (
        StateStore.open(env.config().file.state.url) as store,
        store.transaction(readonly=True) as tx,
    ):
        cursors = [(state.side, state.cursor) for state in tx.list_cursors(PIPELINE)]
        letters = tx.list_dead_letters(None, status=None)
    return cursors, letters


def duplicates(env: SyncEnv, planted: Planted) -> list[str]:
    leads, contacts = env.leads(), env.contacts()
    found: list[str] = []
    counted = {
        "lead e-mail": Counter(_email(r.get("Email")) for r in leads),
        "lead HubSpot_Contact_Id__c": Counter(_text(r.get("HubSpot_Contact_Id__c")) for r in leads),
        "contact e-mail": Counter(_email(c.get("email")) for c in contacts),
        "contact salesforce_lead_id": Counter(_text(c.get("salesforce_lead_id")) for c in contacts),
    }
    for what, counter in counted.items():
        for key, times in counter.items():
            allowed = planted.shared_emails.get(key or "", 1) if what == "lead e-mail" else 1
            if key is not None and times > allowed:
                found.append(f"{times} records with {what} {key!r}")
    return found


def _covered(modified: datetime | None, record_id: str, cursor: Cursor) -> bool:
    """Whether the cursor says the connector is done with this version of the record."""
    if cursor.position is None or modified is None:
        return False
    if modified < cursor.position:
        return True
    seen = {token.split(":", 1)[0] for token in cursor.seen_ids}
    return modified == cursor.position and record_id in seen


def _unlinked(lead: Mapping[str, Any], contact: Mapping[str, Any]) -> list[str]:
    where = f"lead {lead['Id']} / contact {contact['id']}"
    found = []
    if contact.get("salesforce_lead_id") != lead["Id"]:
        found.append(f"{where}: salesforce_lead_id {contact.get('salesforce_lead_id')!r}")
    if _text(lead.get("HubSpot_Contact_Id__c")) != contact["id"]:
        found.append(f"{where}: HubSpot_Contact_Id__c {lead.get('HubSpot_Contact_Id__c')!r}")
    return found


def _disagree(lead: Mapping[str, Any], contact: Mapping[str, Any]) -> list[str]:
    where = f"lead {lead['Id']} / contact {contact['id']}"
    found = []
    if _email(lead.get("Email")) != _email(contact.get("email")):
        found.append(f"{where}: e-mail {lead.get('Email')!r} != {contact.get('email')!r}")
    for sf_field, hs_property in TEXT_ROWS:
        if _text(lead.get(sf_field)) != _text(contact.get(hs_property)):
            found.append(
                f"{where}: {sf_field} {lead.get(sf_field)!r} != "
                f"{hs_property} {contact.get(hs_property)!r}"
            )
    return found


@dataclass(frozen=True)
class _Scene:
    """Both systems' records as the admin API shows them, with the stored cursors."""

    leads: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    cursors: dict[Side, Cursor]
    lettered: set[str]

    def settled(self, side: Side, record: Mapping[str, Any]) -> bool:
        """Whether ``side``'s cursor covers the record's current version."""
        cursor = self.cursors.get(side)
        if cursor is None:
            return False
        if side is Side.SALESFORCE:
            return _covered(parse_instant(str(record["SystemModstamp"])), record["Id"], cursor)
        return _covered(parse_instant(str(record["lastmodifieddate"])), record["id"], cursor)


def cursors_behind_writes(env: SyncEnv) -> list[str]:
    """Records the cursors cover that the other side does not reflect.

    A covered record must be linked both ways with its partner (or sit in an open dead
    letter). Its text fields must equal its partner's when the partner is covered too; a
    partner with a change of its own still to read (a marketer's edit the crashed run had not
    reached) may legitimately differ until then.
    """
    cursors, letters = _state(env)
    if not cursors:
        return []
    scene = _Scene(
        env.leads(),
        env.contacts(),
        dict(cursors),
        {x.record_key for x in letters if x.status is DeadLetterStatus.OPEN},
    )
    contact_by_id = {c["id"]: c for c in scene.contacts}
    lead_by_contact = {
        str(r["HubSpot_Contact_Id__c"]): r for r in scene.leads if r.get("HubSpot_Contact_Id__c")
    }
    found: list[str] = []
    for record in scene.leads:
        if not scene.settled(Side.SALESFORCE, record) or lead_key(record["Id"]) in scene.lettered:
            continue
        partner = contact_by_id.get(str(record.get("HubSpot_Contact_Id__c")))
        if partner is None:
            found.append(
                f"lead {record['Id']} ({record.get('Email')}) is behind the Salesforce cursor "
                "but has no HubSpot contact and no dead letter"
            )
            continue
        problems = _unlinked(record, partner)
        if scene.settled(Side.HUBSPOT, partner):
            problems += _disagree(record, partner)
        found += [f"behind the Salesforce cursor: {p}" for p in problems]
    for record in scene.contacts:
        if not scene.settled(Side.HUBSPOT, record) or contact_key(record["id"]) in scene.lettered:
            continue
        lead = lead_by_contact.get(record["id"])
        stage = HUBSPOT_STAGE.get((record.get("lifecyclestage"), record.get("hs_lead_status")))
        if lead is None:
            # A lead with this e-mail that is still to be read may pair with it later; a lead
            # the cursor covers answers for itself above.
            if record.get("salesforce_lead_id") or stage in SALES_READY:
                found.append(
                    f"contact {record['id']} ({record.get('email')}, {stage}) is behind the "
                    "HubSpot cursor but has no Salesforce lead and no dead letter"
                )
            continue
        problems = _unlinked(lead, record)
        if scene.settled(Side.SALESFORCE, lead):
            problems += _disagree(lead, record)
        found += [f"behind the HubSpot cursor: {p}" for p in problems]
    return found


def dead_letters(env: SyncEnv, planted: Planted, *, complete: bool) -> list[str]:
    """Letters only for planted records, one each; ``complete``: every planted one has it."""
    _, letters = _state(env)
    found: list[str] = []
    per_key = Counter(x.record_key for x in letters)
    expected = planted.record_keys
    for letter in letters:
        if letter.record_key not in expected:
            found.append(
                f"dead letter {letter.id} for a healthy record {letter.record_key}: "
                f"{letter.error_code}: {letter.error_message}"
            )
        elif letter.status is not DeadLetterStatus.OPEN:
            found.append(f"dead letter {letter.id} ({letter.record_key}) is {letter.status}")
    for key, times in per_key.items():
        if times > 1:
            found.append(f"{times} dead letters for {key}")
    if complete:
        found += [
            f"no dead letter for planted record {key}" for key in sorted(expected - set(per_key))
        ]
    return found


def converged(env: SyncEnv, planted: Planted) -> list[str]:
    try:
        env.assert_converged(except_leads=planted.lead_ids)
    except AssertionError as exc:
        return [f"not converged: {line}" for line in str(exc).splitlines()[:5]]
    return []


def written_records(env: SyncEnv) -> list[str]:
    """Write calls of the logged run that wrote records, as ``side METHOD path: n records``."""
    found = []
    for side in Side:
        for entry in env.calls(side):
            if entry["status"] != 0 and is_write(entry) and int(entry["records"]) > 0:
                found.append(f"{side.value} {entry['method']} {entry['path']}: {entry['records']}")
    return found


def quiet(env: SyncEnv) -> list[str]:
    return [f"the final sync wrote again: {line}" for line in written_records(env)]


# What a user sees of a record, for comparing a recovered run with an uninterrupted one (ids
# and modification times differ between runs; these do not).
LEAD_FIELDS = (
    "FirstName",
    "LastName",
    "Company",
    "Title",
    "LeadSource",
    "Status",
    "Disposition_Reason__c",
    "Lead_Score__c",
    "OwnerId",
)
CONTACT_FIELDS = (
    "firstname",
    "lastname",
    "company",
    "jobtitle",
    "lead_source",
    "lifecyclestage",
    "hs_lead_status",
    "lead_disposition_reason",
    "hubspotscore",
    "hubspot_owner_id",
)

# Records by system and e-mail key, each as its values of the fields above (a list, since
# Salesforce keeps the planted duplicates).
Outcome = dict[str, list[tuple[str | None, ...]]]


def outcome(env: SyncEnv) -> Outcome:
    """Every record's user-visible values, keyed by system and e-mail."""
    found: Outcome = {}
    for record in env.leads():
        values = tuple(_text(record.get(name)) for name in LEAD_FIELDS)
        found.setdefault(f"lead {_email(record.get('Email'))}", []).append(values)
    for record in env.contacts():
        values = tuple(_text(record.get(name)) for name in CONTACT_FIELDS)
        found.setdefault(f"contact {_email(record.get('email'))}", []).append(values)
    for kept in found.values():
        kept.sort(key=repr)
    return found


def differences(expected: Outcome, actual: Outcome) -> list[str]:
    """Where ``actual`` differs from what an uninterrupted run left (``expected``)."""
    found = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key, []), actual.get(key, [])
        if want == got:
            continue
        if len(want) != len(got):
            found.append(f"{key}: {len(got)} records, an uninterrupted run left {len(want)}")
            continue
        names = LEAD_FIELDS if key.startswith("lead ") else CONTACT_FIELDS
        for mine, theirs in zip(got, want, strict=True):
            changed = [
                f"{name} {a!r} (uninterrupted: {b!r})"
                for name, a, b in zip(names, mine, theirs, strict=True)
                if a != b
            ]
            if changed:
                found.append(f"{key}: " + ", ".join(changed))
    return found


def problems_after_crash(env: SyncEnv, planted: Planted) -> list[str]:
    return [
        *duplicates(env, planted),
        *cursors_behind_writes(env),
        *dead_letters(env, planted, complete=False),
    ]


def problems_after_recovery(env: SyncEnv, planted: Planted, expected: Outcome | None) -> list[str]:
    """After a run finished: no duplicates, cursors behind writes, every planted record one
    open letter, both sides agreeing, and (``expected``) the values an uninterrupted run left."""
    found = [
        *duplicates(env, planted),
        *cursors_behind_writes(env),
        *dead_letters(env, planted, complete=True),
        *converged(env, planted),
    ]
    if expected is not None:
        found += differences(expected, outcome(env))
    return found


def summary(found: Sequence[str], width: int = 110) -> str:
    """The first problem, cut to ``width``, and how many more there are."""
    first = found[0] if len(found[0]) <= width else found[0][: width - 1] + "…"
    return first + (f" (+{len(found) - 1} more)" if len(found) > 1 else "")
