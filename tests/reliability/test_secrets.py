"""Secrets stay secret, TLS trust cannot be weakened, and secret files readable by others warn.

Every verb runs with known secret values (a HubSpot private-app token registered in the
emulator for this test; Salesforce's username-password flow, whose client secret, password and
security token are the emulator's fixed values, given through environment variables), with
logging at DEBUG for every logger, and then every line it printed or logged and every file it
wrote (the report, the state database dumped table by table, its WAL) is searched for them and
for anything shaped like a Salesforce session id. ``crmsync demo`` is not run: it uses its own
public demo credentials. crmsync has no ``--log-level`` option; in-process runs capture every
logger at DEBUG instead, and the daemon runs as a subprocess with its own logging.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from connector.config import HubSpotConfig, SalesforceConfig
from connector.emulators.salesforce.auth import CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, USERNAME
from tests.reliability import fault_support
from tests.reliability.fault_support import Bench, Outcome, lead, mql_contact

bench_emulators = fault_support.bench_emulators
bench = fault_support.bench

HS_TOKEN = f"pat-na1-{uuid.uuid4()}"
SECRETS = (CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, PASSWORD + SECURITY_TOKEN, HS_TOKEN)
# A Salesforce session id: the org id's first 15 characters, "!", an opaque tail.
SESSION_ID = re.compile(r"00D[A-Za-z0-9]{12}![A-Za-z0-9._]{20,}")
ENV = {
    "T_SF_CLIENT_SECRET": CLIENT_SECRET,
    "T_SF_PASSWORD": PASSWORD,
    "T_SF_SECURITY_TOKEN": SECURITY_TOKEN,
    "T_HS_TOKEN": HS_TOKEN,
}


def leaks(text: str) -> list[str]:
    """What in ``text`` is a secret (named by its first characters only)."""
    found = [f"{secret[:4]}… (secret)" for secret in SECRETS if secret in text]
    found += [f"{m.group(0)[:6]}… (session id)" for m in SESSION_ID.finditer(text)]
    return found


def test_the_leak_check_finds_what_it_looks_for() -> None:
    assert leaks(f"x Bearer {HS_TOKEN} y")
    assert leaks(f"password={PASSWORD}{SECURITY_TOKEN}")
    assert leaks("00D" + "A" * 12 + "!" + "b" * 40)
    assert not leaks("emulator@crmsync.test Bearer *** 00Dxx")


class DebugLog(logging.Handler):
    """Every record any logger emits, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_log() -> Iterator[DebugLog]:
    handler = DebugLog()
    root = logging.getLogger()
    # Not SQLAlchemy's statement echo (the database itself is searched, row by row) nor the
    # emulators' own server logs.
    loggers = [root] + [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if not name.startswith(("sqlalchemy", "uvicorn"))
    ]
    levels = {logger: logger.level for logger in loggers}
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)


@pytest.fixture
def secret_bench(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Bench:
    """The bench, configured with the known secrets through environment variables."""
    bench.hs.post("/tokens", {"token": HS_TOKEN})
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    bench.write_config(
        salesforce={
            "username": USERNAME,
            "client_secret_env": "T_SF_CLIENT_SECRET",
            "password_env": "T_SF_PASSWORD",
            "security_token_env": "T_SF_SECURITY_TOKEN",
        },
        secrets={"client_secret": "T_SF_CLIENT_SECRET", "access_token": "T_HS_TOKEN"},
        schedule="1s",
    )
    monkeypatch.chdir(bench.root)
    return bench


def test_no_verb_shows_a_secret_in_its_output_its_logs_or_the_files_it_writes(
    secret_bench: Bench, capsys: pytest.CaptureFixture[str], debug_log: DebugLog
) -> None:
    b = secret_bench
    b.seed_leads([lead(n) for n in range(3)] + [lead(9, Email="not-an-email")])
    b.seed_contacts([mql_contact(n) for n in range(2)])
    report = b.root / "report.html"
    verbs: list[tuple[tuple[str, ...], set[int]]] = [
        (("validate",), {0}),
        (("validate", "--remote"), {0}),
        (("sync", "--dry-run"), {0, 1}),
        (("sync",), {1}),  # one lead's e-mail is refused by HubSpot: a dead letter
        (("backfill",), {1}),
        (("status",), {0}),
        (("status", "--json"), {0}),
        (("errors", "list"), {0}),
        (("errors", "show", "1"), {0}),
        (("errors", "retry"), {1}),
        (("report", "--format", "json"), {0}),
        (("report", "--format", "html", "--output", str(report)), {0}),
    ]
    outputs: dict[str, Outcome] = {}
    for args, codes in verbs:
        outcome = b.run(capsys, *args)
        outputs[" ".join(args)] = outcome
        assert outcome.code in codes, (args, outcome.output)
        assert "Traceback" not in outcome.output, (args, outcome.output)
    daemon = _run_daemon_briefly(b)
    outputs["run"] = daemon

    # The secrets were in use: HubSpot took the registered token, Salesforce the password flow.
    assert [c for c in b.hs.requests() if c["status"] == 200]
    assert b.sf.calls("POST", "/services/oauth2/token")
    assert "not-an-email" in outputs["errors list"].stdout
    problems = {
        f"{verb}: {where}": found
        for verb, outcome in outputs.items()
        for where, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr))
        if (found := leaks(text))
    }
    for line in debug_log.lines:
        if found := leaks(line):
            problems[f"log line {line[:80]!r}"] = found
    assert len(debug_log.lines) > 50  # DEBUG was on: the libraries' own lines are in there
    written = [path for path in b.root.rglob("*") if path.is_file()]
    assert report in written and b.db_path in written
    for path in written:
        if found := leaks(path.read_bytes().decode("utf-8", "replace")):
            problems[f"file {path}"] = found
    with sqlite3.connect(b.db_path) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            rows = "\n".join(map(repr, conn.execute(f'SELECT * FROM "{table}"')))
            if found := leaks(rows):
                problems[f"state table {table}"] = found
    assert {"runs", "dead_letters", "snapshots", "links"} <= set(tables)
    assert not problems, problems


def _run_daemon_briefly(b: Bench) -> Outcome:
    """``crmsync run`` until its first run has finished, then SIGTERM."""
    started = time.monotonic()
    before = _finished_runs(b.db_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "run", "--config", str(b.config_path)],
        cwd=b.root,
        # Real time: the daemon schedules its first run at its clock's "now", so a clock pinned
        # ahead by CRMSYNC_NOW would put that run in the future.
        env={k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while _finished_runs(b.db_path) <= before and time.monotonic() - started < 60:
            if process.poll() is not None:
                break
            time.sleep(0.2)
        assert _finished_runs(b.db_path) > before, "the daemon finished no run"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    return Outcome(process.returncode, stdout, stderr)


def _finished_runs(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")
    return int(count)


@pytest.mark.parametrize("side", ["hubspot", "salesforce"])
def test_refused_credentials_are_exit_3_and_never_echo_the_secret(
    secret_bench: Bench,
    capsys: pytest.CaptureFixture[str],
    debug_log: DebugLog,
    monkeypatch: pytest.MonkeyPatch,
    side: str,
) -> None:
    wrong = f"wrong-{uuid.uuid4()}"
    monkeypatch.setenv("T_HS_TOKEN" if side == "hubspot" else "T_SF_PASSWORD", wrong)

    outcome = secret_bench.run(capsys, "sync")

    assert outcome.code == 3, outcome.output
    assert "refused" in outcome.stderr and "Traceback" not in outcome.output
    everything = outcome.output + "\n".join(debug_log.lines)
    assert wrong not in everything
    assert not leaks(everything)


# -- TLS trust ------------------------------------------------------------------------------


def test_there_is_no_setting_that_turns_tls_verification_off(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = set(SalesforceConfig.model_fields) | set(HubSpotConfig.model_fields)
    assert not [f for f in fields if re.search(r"verif|insecure|ssl|tls|cert", f)], fields
    for key, value in (("verify", False), ("ssl_verify", False), ("insecure", True)):
        bench.write_config(hubspot={key: value})

        outcome = bench.run(capsys, "validate")

        assert outcome.code == 2, outcome.output
        assert f"[hubspot] {key}: unknown key" in outcome.stderr


@pytest.mark.parametrize("side", ["salesforce", "hubspot"])
def test_plain_http_cannot_stand_in_for_tls(
    bench: Bench, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, side: str
) -> None:
    key = "login_url" if side == "salesforce" else "base_url"
    plain = "http://127.0.0.1:8702"
    bench.write_config(**{side: {key: plain}})  # type: ignore[arg-type]

    in_file = bench.run(capsys, "validate")

    bench.write_config()
    monkeypatch.setenv(f"CRMSYNC_{side}_{key}".upper(), plain)
    from_env = bench.run(capsys, "validate")

    for outcome in (in_file, from_env):
        assert outcome.code == 2, outcome.output
        assert f"[{side}] {key}" in outcome.stderr and "https://" in outcome.stderr


def _other_ca(bench: Bench) -> Path:
    """A CA that did not sign the emulators' certificates."""
    path = bench.root / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def test_ca_bundles_named_in_the_environment_do_not_change_trust(bench: Bench) -> None:
    bench.seed_leads([lead(1)])
    other = _other_ca(bench)
    emulator_ca = str(bench.running.tls.ca_path)

    # The configured CA is trusted although the environment names another ...
    kept = bench.cli(
        "sync",
        env={
            "REQUESTS_CA_BUNDLE": str(other),
            "CURL_CA_BUNDLE": str(other),
            "SSL_CERT_FILE": str(other),
        },
    )
    # ... and without ca_bundle the environment cannot make the emulators' CA trusted.
    bench.write_config(salesforce={"ca_bundle": None}, hubspot={"ca_bundle": None})
    rescued = bench.cli(
        "sync",
        env={
            "REQUESTS_CA_BUNDLE": emulator_ca,
            "CURL_CA_BUNDLE": emulator_ca,
            "SSL_CERT_FILE": emulator_ca,
        },
    )

    assert kept.code == 0, kept.output
    assert len(bench.contacts()) == 1
    assert rescued.code == 3, rescued.output
    assert "TLS certificate could not be verified" in rescued.stderr
    assert "Traceback" not in rescued.output


def test_a_wrong_ca_bundle_is_exit_3_with_a_clear_message(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    other = str(_other_ca(bench))
    bench.write_config(salesforce={"ca_bundle": other}, hubspot={"ca_bundle": other})

    outcome = bench.run(capsys, "sync")

    assert outcome.code == 3, outcome.output
    assert "Traceback" not in outcome.output
    assert "TLS certificate could not be verified" in outcome.stderr
    assert "ca_bundle" in outcome.stderr and "never turned off" in outcome.stderr
    # Refused in the TLS handshake: no request ever reached either system.
    assert bench.sf.requests() == [] and bench.hs.requests() == []


def test_a_ca_bundle_that_does_not_exist_is_exit_2_naming_it(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = bench.root / "no-such-ca.pem"
    bench.write_config(hubspot={"ca_bundle": str(missing)})

    outcome = bench.run(capsys, "sync")

    assert outcome.code == 2, outcome.output
    assert str(missing) in outcome.stderr and "ca_bundle" in outcome.stderr


# -- secret files ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_secret_file_readable_by_others_warns_with_the_fix(
    bench: Bench, mode: int, warned: bool
) -> None:
    secret_dir = bench.root / "secrets"
    secret_dir.mkdir()
    token_file = secret_dir / "hubspot_token"
    token_file.write_text("emulator-hubspot-token\n", encoding="utf-8")
    client_file = secret_dir / "sf_secret"
    client_file.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    os.chmod(token_file, mode)
    os.chmod(client_file, 0o600)
    bench.write_config(
        salesforce={"client_secret_file": str(client_file)},
        hubspot={"access_token_file": str(token_file)},
    )

    outcome = bench.cli("validate")

    assert outcome.code == 0, outcome.output
    warning = f"{token_file} holds a secret and is readable by other users"
    if warned:
        assert warning in outcome.stderr, outcome.stderr
        assert f"chmod 600 {token_file}" in outcome.stderr
    else:
        assert "readable by other users" not in outcome.output
    assert str(client_file) not in outcome.stderr  # mode 600: no warning for that one
    assert "emulator-hubspot-token" not in outcome.output
