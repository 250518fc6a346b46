"""`crmsync run` as an operator runs it: a subprocess against both emulators, on a 1 s schedule.

It syncs both ways, serves ``/healthz`` and ``/metrics``, logs JSON lines carrying the run id,
survives a refused call, a spent allocation and a 503 storm, stops on SIGTERM after committing
the chunk in flight, and after ``kill -9`` a restart converges with no record lost or created
twice. With ``CRMSYNC_TEST_PG_URL`` set, two daemons share one PostgreSQL and never run the
pipeline at the same time.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.pool import NullPool

from connector.emulators.run import SALESFORCE_CLIENT_ID, RunningEmulators, emulators
from connector.model import Side
from connector.state import Run, RunOutcome, StateStore
from tests.e2e.cli import REPO, crmsync
from tests.postgres import pg_url

MAPPINGS = REPO / "mappings"
SF_OWNER = "005Dm0000TppxXrIQI"
HS_OWNER = "85006691"
SECRETS = ("emulator-client-secret", "emulator-hubspot-token")

CONFIG = """\
[state]
url = "{state_url}"

[salesforce]
login_url = "{salesforce}"
client_id = "{client_id}"
client_secret_file = "{secrets}/salesforce_client_secret"
ca_bundle = "{ca}"
commit_lag_s = 0

[hubspot]
base_url = "{hubspot}"
access_token_file = "{secrets}/hubspot_access_token"
ca_bundle = "{ca}"

[[pipelines]]
name = "leads"
salesforce_object = "Lead"
hubspot_object = "contacts"
mapping = "{mappings}/leads.toml"
schedule = "1s"

[daemon]
listen = "127.0.0.1:{port}"
log_format = "json"
# Short, so that a daemon killed with -9 hands the pipeline over within seconds.
lease_ttl_s = 2
"""


# -- the world: emulators, seeds, configs ------------------------------------------------------


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningEmulators]:
    with emulators(tls_dir=tmp_path / "tls") as started:
        started.admin(
            started.salesforce,
            "seed",
            {
                "objects": {
                    "User": [
                        {
                            "Id": SF_OWNER,
                            "Username": "olive.owner@example.com.crm",
                            "Email": "olive.owner@example.com",
                            "FirstName": "Olive",
                            "LastName": "Owner",
                            "IsActive": True,
                        }
                    ]
                }
            },
        )
        started.admin(
            started.hubspot,
            "seed",
            {
                "objects": {
                    "owners": [
                        {
                            "id": HS_OWNER,
                            "email": "olive.owner@example.com",
                            "type": "PERSON",
                            "firstName": "Olive",
                            "lastName": "Owner",
                            "userId": 86006691,
                            "archived": False,
                        }
                    ]
                }
            },
        )
        yield started


def seed_leads(running: RunningEmulators, prefix: str, count: int) -> set[str]:
    """Salesforce leads ``<prefix><n>@example.com``; answers their e-mails."""
    leads = [
        {
            "FirstName": f"{prefix.title()}{n}",
            "LastName": "Lead",
            "Company": "Acme",
            "Email": f"{prefix}{n}@example.com",
            "Status": "Open - Not Contacted",
            "LeadSource": "Web",
            "OwnerId": SF_OWNER,
        }
        for n in range(count)
    ]
    running.admin(running.salesforce, "seed", {"objects": {"Lead": leads}})
    return {lead["Email"] for lead in leads}


def seed_contacts(running: RunningEmulators, prefix: str, count: int) -> set[str]:
    """HubSpot marketing-qualified contacts (handed over to Salesforce as leads)."""
    contacts = [
        {
            "properties": {
                "email": f"{prefix}{n}@example.com",
                "firstname": f"{prefix.title()}{n}",
                "lastname": "Contact",
                "company": "Beta",
                "lifecyclestage": "marketingqualifiedlead",
                "hubspot_owner_id": HS_OWNER,
            }
        }
        for n in range(count)
    ]
    running.admin(running.hubspot, "seed", {"objects": {"contacts": contacts}})
    return {c["properties"]["email"] for c in contacts}


def write_config(root: Path, running: RunningEmulators, *, state_url: str, name: str) -> Path:
    path = root / f"{name}.toml"
    path.write_text(
        CONFIG.format(
            state_url=state_url,
            salesforce=running.salesforce.url,
            hubspot=running.hubspot.url,
            client_id=SALESFORCE_CLIENT_ID,
            secrets=running.secrets_dir,
            ca=running.tls.ca_path,
            mappings=MAPPINGS,
            port=free_port(),
        )
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the daemon process --------------------------------------------------------------------------


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    log_path: Path
    port: int

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line the daemon logged, each of which must be one JSON object."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def run_ids(self) -> set[str]:
        return {line["run_id"] for line in self.log_lines() if line["msg"].endswith("run started")}

    def terminate(self, timeout: float = 15) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the stop took."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - began

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[Path], Daemon]]:
    """Start ``crmsync run --config PATH`` as a subprocess; every one is killed at the end."""
    started: list[Daemon] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}

    def launch(config: Path) -> Daemon:
        log_path = tmp_path / f"daemon-{len(started) + 1}.log"
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "connector", "run", "--config", str(config)],
                cwd=tmp_path,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        port = int(config.read_text().split('listen = "127.0.0.1:')[1].split('"')[0])
        daemon = Daemon(proc, log_path, port)
        started.append(daemon)
        return daemon

    yield launch
    for daemon in started:
        if daemon.alive():
            daemon.kill()


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, *daemons: Daemon, every: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for daemon in daemons:
            assert daemon.alive(), (
                f"the daemon exited while waiting for {what}:\n" + (daemon.log_text()[-3000:])
            )
        time.sleep(every)
    logs = "\n".join(d.log_text()[-3000:] for d in daemons)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")


# -- what the two systems and the state hold ---------------------------------------------------


def emails(running: RunningEmulators) -> tuple[Counter[str], Counter[str]]:
    """How often each e-mail appears among Salesforce leads and among HubSpot contacts."""
    leads = running.admin(running.salesforce, "records/Lead")
    contacts = running.admin(running.hubspot, "records/contacts")
    return (
        Counter(str(lead["Email"]).lower() for lead in leads if lead.get("Email")),
        Counter(
            str(c["properties"]["email"]).lower() for c in contacts if c["properties"].get("email")
        ),
    )


def converged(running: RunningEmulators, expected: set[str]) -> bool:
    in_salesforce, in_hubspot = emails(running)
    return all(in_salesforce[e] and in_hubspot[e] for e in expected)


def assert_each_once(running: RunningEmulators, expected: set[str]) -> None:
    in_salesforce, in_hubspot = emails(running)
    assert set(in_salesforce) == expected and set(in_hubspot) == expected
    assert max(in_salesforce.values()) == 1, "a lead was created twice in Salesforce"
    assert max(in_hubspot.values()) == 1, "a contact was created twice in HubSpot"


def in_hubspot(running: RunningEmulators, expected: set[str]) -> int:
    return sum(count for e, count in emails(running)[1].items() if e in expected)


def stored_runs(state_url: str) -> list[Run]:
    """The leads pipeline's runs, oldest first."""
    with StateStore.open(state_url) as store, store.transaction(readonly=True) as tx:
        return sorted(tx.last_runs("leads", limit=10_000), key=lambda run: run.started_at)


def scrape(daemon: Daemon) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = daemon.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def metric(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def health(daemon: Daemon) -> tuple[int, dict[str, Any]]:
    response = daemon.get("/healthz")
    return response.status_code, response.json()


# -- the tests ---------------------------------------------------------------------------------


def test_daemon_syncs_reports_health_rides_out_storms_and_failures_and_stops_on_sigterm(
    tmp_path: Path, running: RunningEmulators, start: Callable[[Path], Daemon]
) -> None:
    expected = seed_leads(running, "ann", 20) | seed_contacts(running, "hal", 5)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    daemon = start(write_config(tmp_path, running, state_url=state_url, name="crmsync"))

    # Leads flow to HubSpot; marketing-qualified contacts come back as Salesforce leads.
    wait_until(lambda: converged(running, expected), 30, "both systems to hold everyone", daemon)
    assert_each_once(running, expected)

    status, body = health(daemon)
    assert status == 200 and body["status"] == "ok"
    leads = body["pipelines"]["leads"]
    assert leads["status"] == "ok" and leads["schedule"] == "1s"
    assert leads["last_success"] is not None and leads["last_outcome"] == "succeeded"
    assert daemon.get("/elsewhere").status_code == 404

    samples = scrape(daemon)
    read = "crmsync_records_read_total"
    written = "crmsync_records_written_total"
    assert metric(samples, read, pipeline="leads", system="salesforce") >= 20
    assert metric(samples, read, pipeline="leads", system="hubspot") >= 5
    assert metric(samples, written, pipeline="leads", system="hubspot") >= 20
    assert metric(samples, written, pipeline="leads", system="salesforce") >= 5
    for system in ("salesforce", "hubspot"):
        assert metric(samples, "crmsync_api_calls_total", system=system) > 0
        assert ("crmsync_api_rate_limited_total", frozenset({("system", system)})) in samples
        lag = ("crmsync_cursor_lag_seconds", frozenset({("pipeline", "leads"), ("system", system)}))
        assert samples[lag] >= 0
    assert metric(samples, "crmsync_runs_total", pipeline="leads", outcome="succeeded") >= 1
    assert metric(samples, "crmsync_run_duration_seconds_count", pipeline="leads") >= 1

    # A 503 storm on both APIs: the daemon stays up, /healthz calls the pipeline stale, and
    # once the storm passes the leads created meanwhile arrive, each once.
    running.admin(running.salesforce, "faults", {"rules": [{"path": "^/services/", "status": 503}]})
    running.admin(running.hubspot, "faults", {"rules": [{"path": "^/crm/", "status": 503}]})
    during = seed_leads(running, "cy", 20)
    saw_stale = False
    ends = time.monotonic() + 4.0
    while time.monotonic() < ends:
        assert daemon.alive()
        status, body = health(daemon)
        if status == 503:
            assert body["status"] == "stale" and body["pipelines"]["leads"]["status"] == "stale"
            saw_stale = True
        time.sleep(0.2)
    assert saw_stale, "/healthz never reported the pipeline stale during the storm"
    running.admin(running.salesforce, "faults/clear", {})
    running.admin(running.hubspot, "faults/clear", {})
    expected |= during
    wait_until(lambda: converged(running, expected), 30, "convergence after the storm", daemon)
    assert_each_once(running, expected)
    wait_until(lambda: health(daemon)[0] == 200, 5, "/healthz to recover", daemon)
    samples = scrape(daemon)
    assert sum(metric(samples, "crmsync_api_retries_total", system=s) for s in Side) > 0

    # A refused call fails one run: logged and counted, and the next tick runs again.
    running.admin(
        running.hubspot, "faults", {"rules": [{"path": "^/crm/", "status": 401, "count": 1}]}
    )
    wait_until(
        lambda: any(r.outcome is RunOutcome.FAILED for r in stored_runs(state_url)),
        10,
        "a failed run",
        daemon,
    )
    failed = next(r for r in stored_runs(state_url) if r.outcome is RunOutcome.FAILED)
    assert failed.error is not None and "HubSpot" in failed.error
    assert failed.finished_at is not None
    finished_at = failed.finished_at
    wait_until(
        lambda: any(
            r.started_at > finished_at and r.outcome is RunOutcome.SUCCEEDED
            for r in stored_runs(state_url)
        ),
        10,
        "a successful run after the failed one",
        daemon,
    )
    assert metric(scrape(daemon), "crmsync_runs_total", pipeline="leads", outcome="failed") == 1

    # HubSpot's daily limit is spent: the pipelines wait until it resets instead of hammering.
    running.admin(
        running.hubspot,
        "faults",
        {"rules": [{"path": "^/crm/", "status": 429, "error_code": "DAILY", "count": 1}]},
    )
    wait_until(
        lambda: health(daemon)[1]["pipelines"]["leads"]["paused_until"] is not None,
        10,
        "the pipeline to be paused",
        daemon,
    )
    wait_until(
        lambda: (
            metric(scrape(daemon), "crmsync_runs_skipped_total", pipeline="leads", reason="paused")
            >= 1
        ),
        5,
        "a tick skipped while paused",
        daemon,
    )

    code, took = daemon.terminate()
    assert code == 0 and took < 10

    runs = stored_runs(state_url)
    assert all(run.finished_at is not None for run in runs)
    with StateStore.open(state_url) as store, store.transaction(readonly=True) as tx:
        assert tx.get_lease("leads") is None  # given back: another replica can take over at once

    # One JSON object per line; the lines of each run carry its id, the one in the runs table.
    lines = daemon.log_lines()
    assert all(
        {"ts", "level", "logger", "msg", "run_id", "pipeline"} <= set(line) for line in lines
    )
    assert daemon.run_ids() == {str(run.id) for run in runs}
    for run in runs:
        of_run = [line for line in lines if line["run_id"] == str(run.id)]
        assert len(of_run) >= 2 and all(line["pipeline"] == "leads" for line in of_run)
    # Even the retry layer's warnings are lines of the run they happened in.
    retried = [line for line in lines if "trying again in" in line["msg"]]
    assert retried and all(line["run_id"] in daemon.run_ids() for line in retried)
    refused = [line for line in lines if line["run_id"] == str(failed.id)]
    assert any(line["level"] == "ERROR" and "HubSpot" in line["msg"] for line in refused)
    assert any("paused until" in line["msg"] for line in lines)
    assert not any(secret in daemon.log_text() for secret in SECRETS)


def test_a_config_error_at_start_exits_2_naming_the_key(tmp_path: Path) -> None:
    for name in ("salesforce_client_secret", "hubspot_access_token"):
        secret = tmp_path / name
        secret.write_text("not-a-real-secret\n")
        secret.chmod(0o600)
    config = tmp_path / "crmsync.toml"
    text = CONFIG.format(
        state_url=f"sqlite:///{tmp_path / 'state.db'}",
        salesforce="https://127.0.0.1:9",
        hubspot="https://127.0.0.1:9",
        client_id=SALESFORCE_CLIENT_ID,
        secrets=tmp_path,
        ca=secret,
        mappings=MAPPINGS,
        port=free_port(),
    ).replace('schedule = "1s"', 'schedule = "every day"')
    config.write_text(text)
    result = crmsync("run", "--config", str(config), cwd=tmp_path, timeout=60)
    assert result.code == 2, result.output
    assert "[pipelines #1] schedule" in result.stderr and "pipeline 'leads'" in result.stderr
    assert "Traceback" not in result.output


def test_sigterm_commits_the_chunk_in_flight_and_a_restart_after_kill_9_converges(
    tmp_path: Path, running: RunningEmulators, start: Callable[[Path], Daemon]
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    config = write_config(tmp_path, running, state_url=state_url, name="crmsync")
    first = seed_leads(running, "dee", 20)
    daemon = start(config)
    wait_until(lambda: converged(running, first), 20, "the first sync", daemon)

    # Slow calls make a run of 400 leads (two chunks) last long enough to be interrupted.
    for server in (running.salesforce, running.hubspot):
        running.admin(server, "latency", {"latency_ms": 100})
    # Modification stamps are whole seconds: put the bulk in a later second than the first sync.
    running.admin(running.salesforce, "clock/advance", {"seconds": 2})
    bulk = seed_leads(running, "eve", 400)
    wait_until(
        lambda: in_hubspot(running, bulk) > 0, 20, "the bulk run to write", daemon, every=0.02
    )
    code, took = daemon.terminate()
    assert code == 0 and took < 10
    assert any("stopped early" in line["msg"] for line in daemon.log_lines())

    # The stop came after the first chunk was written and committed, before the second.
    written = in_hubspot(running, bulk)
    assert 0 < written < len(bulk)
    runs = stored_runs(state_url)
    assert runs[-1].outcome is RunOutcome.SUCCEEDED and runs[-1].finished_at is not None
    contacts = running.admin(running.hubspot, "records/contacts")
    bulk_ids = {c["id"] for c in contacts if c["properties"].get("email") in bulk}
    with StateStore.open(state_url) as store, store.transaction(readonly=True) as tx:
        linked = {link.hubspot_id for link in tx.links_for("leads")}
    assert bulk_ids <= linked, "a contact was written in HubSpot without its link committed"

    # Killed mid-run: whatever was written but not committed is redone without duplicates.
    daemon = start(config)
    wait_until(
        lambda: in_hubspot(running, bulk) > written,
        20,
        "the resumed run to write",
        daemon,
        every=0.02,
    )
    daemon.kill()
    with StateStore.open(state_url) as store, store.transaction(readonly=True) as tx:
        cursor = tx.get_cursor("leads", Side.SALESFORCE, "Lead")
    assert cursor.position is not None
    modified_since = sum(
        1
        for lead in running.admin(running.salesforce, "records/Lead")
        if _salesforce_time(lead["SystemModstamp"]) >= cursor.position
    )
    for server in (running.salesforce, running.hubspot):
        running.admin(server, "latency", {"latency_ms": 0})

    killed_at = datetime.now(UTC)
    daemon = start(config)

    def restarted_and_converged() -> bool:
        # Its own run must have finished too: the killed daemon may have written everything
        # before it died, and a stop sent before the new one is up would test nothing.
        ran = any(r.started_at > killed_at and r.finished_at for r in stored_runs(state_url))
        return ran and converged(running, first | bulk)

    wait_until(restarted_and_converged, 30, "convergence after kill -9", daemon)
    assert_each_once(running, first | bulk)
    code, _ = daemon.terminate()
    assert code == 0

    # The restart read on from the committed cursor: a start from scratch would read all 420.
    after = [run for run in stored_runs(state_url) if run.started_at > killed_at]
    read = after[0].counts["salesforce"]["read"]
    assert 0 < read <= modified_since <= len(bulk)


def _salesforce_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL; skipped when ``CRMSYNC_TEST_PG_URL`` is unset."""
    url = pg_url()
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    schema = f"crmsync_daemon_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.postgres
def test_two_daemons_on_one_postgresql_never_run_the_pipeline_at_once(
    tmp_path: Path,
    running: RunningEmulators,
    start: Callable[[Path], Daemon],
    postgresql_url: str,
) -> None:
    first = seed_leads(running, "fay", 20)
    one = start(write_config(tmp_path, running, state_url=postgresql_url, name="one"))
    two = start(write_config(tmp_path, running, state_url=postgresql_url, name="two"))
    wait_until(lambda: converged(running, first), 30, "the first sync", one, two)

    def skipped(daemon: Daemon) -> bool:
        return any("another daemon holds the lease" in line["msg"] for line in daemon.log_lines())

    wait_until(lambda: skipped(one) or skipped(two), 10, "a tick skipped for the lease", one, two)
    with StateStore.open(postgresql_url) as store, store.transaction(readonly=True) as tx:
        lease = tx.get_lease("leads")
    assert lease is not None
    holder, other = (one, two) if lease.holder.split(":")[1] == str(one.proc.pid) else (two, one)
    assert lease.holder.split(":")[1] == str(holder.proc.pid)
    assert holder.run_ids()

    # The holder stops cleanly and gives the lease back: the other takes over at its next tick.
    code, _ = holder.terminate()
    assert code == 0
    later = seed_leads(running, "gus", 10)
    wait_until(lambda: converged(running, first | later), 20, "the other daemon to sync", other)
    assert other.run_ids()
    code, _ = other.terminate()
    assert code == 0
    assert_each_once(running, first | later)

    runs = stored_runs(postgresql_url)
    assert {str(run.id) for run in runs} == holder.run_ids() | other.run_ids()
    for earlier, following in itertools.pairwise(runs):
        assert earlier.finished_at is not None
        assert following.started_at >= earlier.finished_at, "two runs of one pipeline overlapped"
