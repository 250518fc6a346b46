"""What every benchmark sets up: both emulators on loopback, a config for them, seeded records.

The benchmarks drive the product as a user would (``crmsync sync``/``backfill`` in-process or as
a subprocess) against the emulators, and count what the emulators were asked through their
request logs, never through the connector's own counters: the log is what the vendor would bill.
"""

from __future__ import annotations

import os
import platform
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.peak_rss import ENV_VAR as PEAK_ENV_VAR
from connector.clock import ENV_VAR, parse_instant
from connector.config import Config, config_from_text
from connector.emulators.run import SALESFORCE_CLIENT_ID, RunningEmulators, emulators

REPO = Path(__file__).resolve().parent.parent
MAPPINGS = REPO / "mappings"
# How far ahead of the emulators' clocks a cycle's "now" is pinned: past the HubSpot adapter's
# search-lag margin (5 s), so a cycle sees every change made before it started.
AHEAD = timedelta(minutes=30)
SEED_CHUNK = 5_000
ANN_EMAIL = "ann.lee@team.example"

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# POSTs that only read or log in: HubSpot search and batch read, Salesforce's token and SOAP
# login, a Bulk 2.0 query job, and the sObject Collections retrieve.
READ_ONLY_POSTS = ("/search", "/batch/read", "/services/oauth2/token", "/services/Soap/")

CONFIG = """\
[state]
url = "sqlite:///{state}"

[salesforce]
login_url = "{salesforce}"
client_id = "{client_id}"
client_secret_file = "{secrets}/salesforce_client_secret"
ca_bundle = "{ca}"

[hubspot]
base_url = "{hubspot}"
access_token_file = "{secrets}/hubspot_access_token"
ca_bundle = "{ca}"

[[pipelines]]
name = "leads"
salesforce_object = "Lead"
hubspot_object = "contacts"
mapping = "{mappings}/leads.toml"
"""


class Admin:
    """One emulator's ``/__emulator__/`` admin API over one kept-alive connection."""

    def __init__(self, base_url: str, ca_path: Path) -> None:
        self.client = httpx.Client(
            base_url=f"{base_url}/__emulator__",
            verify=ssl.create_default_context(cafile=str(ca_path)),
            timeout=600.0,
        )

    def post(self, path: str, body: Any = None) -> Any:
        response = self.client.post(path, json=body if body is not None else {})
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        response.raise_for_status()
        return response.json()

    def seed(self, objects: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[str]]:
        return dict(self.post("/seed", {"objects": objects})["ids"])

    def requests(self) -> list[dict[str, Any]]:
        return list(self.get("/requests"))

    def clear_requests(self) -> None:
        self.post("/requests/clear")

    def now(self) -> datetime:
        return parse_instant(self.post("/clock/advance", {"seconds": 0})["now"])

    def close(self) -> None:
        self.client.close()


@dataclass
class Site:
    """Both emulators, their admin APIs, and a config with its own SQLite state."""

    running: RunningEmulators
    root: Path
    sf: Admin
    hs: Admin
    config_path: Path
    db_path: Path
    ann_user: str = ""
    ann_owner: str = ""

    def config(self) -> Config:
        text = self.config_path.read_text(encoding="utf-8")
        return config_from_text(text, self.config_path, environ={})

    def seed_team(self) -> None:
        """Ann owns every record: a user in Salesforce and an owner in HubSpot (same e-mail)."""
        user = {
            "Username": f"{ANN_EMAIL}.crm",
            "Email": ANN_EMAIL,
            "FirstName": "Ann",
            "LastName": "Lee",
            "IsActive": True,
        }
        self.ann_user = self.sf.seed({"User": [user]})["User"][0]
        owner = {"email": ANN_EMAIL, "firstName": "Ann", "lastName": "Lee", "type": "PERSON"}
        self.ann_owner = self.hs.seed({"owners": [owner]})["owners"][0]

    def seed_leads(self, count: int, start: int = 0) -> list[str]:
        """``count`` leads ready for sales (mql), in seed calls of ``SEED_CHUNK``."""
        ids: list[str] = []
        for first in range(start, start + count, SEED_CHUNK):
            last = min(first + SEED_CHUNK, start + count)
            leads = [{**lead(n), "OwnerId": self.ann_user} for n in range(first, last)]
            ids += self.sf.seed({"Lead": leads})["Lead"]
        return ids

    def seed_contacts(self, count: int, start: int = 0) -> list[str]:
        ids: list[str] = []
        for first in range(start, start + count, SEED_CHUNK):
            last = min(first + SEED_CHUNK, start + count)
            contacts = [{"properties": contact(n)} for n in range(first, last)]
            ids += self.hs.seed({"contacts": contacts})["contacts"]
        return ids

    def clear_logs(self) -> None:
        self.sf.clear_requests()
        self.hs.clear_requests()

    def emulator_now(self) -> datetime:
        return max(self.sf.now(), self.hs.now())

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """``CRMSYNC_NOW`` ahead of the emulators for one cycle, then put back as it was."""
        before = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = (self.emulator_now() + AHEAD).isoformat()
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = before


def lead(n: int) -> dict[str, Any]:
    return {
        "FirstName": f"Lena{n}",
        "LastName": f"Sato{n}",
        "Email": f"lena{n}@buyer.example",
        "Company": f"Buyer {n % 997} Ltd",
        "Title": "Head of Operations",
        "Status": "Open - Not Contacted",
        "LeadSource": "Web",
    }


def contact(n: int) -> dict[str, str]:
    return {
        "email": f"hugo{n}@prospect.example",
        "firstname": f"Hugo{n}",
        "lastname": f"Berg{n}",
        "company": f"Prospect {n % 997} AB",
        "jobtitle": "Engineer",
        "hubspotscore": "20",
        "lifecyclestage": "lead",
        "hs_lead_status": "NEW",
    }


@contextmanager
def site(root: Path, *, latency_ms: int = 0) -> Iterator[Site]:
    """Both emulators started empty, the team seeded, a config written under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    with emulators(tls_dir=root / "tls", latency_ms=latency_ms) as running:
        sf = Admin(running.salesforce.url, running.tls.ca_path)
        hs = Admin(running.hubspot.url, running.tls.ca_path)
        db_path = root / "state" / "crmsync.db"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        config_path = root / "crmsync.toml"
        config_path.write_text(
            CONFIG.format(
                state=db_path,
                salesforce=running.salesforce.url,
                hubspot=running.hubspot.url,
                client_id=SALESFORCE_CLIENT_ID,
                secrets=running.secrets_dir,
                ca=running.tls.ca_path,
                mappings=MAPPINGS,
            ),
            encoding="utf-8",
        )
        here = Site(running, root, sf, hs, config_path, db_path)
        here.seed_team()
        try:
            yield here
        finally:
            sf.close()
            hs.close()


def is_write(entry: Mapping[str, Any]) -> bool:
    """Whether a logged API call asked the system to change something."""
    method = str(entry["method"]).upper()
    path = str(entry["path"])
    if method not in WRITE_METHODS:
        return False
    if method == "POST" and any(marker in path for marker in READ_ONLY_POSTS):
        return False
    if method == "POST" and "/jobs/query" in path:
        return False
    # POST /composite/sobjects/{object} is the Collections retrieve; a create names no object.
    return not (method == "POST" and path.rstrip("/").split("/")[-2] == "sobjects")


def is_auth(entry: Mapping[str, Any]) -> bool:
    path = str(entry["path"])
    return "/services/oauth2/token" in path or "/services/Soap/" in path


def machine() -> str:
    """Where a figure was measured: date, CPU, cores, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        f"{today}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {revision()}"
    )


def revision() -> str:
    """The commit measured, and whether the work tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "connector"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "commit unknown"
    return f"commit {head}" + (" + uncommitted changes under connector/" if dirty else "")


@dataclass(frozen=True)
class CliRun:
    """One ``python -m connector ...`` subprocess: exit code, wall time, its own peak RSS."""

    code: int
    seconds: float
    max_rss_kib: int
    cpu_seconds: float
    output: str


def run_cli(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    module: str = "connector",
) -> CliRun:
    """Run crmsync in a subprocess; its peak RSS is its own, not the bench's.

    ``module`` is what ``python -m`` runs: crmsync itself, or a bench wrapper around it. It runs
    under ``bench.peak_rss``, which reports the program's own high-water mark (see there why
    ``wait4``'s figure would include this process's).
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
    clean.update(env or {})
    log_path = cwd / "cli-output.txt"
    peak_path = cwd / "cli-peak-rss.txt"
    peak_path.unlink(missing_ok=True)
    clean[PEAK_ENV_VAR] = str(peak_path)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.peak_rss", module, *args],
            cwd=cwd,
            env={**clean, "PYTHONPATH": str(REPO)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # A program killed before its end wrote no figure; wait4's (an upper bound) stands in.
    peak = int(peak_path.read_text(encoding="utf-8")) if peak_path.exists() else usage.ru_maxrss
    return CliRun(
        proc.returncode,
        seconds,
        int(peak),
        usage.ru_utime + usage.ru_stime,
        log_path.read_text(encoding="utf-8"),
    )
