"""The Salesforce adapter against the emulator: what its HTTP layer promises under trouble.

Every test drives simple-salesforce (and httpx for the token) over loopback HTTPS with the
emulator's CA. Time is simulated: sleeps are recorded, never waited, and the assertions are on
the waits asked for, not on the wall clock.
"""

from __future__ import annotations

import gc
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector.emulators.salesforce import SalesforceService
from connector.emulators.salesforce.auth import SECURITY_TOKEN
from connector.emulators.server import EmulatorServer, TlsFiles, make_tls
from connector.engine.in_flight import side_by_side
from connector.errors import CredentialsRefused, LimitExhausted, SystemUnreachable
from connector.model import Record, WriteKind, WriteOp
from connector.systems import soql
from connector.systems.http import Transport
from connector.systems.retry import RetrySettings
from connector.systems.salesforce import SalesforceSystem
from connector.systems.salesforce_auth import LoginFlow, SalesforceCredentials
from tests.fakes import EmulatorAdmin, FakeTime

CLIENT_SECRET = "emulator-client-secret"
PASSWORD = "emulator-password"
FIELDS = ["FirstName", "LastName", "Email", "Company"]
# The emulator's tokens look like real ones: the org id, "!", then an opaque string.
TOKEN_SHAPE = re.compile(r"00D\w{12}!\S+")


@pytest.fixture(scope="module")
def server(tls_files: TlsFiles) -> Iterator[EmulatorServer]:
    started = EmulatorServer(SalesforceService(), tls_files).start()
    yield started
    gc.collect()
    started.stop()


@pytest.fixture
def admin(server: EmulatorServer, tls_files: TlsFiles) -> Iterator[EmulatorAdmin]:
    client = EmulatorAdmin(server.url, tls_files.ca_path)
    client.reset()
    yield client
    client.close()


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


Build = Callable[..., SalesforceSystem]


@pytest.fixture
def build(server: EmulatorServer, tls_files: TlsFiles, clock: FakeTime) -> Iterator[Build]:
    built: list[SalesforceSystem] = []

    def make(
        credentials: SalesforceCredentials | None = None,
        ca: Path | None = None,
        **options: Any,
    ) -> SalesforceSystem:
        options.setdefault("sleep", clock.sleep)
        options.setdefault("monotonic", clock.monotonic)
        # The emulator commits at once, and this suite's clock is not the emulator's.
        options.setdefault("commit_lag_s", 0.0)
        system = SalesforceSystem(
            credentials or client_credentials(server),
            transport=Transport(ca or tls_files.ca_path, timeout_s=10),
            **options,
        )
        built.append(system)
        return system

    yield make
    for system in built:
        system.close()
    gc.collect()


def client_credentials(
    server: EmulatorServer, secret: str = CLIENT_SECRET
) -> SalesforceCredentials:
    return SalesforceCredentials(
        login_url=server.url, client_id="emulator-client-id", client_secret=SecretStr(secret)
    )


def seed_leads(admin: EmulatorAdmin, count: int, **extra: Any) -> list[str]:
    leads = [
        {"LastName": f"Lead {n:05d}", "Company": "Acme", "Email": f"lead{n}@example.com", **extra}
        for n in range(count)
    ]
    return admin.seed({"Lead": leads})["Lead"]


def read(system: SalesforceSystem) -> list[str]:
    return [r.id for r in system.read_changes("Lead", FIELDS, None)]


# -- retries ----------------------------------------------------------------------------------


def test_429_waits_exactly_what_retry_after_asks(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    ids = seed_leads(admin, 3)
    admin.faults({"path": "/query", "method": "GET", "status": 429, "retry_after": 7, "count": 2})
    system = build()

    assert sorted(read(system)) == sorted(ids)

    assert clock.sleeps == [7.0, 7.0]
    stats = system.stats()
    assert (stats.rate_limited, stats.retries) == (2, 2)


def test_503_storm_on_a_read_is_retried_with_growing_backoff(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    ids = seed_leads(admin, 2)
    admin.faults({"path": "/query", "method": "GET", "status": 503, "count": 3})
    system = build(retry=RetrySettings(backoff_initial_s=1.0))

    assert sorted(read(system)) == sorted(ids)

    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps):
        assert 2.0**attempt <= slept <= 1.5 * 2.0**attempt  # exponential, with jitter
    assert len(admin.calls("GET", "/query")) == 4


def test_a_dropped_connection_during_a_read_is_retried(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    ids = seed_leads(admin, 2)
    admin.faults({"path": "/query", "method": "GET", "disconnect": True, "count": 1})
    system = build()

    assert sorted(read(system)) == sorted(ids)
    assert system.stats().retries == 1


@pytest.mark.parametrize(
    "fault", [{"status": 503}, {"disconnect": True}], ids=["503", "dropped-connection"]
)
def test_a_create_that_may_have_been_applied_is_never_sent_twice(
    build: Build, admin: EmulatorAdmin, fault: dict[str, Any]
) -> None:
    system = build()
    read(system)
    admin.faults({"path": "/composite/sobjects$", "method": "POST", "count": 1, **fault})
    op = WriteOp(WriteKind.CREATE, "Lead", {"LastName": "Once", "Company": "Acme"})

    with pytest.raises(SystemUnreachable, match="not retried") as raised:
        system.write_batch([op])

    assert "Salesforce" in str(raised.value) and "/composite/sobjects" in str(raised.value)
    assert len(admin.calls("POST", "/composite/sobjects")) == 1


def test_an_update_meeting_503_is_retried_since_it_is_idempotent(
    build: Build, admin: EmulatorAdmin
) -> None:
    (lead,) = seed_leads(admin, 1)
    admin.faults({"path": "/composite/sobjects$", "method": "PATCH", "status": 503, "count": 2})
    system = build()

    (result,) = system.write_batch([WriteOp(WriteKind.UPDATE, "Lead", {"Company": "B"}, id=lead)])

    assert result.ok
    assert len(admin.calls("PATCH", "/composite/sobjects")) == 3


def test_an_outage_gives_up_after_bounded_attempts_naming_system_and_url(
    build: Build, admin: EmulatorAdmin, server: EmulatorServer, clock: FakeTime
) -> None:
    system = build(retry=RetrySettings(max_attempts=4))
    read(system)
    admin.faults({"path": "/query", "method": "GET", "status": 503})

    with pytest.raises(SystemUnreachable) as raised:
        read(system)

    message = str(raised.value)
    assert message.startswith(f"Salesforce at {server.url}/services/data/v59.0/query/")
    assert "4 attempts" in message and "SELECT" not in message
    assert len(clock.sleeps) == 3


def test_retrying_stops_at_the_total_deadline(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    system = build(retry=RetrySettings(max_attempts=100, deadline_s=20.0, backoff_initial_s=4.0))
    read(system)
    admin.faults({"path": "/query", "method": "GET", "status": 503})

    with pytest.raises(SystemUnreachable):
        read(system)

    # 4-6 s, then 8-12 s: a third wait of 16 s or more would pass the 20 s deadline.
    assert len(clock.sleeps) == 2
    assert sum(clock.sleeps) <= 20.0


# -- sessions ---------------------------------------------------------------------------------


def test_an_expired_session_mid_cycle_logs_in_again_once_and_goes_on(
    build: Build, admin: EmulatorAdmin
) -> None:
    (lead,) = seed_leads(admin, 1)
    system = build()
    assert read(system) == [lead]
    admin.post("/expire-tokens")

    (result,) = system.write_batch([WriteOp(WriteKind.UPDATE, "Lead", {"Company": "B"}, id=lead)])
    assert read(system) == [lead]

    assert result.ok
    assert system.stats().extra["reauths"] == 1
    assert len(admin.calls("POST", "/services/oauth2/token")) == 2


def test_calls_in_flight_together_meet_an_expired_session_and_log_in_once(
    build: Build, admin: EmulatorAdmin
) -> None:
    leads = seed_leads(admin, 8)
    system = build()
    assert system.limits.in_flight >= 2
    system.read_by_ids("Lead", leads[:1], ["Id"])
    admin.post("/expire-tokens")
    # Both calls carry the expired token; the first back logs in, the other is sent again
    # with the new token instead of logging in a second time.
    barrier = threading.Barrier(2, timeout=10)

    def read_one(lead: str) -> list[Record]:
        barrier.wait()
        return system.read_by_ids("Lead", [lead], ["Id"])

    answers = side_by_side(read_one, leads[:2], 2)

    assert [[r.id for r in answer] for answer in answers] == [leads[:1], leads[1:2]]
    assert len(admin.calls("POST", "/services/oauth2/token")) == 2
    assert system.stats().extra["reauths"] == 1


def test_a_session_refused_right_after_logging_in_again_is_credentials_refused(
    build: Build, admin: EmulatorAdmin
) -> None:
    system = build()
    read(system)
    admin.faults({"path": "/query", "method": "GET", "status": 401, "count": 10})

    with pytest.raises(CredentialsRefused, match="INVALID_SESSION_ID"):
        read(system)

    assert len(admin.calls("POST", "/services/oauth2/token")) == 2


@pytest.mark.parametrize(
    "credentials",
    [
        SalesforceCredentials(username="emulator@crmsync.test", password=SecretStr(PASSWORD)),
        SalesforceCredentials(
            client_id="emulator-client-id",
            client_secret=SecretStr(CLIENT_SECRET),
            username="emulator@crmsync.test",
            password=SecretStr(PASSWORD),
            security_token=SecretStr(SECURITY_TOKEN),
        ),
    ],
    ids=["soap-login", "password-grant"],
)
def test_each_login_flow_gets_a_working_session(
    build: Build, admin: EmulatorAdmin, server: EmulatorServer, credentials: SalesforceCredentials
) -> None:
    ids = seed_leads(admin, 2)
    credentials = SalesforceCredentials(**{**credentials.__dict__, "login_url": server.url})

    system = build(credentials)

    assert sorted(read(system)) == sorted(ids)
    admin.post("/expire-tokens")
    assert sorted(read(system)) == sorted(ids)


def test_the_login_flow_follows_the_configured_credentials() -> None:
    secret = SecretStr("s")
    assert SalesforceCredentials(client_id="c", client_secret=secret).flow is (
        LoginFlow.CLIENT_CREDENTIALS
    )
    assert SalesforceCredentials(username="u", password=secret).flow is LoginFlow.SOAP
    key = SecretStr("-----BEGIN PRIVATE KEY-----")
    assert SalesforceCredentials(client_id="c", username="u", private_key=key).flow is (
        LoginFlow.JWT_BEARER
    )
    with pytest.raises(CredentialsRefused, match="no usable credentials"):
        _ = SalesforceCredentials(client_id="c").flow


@pytest.mark.parametrize("wrong", ["secret", "password"])
def test_refused_credentials_are_named_without_the_secret(
    build: Build, server: EmulatorServer, wrong: str
) -> None:
    if wrong == "secret":
        credentials = client_credentials(server, "not-the-secret-42")
    else:
        credentials = SalesforceCredentials(
            login_url=server.url,
            username="emulator@crmsync.test",
            password=SecretStr("not-the-password-42"),
        )
    system = build(credentials)

    with pytest.raises(CredentialsRefused) as raised:
        read(system)

    assert "not-the-secret-42" not in str(raised.value)
    assert "not-the-password-42" not in str(raised.value)
    assert system.stats().calls == 1  # a refusal is not retried


# -- records ----------------------------------------------------------------------------------


def test_locked_rows_are_sent_again_on_their_own(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    leads = seed_leads(admin, 3)
    admin.post("/lock-row", {"id": leads[1], "count": 2})
    system = build()
    read(system)
    ops = [WriteOp(WriteKind.UPDATE, "Lead", {"Company": "New"}, id=lead) for lead in leads]

    results = system.write_batch(ops)

    assert [r.ok for r in results] == [True, True, True]
    # The first call wrote two records, then only the locked one was sent, twice.
    patches = admin.calls("PATCH", "/composite/sobjects")
    assert [call["records"] for call in patches] == [2, 0, 1]
    assert len(clock.sleeps) == 2


def test_a_lock_that_outlasts_the_retries_becomes_that_records_failure(
    build: Build, admin: EmulatorAdmin
) -> None:
    leads = seed_leads(admin, 2)
    admin.post("/lock-row", {"id": leads[0], "count": 50})
    system = build(retry=RetrySettings(row_attempts=3))
    ops = [WriteOp(WriteKind.UPDATE, "Lead", {"Company": "New"}, id=lead) for lead in leads]

    locked, fine = system.write_batch(ops)

    assert fine.ok
    assert not locked.ok and locked.error_code == "UNABLE_TO_LOCK_ROW"
    assert len(admin.calls("PATCH", "/composite/sobjects")) == 3


def test_upsert_by_external_id_creates_then_updates(build: Build, admin: EmulatorAdmin) -> None:
    system = build()

    def upsert(company: str) -> WriteOp:
        fields = {"LastName": "Ext", "Company": company}
        return WriteOp(
            WriteKind.UPSERT, "Lead", fields, key_field="HubSpot_Contact_Id__c", key_value="501"
        )

    (first,) = system.write_batch([upsert("One")])
    (second,) = system.write_batch([upsert("Two")])

    assert first.ok and first.created
    assert second.ok and not second.created and second.id == first.id
    (record,) = system.read_by_ids("Lead", [str(first.id)], ["Company"])
    assert record.get("Company") == "Two"


def test_batched_writes_cost_one_collection_call_per_200_records(
    build: Build, admin: EmulatorAdmin
) -> None:
    leads = seed_leads(admin, 1000)
    system = build()
    admin.clear_requests()
    ops = [WriteOp(WriteKind.UPDATE, "Lead", {"Company": "Batch"}, id=lead) for lead in leads]

    results = []
    for start in range(0, len(ops), system.limits.write_batch):
        results += system.write_batch(ops[start : start + system.limits.write_batch])

    assert all(r.ok for r in results) and len(results) == 1000
    patches = admin.calls("PATCH", "/composite/sobjects")
    assert len(patches) == 5  # ceil(1000 / 200)
    assert [call["records"] for call in patches] == [200] * 5


def test_changes_are_paged_with_next_records_url(build: Build, admin: EmulatorAdmin) -> None:
    leads = seed_leads(admin, 2500)
    system = build()
    admin.clear_requests()

    read_ids = read(system)

    assert sorted(read_ids) == sorted(leads)
    pages = admin.calls("GET", "/query")
    assert len(pages) == 2 and pages[0]["records"] == 2000 and pages[1]["records"] == 500


def test_read_all_above_the_threshold_goes_through_bulk_and_reads_the_same(
    build: Build, admin: EmulatorAdmin
) -> None:
    seed_leads(admin, 12, Lead_Score__c=42, Status="Working - Contacted")
    fields = ["LastName", "Email", "Lead_Score__c", "IsConverted", "CreatedDate", "Status"]
    by_query = {r.id: r for r in build(bulk_threshold=100).read_all("Lead", fields)}
    admin.clear_requests()

    by_bulk = {r.id: r for r in build(bulk_threshold=10, bulk_poll_s=0).read_all("Lead", fields)}

    assert len(admin.calls("POST", "/jobs/query")) == 1
    assert by_bulk.keys() == by_query.keys() and len(by_bulk) == 12
    for record_id, record in by_bulk.items():
        assert record.fields == by_query[record_id].fields
        assert record.modified_at == by_query[record_id].modified_at


# -- SOQL escaping ----------------------------------------------------------------------------


def test_soql_values_are_escaped_and_names_checked() -> None:
    assert soql.literal("O'Brien \\ co") == "'O\\'Brien \\\\ co'"
    assert soql.literal(["a", "b'"]) == "('a','b\\'')"
    with pytest.raises(Exception, match="not a Salesforce object or field name"):
        soql.name("Lead WHERE Id != null")


def test_values_with_quotes_match_themselves_and_cannot_inject(
    build: Build, admin: EmulatorAdmin
) -> None:
    (tricky,) = admin.seed(
        {"Lead": [{"LastName": "O'Brien", "Company": "A\\B", "Email": "o'brien@example.com"}]}
    )["Lead"]
    seed_leads(admin, 2)
    system = build()

    found = system.find_by_values("Lead", "Email", ["O'BRIEN@example.com"], FIELDS)
    injected = system.find_by_values("Lead", "Email", ["x' OR Email != 'x"], FIELDS)
    by_company = system.find_by_values("Lead", "Company", ["A\\B"], FIELDS)

    assert [r.id for r in found] == [tricky]
    assert injected == []
    assert [r.id for r in by_company] == [tricky]


# -- the daily allocation ---------------------------------------------------------------------


def test_the_daily_allocation_stops_the_run_before_salesforce_refuses(
    build: Build, admin: EmulatorAdmin
) -> None:
    admin.post("/limits", {"daily_api_requests": 40})
    system = build()

    with pytest.raises(LimitExhausted) as raised:
        for _ in range(50):
            read(system)

    assert raised.value.system == "salesforce"
    assert "rolling 24 hours" in str(raised.value)
    assert not [e for e in admin.requests() if e["status"] == 403]
    assert admin.get("/limits")["remaining"] >= 2  # the 5 % reserve is left for others


def test_a_spent_allocation_refused_by_salesforce_is_limit_exhausted(
    build: Build, admin: EmulatorAdmin
) -> None:
    system = build(reserve_fraction=0.0)
    read(system)
    admin.post("/limits", {"daily_api_requests": 0})
    admin.clear_requests()

    with pytest.raises(LimitExhausted, match="REQUEST_LIMIT_EXCEEDED"):
        read(system)

    assert len(admin.requests()) == 1  # refused once, not retried


# -- TLS trust --------------------------------------------------------------------------------


def test_ca_bundles_named_in_the_environment_do_not_change_trust(
    build: Build, admin: EmulatorAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(bogus))
    ids = seed_leads(admin, 2)

    assert sorted(read(build())) == sorted(ids)


def test_a_wrong_ca_fails_clearly_and_the_environment_cannot_rescue_it(
    build: Build,
    tls_files: TlsFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: EmulatorServer,
) -> None:
    other_ca = make_tls(tmp_path / "other").ca_path
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files.ca_path))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca_path))
    system = build(ca=other_ca)

    with pytest.raises(SystemUnreachable) as raised:
        read(system)

    message = str(raised.value)
    assert "certificate" in message and "ca_bundle" in message
    assert f"{server.url}/services/oauth2/token" in message
    assert system.stats().calls == 1  # a certificate does not get better by asking again


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_never_reach_logs_or_error_messages(
    build: Build, admin: EmulatorAdmin, server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_leads(admin, 2)
    messages: list[str] = []
    system = build()
    read(system)
    admin.post("/expire-tokens")
    admin.faults({"path": "/query", "method": "GET", "status": 503, "count": 1})
    read(system)
    token = system.session.bearer.token
    assert token is not None
    for credentials in (
        client_credentials(server, "wrong-secret-0987"),
        SalesforceCredentials(
            login_url=server.url,
            username="emulator@crmsync.test",
            password=SecretStr(PASSWORD),
            security_token=SecretStr("wrong-token-0987"),
        ),
    ):
        with pytest.raises(CredentialsRefused) as raised:
            read(build(credentials))
        messages.append(str(raised.value))

    text = caplog.text + "\n".join(messages)
    assert "session expired" in text  # the logs were captured
    for secret in (CLIENT_SECRET, PASSWORD, "wrong-secret-0987", "wrong-token-0987"):
        assert secret not in text
    assert token.get_secret_value() not in text
    assert not TOKEN_SHAPE.search(text)


def test_a_login_host_that_cannot_be_reached_is_named_after_bounded_retries(
    build: Build, clock: FakeTime
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    credentials = SalesforceCredentials(
        login_url=f"https://127.0.0.1:{port}",
        client_id="emulator-client-id",
        client_secret=SecretStr(CLIENT_SECRET),
    )
    system = build(credentials, retry=RetrySettings(max_attempts=3))

    with pytest.raises(SystemUnreachable) as raised:
        read(system)

    message = str(raised.value)
    assert f"Salesforce at https://127.0.0.1:{port}/services/oauth2/token" in message
    assert "connection failed" in message and CLIENT_SECRET not in message
    assert len(clock.sleeps) == 2
