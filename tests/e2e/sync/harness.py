"""A sync test bench: both emulators, a config for them, and the moves users and admins make.

``SyncEnv`` is what the e2e sync tests and the convergence property test drive. It seeds both
systems through the admin API, edits records as people do (the admin ``update`` endpoints,
which stamp a new modification time like an edit in the UI), runs ``crmsync sync`` in-process
(``sync_pipelines``) or as a subprocess, and reads back what each system holds and what it was
asked (the request log).

Time: ``CRMSYNC_NOW`` is pinned before every run a little ahead of the emulators' clocks, so the
HubSpot adapter's search-lag margin never hides a record a test has just written. Sleeps of the
HTTP layer (backoff, ``Retry-After``, rate pacing) are simulated: they return at once and move
the emulators' clocks on by the same amount, so the emulated rate limits see the time pass.
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connector.clock import ENV_VAR, parse_instant
from connector.config import Config, config_from_text
from connector.emulators.run import RunningEmulators, config_text, emulators
from connector.engine.cycle import CycleResult
from connector.mapping import compile_mapping
from connector.model import CallStats, Side
from connector.state import DeadLetter, StateStore
from connector.systems import factory
from tests.e2e.cli import REPO, Result, crmsync
from tests.fakes import EmulatorAdmin, FakeTime

MAPPINGS = REPO / "mappings"
# How far ahead of the emulators' clocks a run's "now" is pinned: more than the HubSpot
# adapter's search-lag margin (5 s) plus any simulated waits a fault test makes.
AHEAD = timedelta(minutes=30)

ANN_EMAIL = "ann.lee@team.example"
BO_EMAIL = "bo.park@team.example"
CY_EMAIL = "cy.diaz@team.example"

# Salesforce Lead.Status and HubSpot lifecyclestage/hs_lead_status for each canonical stage,
# as DESIGN.md §3 lists the defaults: written out here, not taken from the engine.
SALESFORCE_STAGE = {
    "Nurture": "prospect",
    "Open - Not Contacted": "mql",
    "Working - Contacted": "sal",
    "Qualified": "sql",
    "Closed - Not Converted": "disqualified",
}
HUBSPOT_STAGE: dict[tuple[Any, Any], str] = {
    ("lead", "NEW"): "prospect",
    ("marketingqualifiedlead", "OPEN"): "mql",
    ("marketingqualifiedlead", "IN_PROGRESS"): "sal",
    ("salesqualifiedlead", "CONNECTED"): "sql",
    ("other", "UNQUALIFIED"): "disqualified",
    ("other", "BAD_TIMING"): "disqualified",
}
# Lead field -> contact property, two-way or flowing one way, compared after a sync.
TEXT_ROWS = (
    ("FirstName", "firstname"),
    ("LastName", "lastname"),
    ("Company", "company"),
    ("Title", "jobtitle"),
    ("LeadSource", "lead_source"),
)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# POSTs that only read (or log in): HubSpot search and batch read, Salesforce's token, SOAP
# login, a Bulk query job and the sObject Collections retrieve (POST /composite/sobjects/Lead).
READ_ONLY_POSTS = (
    "/search",
    "/batch/read",
    "/services/oauth2/token",
    "/services/Soap/",
    "/jobs/query",
)


def is_write(entry: Mapping[str, Any]) -> bool:
    """Whether a logged API call asked the system to change something."""
    method = str(entry["method"]).upper()
    path = str(entry["path"])
    if method not in WRITE_METHODS:
        return False
    if method == "POST" and any(marker in path for marker in READ_ONLY_POSTS):
        return False
    # POST /composite/sobjects/{object} is the Collections retrieve; a create has no object.
    return not (method == "POST" and path.rstrip("/").split("/")[-2] == "sobjects")


def lead(n: int, **fields: Any) -> dict[str, Any]:
    """A Salesforce lead ready for sales (mql), owned by Ann unless ``fields`` say otherwise."""
    record: dict[str, Any] = {
        "FirstName": f"Lena{n}",
        "LastName": f"Sato{n}",
        "Email": f"lena{n}@buyer.example",
        "Company": f"Buyer {n} Ltd",
        "Title": "Head of Operations",
        "Status": "Open - Not Contacted",
        "LeadSource": "Web",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def contact(n: int, **properties: Any) -> dict[str, Any]:
    """HubSpot contact properties: a prospect below the lead definition's score unless told."""
    record: dict[str, Any] = {
        "email": f"hugo{n}@prospect.example",
        "firstname": f"Hugo{n}",
        "lastname": f"Berg{n}",
        "company": f"Prospect {n} AB",
        "jobtitle": "Engineer",
        "hubspotscore": "20",
        "lifecyclestage": "lead",
        "hs_lead_status": "NEW",
    }
    record.update(properties)
    return {k: v for k, v in record.items() if v is not None}


def mql_contact(n: int, **properties: Any) -> dict[str, Any]:
    """A contact marketing has qualified: it passes the handoff gate."""
    return contact(
        n,
        **{"lifecyclestage": "marketingqualifiedlead", "hs_lead_status": "OPEN", **properties},
    )


@dataclass
class Team:
    """Who owns records: Ann has a login in both systems, Bo only in Salesforce, Cy only in
    HubSpot."""

    ann_user: str
    bo_user: str
    ann_owner: str
    cy_owner: str


@dataclass
class SyncEnv:
    """One test's view of both emulators, its own state database and config."""

    running: RunningEmulators
    root: Path
    sf: EmulatorAdmin
    hs: EmulatorAdmin
    mappings: Path = MAPPINGS
    time: FakeTime = field(init=False)
    team: Team = field(init=False)
    config_path: Path = field(init=False)
    db_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.time = FakeTime(on_sleep=self.advance)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "state" / "crmsync.db"
        self.config_path = self.root / "crmsync.toml"
        self.write_config()

    # -- setting the scene -------------------------------------------------------------------

    def reset(self) -> None:
        """Both systems back to empty (and the team seeded), a fresh state database."""
        self.sf.reset()
        self.hs.reset()
        if self.db_path.parent.exists():
            shutil.rmtree(self.db_path.parent)
        self.seed_team()

    def seed_team(self) -> Team:
        users = self.sf.seed(
            {
                "User": [
                    # Salesforce keeps an e-mail as typed; owners are matched ignoring case.
                    _user("Ann", "Lee", "Ann.Lee@Team.example"),
                    _user("Bo", "Park", BO_EMAIL),
                ]
            }
        )["User"]
        owners = self.hs.seed(
            {
                "owners": [
                    {"email": ANN_EMAIL, "firstName": "Ann", "lastName": "Lee", "type": "PERSON"},
                    {"email": CY_EMAIL, "firstName": "Cy", "lastName": "Diaz", "type": "PERSON"},
                ]
            }
        )["owners"]
        self.team = Team(users[0], users[1], owners[0], owners[1])
        return self.team

    def use_mappings(self, edit: Callable[[Path], None]) -> Path:
        """A private copy of ``mappings/``, changed by ``edit``; the config points at it."""
        target = self.root / "mappings"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(MAPPINGS, target)
        edit(target)
        self.mappings = target
        self.write_config()
        return target

    def write_config(self) -> None:
        self.config_path.write_text(
            config_text(
                self.running,
                f"sqlite:///{self.db_path}",
                pipelines=["leads"],
                mappings=self.mappings,
            ),
            encoding="utf-8",
        )

    def config(self) -> Config:
        return config_from_text(
            self.config_path.read_text(encoding="utf-8"), self.config_path, environ={}
        )

    def seed_leads(self, leads: Sequence[dict[str, Any]]) -> list[str]:
        owned = [{"OwnerId": self.team.ann_user, **record} for record in leads]
        return list(self.sf.seed({"Lead": owned})["Lead"])

    def seed_contacts(self, contacts: Sequence[dict[str, Any]]) -> list[str]:
        records = [{"properties": dict(properties)} for properties in contacts]
        return list(self.hs.seed({"contacts": records})["contacts"])

    # -- what users do -----------------------------------------------------------------------

    def edit_lead(self, lead_id: str, **fields: Any) -> dict[str, Any]:
        """A sales rep edits a lead in Salesforce."""
        return dict(self.sf.post("/update", {"object": "Lead", "id": lead_id, "fields": fields}))

    def edit_contact(self, contact_id: str, **properties: Any) -> dict[str, Any]:
        """A marketer edits a contact in HubSpot."""
        body = {"object": "contacts", "id": contact_id, "properties": properties}
        return dict(self.hs.post("/update", body))

    def advance(self, seconds: float) -> None:
        """Time passes in both systems."""
        self.sf.post("/clock/advance", {"seconds": seconds})
        self.hs.post("/clock/advance", {"seconds": seconds})

    def start_of_a_second(self) -> None:
        """Move both clocks on to just after a whole second: Salesforce stamps whole seconds,
        so what happens in the next few hundred milliseconds shares one stamp."""
        now = self.emulator_now()
        self.advance(1.0 - now.microsecond / 1_000_000 + 0.001)

    def emulator_now(self) -> datetime:
        stamps = [
            parse_instant(admin.post("/clock/advance", {"seconds": 0})["now"])
            for admin in (self.sf, self.hs)
        ]
        return max(stamps)

    # -- running crmsync ---------------------------------------------------------------------

    def run_now(self) -> str:
        return (self.emulator_now() + AHEAD).isoformat()

    @contextmanager
    def pinned(self, at: datetime | None = None) -> Iterator[str]:
        """``CRMSYNC_NOW`` set for one run (``at``, or ahead of both emulators), then put back."""
        before = os.environ.get(ENV_VAR)
        now = at.isoformat() if at is not None else self.run_now()
        os.environ[ENV_VAR] = now
        try:
            yield now
        finally:
            if before is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = before

    def sync(
        self, pipeline: str = "leads", *, dry_run: bool = False, at: datetime | None = None
    ) -> CycleResult:
        """``crmsync sync --pipeline leads`` in-process (its clock at ``at`` if given)."""
        from connector.engine.runner import sync_pipelines

        config = self.config()
        with self.pinned(at), self.simulated_sleep():
            results = sync_pipelines(config, config.selected(pipeline), dry_run=dry_run)
        assert len(results) == 1
        return results[0]

    def sync_with_pause(
        self,
        between_chunks: Callable[[], None],
        pipeline: str = "leads",
        *,
        stop: bool = False,
    ) -> tuple[CycleResult, CallStats]:
        """One cycle run through the engine's own hook, ``between_chunks`` called after every
        committed chunk (the world moving on mid-cycle); the result and Salesforce's stats.

        ``stop``: the cycle ends after its first committed chunk, as a killed process would.
        """
        from connector.engine.runner import Runner

        config = self.config()
        field_map = compile_mapping(config.mapping_path(config.pipeline(pipeline)))
        with self.pinned(), self.simulated_sleep():
            salesforce, hubspot = factory.build_systems(config)
            with StateStore.open(config.file.state.url) as store:
                cycle = Runner(salesforce, hubspot, store).cycle(pipeline, field_map)

                def pause() -> bool:
                    between_chunks()
                    return stop

                cycle.should_stop = pause
                return cycle.run(), salesforce.stats()

    def cli(self, *args: str) -> Result:
        """``python -m connector <args> --config <this config>`` in a subprocess."""
        return crmsync(
            *args,
            "--config",
            str(self.config_path),
            cwd=self.root,
            # Wide enough that rich does not fold a field's "old → new" line.
            env={ENV_VAR: self.run_now(), "COLUMNS": "240"},
        )

    @contextmanager
    def simulated_sleep(self) -> Iterator[None]:
        """Adapters built by the factory sleep in simulated time (see the module docstring)."""
        original = factory.build_systems

        def build(config: Config, secrets: Any = None, **options: Any) -> Any:
            options.setdefault("sleep", self.time.sleep)
            options.setdefault("monotonic", self.time.monotonic)
            return original(config, secrets, **options)

        factory.build_systems = build
        try:
            yield
        finally:
            factory.build_systems = original

    # -- what the systems hold and were asked --------------------------------------------------

    def leads(self) -> list[dict[str, Any]]:
        return [r for r in self.sf.get("/records/Lead") if not r.get("IsDeleted")]

    def contacts(self) -> list[dict[str, Any]]:
        """Every live contact's properties, with ``id``."""
        return [
            {**r["properties"], "id": str(r["id"])}
            for r in self.hs.get("/records/contacts")
            if not r.get("archived")
        ]

    def clear_log(self) -> None:
        self.sf.clear_requests()
        self.hs.clear_requests()

    def calls(self, side: Side) -> list[dict[str, Any]]:
        admin = self.sf if side is Side.SALESFORCE else self.hs
        return admin.requests()

    def writes(self, side: Side) -> list[dict[str, Any]]:
        return [entry for entry in self.calls(side) if is_write(entry)]

    def write_paths(self, side: Side) -> Counter[tuple[str, str]]:
        """Write calls per (method, path): how many batches each endpoint took."""
        return Counter((e["method"], e["path"]) for e in self.writes(side))

    def state_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the SQLite state file (empty when there is no file)."""
        if not self.db_path.exists():
            return {}
        with sqlite3.connect(self.db_path) as db:
            tables = [
                name
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {
                name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
                for name in tables
            }

    def dead_letters(self) -> list[DeadLetter]:
        url = self.config().file.state.url
        with StateStore.open(url) as store, store.transaction(readonly=True) as tx:
            return list(tx.list_dead_letters(None))

    # -- what a user relies on -----------------------------------------------------------------

    def assert_no_duplicates(
        self,
        *,
        seeded_lead_duplicates: Collection[str] = (),
        seeded_contact_duplicates: Collection[str] = (),
    ) -> None:
        """One lead per e-mail and per HubSpot id; one contact per e-mail and per lead id.

        E-mails a test seeded twice on purpose (lower-cased) are left out on that side only.
        """
        leads, contacts = self.leads(), self.contacts()
        lead_emails = Counter(_email_key(r.get("Email")) for r in leads if r.get("Email"))
        contact_emails = Counter(_email_key(c.get("email")) for c in contacts if c.get("email"))
        by_contact = Counter(
            r["HubSpot_Contact_Id__c"] for r in leads if r.get("HubSpot_Contact_Id__c")
        )
        by_lead = Counter(c["salesforce_lead_id"] for c in contacts if c.get("salesforce_lead_id"))
        twice = {
            "lead e-mail": _repeated(lead_emails, seeded_lead_duplicates),
            "contact e-mail": _repeated(contact_emails, seeded_contact_duplicates),
            "lead HubSpot_Contact_Id__c": _repeated(by_contact, ()),
            "contact salesforce_lead_id": _repeated(by_lead, ()),
        }
        assert not any(twice.values()), twice

    def assert_converged(
        self, *, except_leads: Sequence[str] = ()
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every lead (but ``except_leads``) has its contact, and every mapped field agrees.

        Returns the pairs checked. A contact past the handoff gate has its lead too.
        """
        contacts = {c["id"]: c for c in self.contacts()}
        users = {u["Id"]: str(u["Email"]).lower() for u in self.sf.get("/records/User")}
        owners = {str(o["id"]): str(o["email"]).lower() for o in self.hs.get("/records/owners")}
        pairs = []
        problems: list[str] = []
        linked_contacts: set[str] = set()
        for record in self.leads():
            if record["Id"] in except_leads or record.get("IsConverted"):
                continue
            partner = contacts.get(str(record.get("HubSpot_Contact_Id__c")))
            if partner is None:
                problems.append(f"lead {record['Id']} has no contact")
                continue
            linked_contacts.add(partner["id"])
            pairs.append((record, partner))
            problems += _disagreements(record, partner, users, owners)
        for c in contacts.values():
            stage = HUBSPOT_STAGE.get((c.get("lifecyclestage"), c.get("hs_lead_status")))
            if c["id"] not in linked_contacts and stage in ("mql", "sal", "sql"):
                problems.append(f"contact {c['id']} is {stage} but has no lead")
        assert not problems, "\n".join(problems[:20])
        return pairs


def _disagreements(
    lead: Mapping[str, Any],
    contact: Mapping[str, Any],
    users: Mapping[str, str],
    owners: Mapping[str, str],
) -> list[str]:
    where = f"lead {lead['Id']} / contact {contact['id']}"
    found: list[str] = []
    if contact.get("salesforce_lead_id") != lead["Id"]:
        found.append(f"{where}: salesforce_lead_id {contact.get('salesforce_lead_id')!r}")
    for sf_field, hs_property in TEXT_ROWS:
        sf_value, hs_value = _text(lead.get(sf_field)), _text(contact.get(hs_property))
        if sf_value != hs_value:
            found.append(f"{where}: {sf_field} {sf_value!r} != {hs_property} {hs_value!r}")
    if _email_key(lead.get("Email")) != _email_key(contact.get("email")):
        found.append(f"{where}: Email {lead.get('Email')!r} != email {contact.get('email')!r}")
    if _number(lead.get("Lead_Score__c")) != _number(contact.get("hubspotscore")):
        found.append(
            f"{where}: Lead_Score__c {lead.get('Lead_Score__c')!r} != hubspotscore "
            f"{contact.get('hubspotscore')!r}"
        )
    sf_owner = users.get(str(lead.get("OwnerId")))
    hs_owner = owners.get(str(contact.get("hubspot_owner_id")))
    # An owner with no login on the other side is left as it is (reported, never guessed).
    if sf_owner in owners.values() and sf_owner != hs_owner:
        found.append(f"{where}: owner {sf_owner!r} != {hs_owner!r}")
    sf_stage = SALESFORCE_STAGE.get(str(lead.get("Status")))
    hs_stage = HUBSPOT_STAGE.get((contact.get("lifecyclestage"), contact.get("hs_lead_status")))
    if sf_stage is None or sf_stage != hs_stage:
        found.append(
            f"{where}: Status {lead.get('Status')!r} != {contact.get('lifecyclestage')!r}/"
            f"{contact.get('hs_lead_status')!r}"
        )
    return found


def _repeated(counts: Counter[Any], allowed: Collection[str]) -> list[Any]:
    return [key for key, n in counts.items() if n > 1 and key not in allowed]


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _email_key(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _user(first: str, last: str, email: str) -> dict[str, Any]:
    return {
        "Username": f"{email.lower()}.crm",
        "Email": email,
        "FirstName": first,
        "LastName": last,
        "IsActive": True,
    }


@contextmanager
def running_emulators(root: Path) -> Iterator[RunningEmulators]:
    """Both emulators on loopback (no latency), with their CA and demo secrets under ``root``."""
    with emulators(tls_dir=root / "tls") as running:
        yield running


def admins(running: RunningEmulators) -> tuple[EmulatorAdmin, EmulatorAdmin]:
    return (
        EmulatorAdmin(running.salesforce.url, running.tls.ca_path),
        EmulatorAdmin(running.hubspot.url, running.tls.ca_path),
    )


def make_env(
    running: RunningEmulators, sf: EmulatorAdmin, hs: EmulatorAdmin, root: Path
) -> SyncEnv:
    """A fresh scene: both systems reset, the team seeded, a config and an empty state."""
    env = SyncEnv(running, root, sf, hs)
    env.reset()
    return env
