"""A bench for the reliability suites: both emulators, a config, and the checks for "nothing lost".

``Bench`` seeds both systems through the admin API, scripts faults, runs ``crmsync sync``
in-process (``sync_pipelines``, with simulated sleep) or as a subprocess, and reads back what
each system holds. The loss check counts records by e-mail on both sides: every e-mail seeded
must end up exactly once in Salesforce and once in HubSpot, linked to each other, except the
records that were meant to be refused, which must be dead letters (and nothing else may be).

Time: each run's ``CRMSYNC_NOW`` is pinned ahead of the emulators' clocks (so HubSpot's
search-lag margin never hides a record just seeded). In-process runs sleep in simulated time:
a sleep returns at once, is recorded, and moves both emulators' clocks on by as much, so
rate-limit windows pass as they would. Fixtures here are imported by the test modules (this
folder's ``conftest.py`` belongs to another suite).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.clock import ENV_VAR, parse_instant
from connector.config import Config, config_from_text
from connector.emulators.run import SALESFORCE_CLIENT_ID, RunningEmulators, emulators
from connector.engine.cycle import CycleResult
from connector.model import Side
from connector.state import DeadLetter, DeadLetterStatus, StateStore
from connector.systems import factory
from tests.fakes import EmulatorAdmin, FakeTime

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
AHEAD = timedelta(minutes=30)
OWNER_EMAIL = "ann.lee@team.example"
# Lead field -> contact property compared after a sync (two-way text fields).
TEXT_ROWS = (
    ("FirstName", "firstname"),
    ("LastName", "lastname"),
    ("Company", "company"),
    ("Title", "jobtitle"),
)


@dataclass(frozen=True)
class Outcome:
    """What a ``crmsync`` subprocess did."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def lead(n: int, **fields: Any) -> dict[str, Any]:
    """A Salesforce lead ready for sales (mql); ``None`` drops a field."""
    record: dict[str, Any] = {
        "FirstName": f"Lena{n}",
        "LastName": f"Sato{n}",
        "Email": f"lena{n}@buyer.example",
        "Company": f"Buyer {n} Ltd",
        "Title": "Head of Operations",
        "Status": "Open - Not Contacted",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def mql_contact(n: int, **properties: Any) -> dict[str, Any]:
    """A HubSpot contact marketing has qualified: it passes the handoff gate to Salesforce."""
    record: dict[str, Any] = {
        "email": f"hugo{n}@prospect.example",
        "firstname": f"Hugo{n}",
        "lastname": f"Berg{n}",
        "company": f"Prospect {n} AB",
        "jobtitle": "Engineer",
        "hubspotscore": "20",
        "lifecyclestage": "marketingqualifiedlead",
        "hs_lead_status": "OPEN",
    }
    record.update(properties)
    return {k: v for k, v in record.items() if v is not None}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def email_key(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text.lower() or None


@dataclass
class Bench:
    """One test's view of both emulators, with its own state database and config."""

    running: RunningEmulators
    root: Path
    sf: EmulatorAdmin
    hs: EmulatorAdmin
    time: FakeTime = field(init=False)
    config_path: Path = field(init=False)
    db_path: Path = field(init=False)
    owner_user: str = field(init=False, default="")
    # Called with each simulated sleep, after the clocks moved (a test's way to act mid-run).
    on_sleep: list[Callable[[float], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.time = FakeTime(on_sleep=self._slept)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "state" / "crmsync.db"
        self.config_path = self.root / "crmsync.toml"
        self.write_config()

    # -- the scene ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Both systems empty (but for one owner with a login in each), no faults, no state."""
        for admin in (self.sf, self.hs):
            admin.reset()
        if self.db_path.parent.exists():
            shutil.rmtree(self.db_path.parent)
        [self.owner_user] = self.sf.seed(
            {
                "User": [
                    {
                        "Username": "ann.lee@team.example.crm",
                        "Email": OWNER_EMAIL,
                        "FirstName": "Ann",
                        "LastName": "Lee",
                        "IsActive": True,
                    }
                ]
            }
        )["User"]
        self.hs.seed({"owners": [{"email": OWNER_EMAIL, "firstName": "Ann", "lastName": "Lee"}]})

    def write_config(
        self,
        *,
        salesforce: Mapping[str, Any] | None = None,
        hubspot: Mapping[str, Any] | None = None,
        state_url: str | None = None,
        mappings: Path = MAPPINGS,
        secrets: Mapping[str, str] | None = None,
        schedule: str = "5m",
        extra: str = "",
    ) -> Path:
        """The config file: ``salesforce``/``hubspot`` replace, add or (``None``) drop keys.

        ``secrets`` replaces the demo secret files by environment variables: ``client_secret``
        and ``access_token`` name the variables.
        """
        r = self.running
        sf: dict[str, Any] = {
            "login_url": r.salesforce.url,
            "client_id": SALESFORCE_CLIENT_ID,
            "client_secret_file": str(r.secrets_dir / "salesforce_client_secret"),
            "ca_bundle": str(r.tls.ca_path),
        }
        hs: dict[str, Any] = {
            "base_url": r.hubspot.url,
            "access_token_file": str(r.secrets_dir / "hubspot_access_token"),
            "ca_bundle": str(r.tls.ca_path),
        }
        if secrets:
            sf.pop("client_secret_file")
            hs.pop("access_token_file")
            sf["client_secret_env"] = secrets["client_secret"]
            hs["access_token_env"] = secrets["access_token"]
        sf.update(salesforce or {})
        hs.update(hubspot or {})
        text = (
            f"[state]\nurl = {_toml(state_url or f'sqlite:///{self.db_path}')}\n\n"
            f"[salesforce]\n{_section(sf)}\n"
            f"[hubspot]\n{_section(hs)}\n"
            "[[pipelines]]\n"
            'name = "leads"\n'
            'salesforce_object = "Lead"\n'
            'hubspot_object = "contacts"\n'
            f"mapping = {_toml(str(mappings / 'leads.toml'))}\n"
            f"schedule = {_toml(schedule)}\n\n"
            "[daemon]\n"
            f'listen = "127.0.0.1:{free_port()}"\n' + extra
        )
        self.config_path.write_text(text, encoding="utf-8")
        return self.config_path

    def config(self, environ: Mapping[str, str] | None = None) -> Config:
        return config_from_text(
            self.config_path.read_text(encoding="utf-8"), self.config_path, environ=environ or {}
        )

    def seed_leads(self, leads: Sequence[dict[str, Any]]) -> list[str]:
        owned = [{"OwnerId": self.owner_user, **record} for record in leads]
        return list(self.sf.seed({"Lead": owned})["Lead"])

    def seed_contacts(self, contacts: Sequence[dict[str, Any]]) -> list[str]:
        records = [{"properties": dict(properties)} for properties in contacts]
        return list(self.hs.seed({"contacts": records})["contacts"])

    def scene(self, leads: int, contacts: int) -> set[str]:
        """``leads`` Salesforce leads and ``contacts`` qualified HubSpot contacts; their e-mails."""
        self.seed_leads([lead(n) for n in range(leads)])
        self.seed_contacts([mql_contact(n) for n in range(contacts)])
        return {f"lena{n}@buyer.example" for n in range(leads)} | {
            f"hugo{n}@prospect.example" for n in range(contacts)
        }

    def advance(self, seconds: float) -> None:
        """Time passes in both systems."""
        self.sf.post("/clock/advance", {"seconds": seconds})
        self.hs.post("/clock/advance", {"seconds": seconds})

    def emulator_now(self) -> datetime:
        return max(
            parse_instant(admin.post("/clock/advance", {"seconds": 0})["now"])
            for admin in (self.sf, self.hs)
        )

    def run_now(self) -> str:
        return (self.emulator_now() + AHEAD).isoformat()

    # -- running crmsync ---------------------------------------------------------------------

    def sync(self, pipeline: str = "leads", *, dry_run: bool = False) -> CycleResult:
        """``crmsync sync --pipeline leads`` in-process, sleeping in simulated time."""
        from connector.engine.runner import sync_pipelines

        config = self.config()
        with self.pinned(), self.simulated_sleep():
            [result] = sync_pipelines(config, config.selected(pipeline), dry_run=dry_run)
        return result

    def retry_letters(self) -> list[CycleResult]:
        """``crmsync errors retry`` in-process."""
        from connector.engine.runner import retry_dead_letters

        with self.pinned(), self.simulated_sleep():
            return retry_dead_letters(self.config(), [], pipeline=None)

    def cli(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> Outcome:
        """``python -m connector <args> --config <this config>``, as a user runs it."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
        environ[ENV_VAR] = self.run_now()
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "connector", *args, "--config", str(self.config_path)],
            cwd=self.root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
        """``crmsync <args> --config <this config>`` in-process, through the console script's
        ``main`` (errors to one line and an exit code), sleeping in simulated time."""
        from connector import cli

        argv = sys.argv
        sys.argv = ["crmsync", *args, "--config", str(self.config_path)]
        code: int | str | None = 0
        capsys.readouterr()
        try:
            with self.pinned(), self.simulated_sleep():
                cli.main()
        except SystemExit as done:
            code = done.code
        finally:
            sys.argv = argv
        captured = capsys.readouterr()
        return Outcome(int(code or 0), captured.out, captured.err)

    @contextmanager
    def pinned(self) -> Iterator[str]:
        before = os.environ.get(ENV_VAR)
        now = self.run_now()
        os.environ[ENV_VAR] = now
        try:
            yield now
        finally:
            if before is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = before

    @contextmanager
    def simulated_sleep(self) -> Iterator[None]:
        """Adapters built by the factory sleep in simulated time."""
        original = factory.build_systems

        def build(config: Config, secrets: Any = None, **options: Any) -> Any:
            options.setdefault("sleep", self.time.sleep)
            options.setdefault("monotonic", self.time.monotonic)
            return original(config, secrets, **options)

        factory.build_systems = build  # type: ignore[assignment]
        try:
            yield
        finally:
            factory.build_systems = original  # type: ignore[assignment]

    def _slept(self, seconds: float) -> None:
        self.advance(seconds)
        for hook in list(self.on_sleep):
            hook(seconds)

    # -- what the systems hold ---------------------------------------------------------------

    def leads(self) -> list[dict[str, Any]]:
        return [r for r in self.sf.get("/records/Lead") if not r.get("IsDeleted")]

    def contacts(self) -> list[dict[str, Any]]:
        """Every live contact's properties, with ``id``."""
        return [
            {**r["properties"], "id": str(r["id"])}
            for r in self.hs.get("/records/contacts")
            if not r.get("archived")
        ]

    def dead_letters(self) -> list[DeadLetter]:
        with (
            StateStore.open(f"sqlite:///{self.db_path}") as store,
            store.transaction(readonly=True) as tx,
        ):
            return list(tx.list_dead_letters(None, status=DeadLetterStatus.OPEN))

    def calls(self, admin: EmulatorAdmin, method: str, fragment: str) -> list[dict[str, Any]]:
        return admin.calls(method, fragment)

    def dump_state(self) -> str:
        """Every row of every table of the state database, as SQL text."""
        with sqlite3.connect(self.db_path) as conn:
            return "\n".join(conn.iterdump())

    # -- what a user relies on ---------------------------------------------------------------

    def assert_settled(self) -> None:
        """One more cycle reads back the last writes (echoes); the one after writes nothing."""
        self.sync()
        quiet = self.sync()
        writes = {side.value: c.created + c.updated for side, c in quiet.counts.items()}
        assert sum(writes.values()) == 0, f"a settled pair of systems was written to: {writes}"

    def letter_emails(self) -> Counter[str | None]:
        """The e-mail of the source record behind each open dead letter."""
        emails = {f"salesforce:Lead:{r['Id']}": email_key(r.get("Email")) for r in self.leads()}
        emails.update(
            {f"hubspot:contacts:{c['id']}": email_key(c.get("email")) for c in self.contacts()}
        )
        found: Counter[str | None] = Counter()
        for letter in self.dead_letters():
            # The key names the record the letter is about: "side:object:id".
            found[emails.get(letter.record_key, letter.record_key)] += 1
        return found

    def assert_no_loss(
        self,
        expected: set[str],
        *,
        refused: Mapping[str, Side] | None = None,
    ) -> None:
        """Every expected e-mail once on each side and linked; ``refused`` ones (e-mail ->
        the side that refused them) only on their own side, each with a dead letter; no other
        letter."""
        refused = {email_key(k) or k: v for k, v in (refused or {}).items()}
        leads, contacts = self.leads(), self.contacts()
        sf_emails = Counter(email_key(r.get("Email")) for r in leads)
        hs_emails = Counter(email_key(c.get("email")) for c in contacts)
        problems: list[str] = []
        for email in sorted(expected):
            key = email_key(email)
            want_sf = 0 if refused.get(key or "") is Side.SALESFORCE else 1
            want_hs = 0 if refused.get(key or "") is Side.HUBSPOT else 1
            if sf_emails[key] != want_sf:
                problems.append(f"{email}: {sf_emails[key]} lead(s) in Salesforce, want {want_sf}")
            if hs_emails[key] != want_hs:
                problems.append(f"{email}: {hs_emails[key]} contact(s) in HubSpot, want {want_hs}")
        unexpected = (set(sf_emails) | set(hs_emails)) - {email_key(e) for e in expected}
        if unexpected:
            problems.append(f"records nobody seeded: {sorted(map(str, unexpected))}")
        by_id = {c["id"]: c for c in contacts}
        for record in leads:
            key = email_key(record.get("Email"))
            if key in refused:
                continue
            partner = by_id.get(str(record.get("HubSpot_Contact_Id__c")))
            if partner is None:
                problems.append(f"lead {record['Id']} ({key}) is not linked to a contact")
                continue
            if partner.get("salesforce_lead_id") != record["Id"]:
                problems.append(f"contact {partner['id']} does not point back at {record['Id']}")
            for sf_field, hs_property in TEXT_ROWS:
                if _text(record.get(sf_field)) != _text(partner.get(hs_property)):
                    problems.append(
                        f"{key}: {sf_field} {record.get(sf_field)!r} != "
                        f"{hs_property} {partner.get(hs_property)!r}"
                    )
        letters = self.letter_emails()
        if set(letters) != set(refused):
            problems.append(f"dead letters for {dict(letters)}, expected for {sorted(refused)}")
        assert not problems, "\n".join(problems[:25])


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _section(values: Mapping[str, Any]) -> str:
    """TOML lines for a section's keys; a ``None`` value leaves its key out."""
    return "".join(
        f"{key} = {_toml(value)}\n" for key, value in values.items() if value is not None
    )


# -- fixtures (imported by the test modules) ------------------------------------------------


@pytest.fixture(scope="module")
def bench_emulators(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin]]:
    """One emulator pair per test module; each test gets them reset."""
    root = tmp_path_factory.mktemp("reliability-emulators")
    with emulators(tls_dir=root / "tls") as running:
        sf = EmulatorAdmin(running.salesforce.url, running.tls.ca_path)
        hs = EmulatorAdmin(running.hubspot.url, running.tls.ca_path)
        try:
            yield running, sf, hs
        finally:
            sf.close()
            hs.close()


@pytest.fixture
def bench(
    bench_emulators: tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin], tmp_path: Path
) -> Iterator[Bench]:
    running, sf, hs = bench_emulators
    made = Bench(running, tmp_path / "bench", sf, hs)
    made.reset()
    try:
        yield made
    finally:
        for admin in (sf, hs):
            admin.post("/faults/clear")
