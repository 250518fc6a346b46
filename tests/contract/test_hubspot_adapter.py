"""The HubSpot adapter against the emulator: rate limits, retries, batch answers, search windows.

hubspot-api-client talks to the emulator over loopback HTTPS with the emulator's CA. Time is
simulated: the adapter's sleep is recorded and moves the emulator's clock forward by as much,
so rate windows roll over without anyone waiting.
"""

from __future__ import annotations

import gc
import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector.emulators.hubspot import HubSpotService
from connector.emulators.server import EmulatorServer, TlsFiles, make_tls
from connector.engine.in_flight import side_by_side
from connector.errors import CredentialsRefused, LimitExhausted, SystemUnreachable
from connector.model import Side, WriteKind, WriteOp
from connector.systems.budget import RollingWindow
from connector.systems.classify import Action, classify, safe_to_repeat
from connector.systems.http import Transport
from connector.systems.hubspot import HubSpotSystem
from connector.systems.retry import RetrySettings
from tests.fakes import EmulatorAdmin, FakeTime

TOKEN = "emulator-hubspot-token"
FIELDS = ["firstname", "lastname", "email", "lifecyclestage"]


@pytest.fixture(scope="module")
def server(tls_files: TlsFiles) -> Iterator[EmulatorServer]:
    started = EmulatorServer(HubSpotService(), tls_files).start()
    yield started
    gc.collect()
    started.stop()


@pytest.fixture
def service(server: EmulatorServer) -> HubSpotService:
    assert isinstance(server.service, HubSpotService)
    return server.service


@pytest.fixture
def admin(server: EmulatorServer, tls_files: TlsFiles) -> Iterator[EmulatorAdmin]:
    client = EmulatorAdmin(server.url, tls_files.ca_path)
    client.reset()
    client.post("/settings", {"create_status": 200, "batch_errors": "multi_status"})
    yield client
    client.close()


@pytest.fixture
def clock(service: HubSpotService) -> FakeTime:
    return FakeTime(on_sleep=lambda seconds: service.clock.advance(timedelta(seconds=seconds)))


Build = Callable[..., HubSpotSystem]


@pytest.fixture
def build(
    server: EmulatorServer, tls_files: TlsFiles, clock: FakeTime, service: HubSpotService
) -> Iterator[Build]:
    def make(token: str = TOKEN, ca: Path | None = None, **options: Any) -> HubSpotSystem:
        options.setdefault("sleep", clock.sleep)
        options.setdefault("monotonic", clock.monotonic)
        options.setdefault("clock", service.clock.now)
        options.setdefault("search_lag_s", 0.0)
        return HubSpotSystem(
            SecretStr(token),
            base_url=server.url,
            transport=Transport(ca or tls_files.ca_path, timeout_s=10),
            **options,
        )

    yield make
    gc.collect()


def seed_contacts(admin: EmulatorAdmin, count: int, **properties: str) -> list[str]:
    contacts = [
        {"properties": {"email": f"person{n}@example.com", "lastname": f"P{n}", **properties}}
        for n in range(count)
    ]
    return admin.seed({"contacts": contacts})["contacts"]


def update(record_id: str, **fields: str) -> WriteOp:
    return WriteOp(WriteKind.UPDATE, "contacts", fields, id=record_id, ref=record_id)


# -- rate limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "wait"), [("TEN_SECONDLY_ROLLING", 10.0), ("SECONDLY", 1.0)])
def test_429_waits_as_long_as_the_named_policy_needs(
    build: Build, admin: EmulatorAdmin, clock: FakeTime, policy: str, wait: float
) -> None:
    ids = seed_contacts(admin, 2)
    admin.faults(
        {"path": "/batch/read", "method": "POST", "status": 429, "error_code": policy, "count": 1}
    )
    system = build()

    records = system.read_by_ids("contacts", ids, FIELDS)

    assert sorted(r.id for r in records) == sorted(ids)
    assert clock.sleeps == [wait]
    assert system.stats().rate_limited == 1


def test_the_daily_policy_stops_the_run_saying_when_it_can_resume(
    build: Build, admin: EmulatorAdmin
) -> None:
    admin.faults({"path": "/batch/read", "method": "POST", "status": 429, "error_code": "DAILY"})
    system = build()

    with pytest.raises(LimitExhausted) as raised:
        system.read_by_ids("contacts", ["1"], FIELDS)

    assert raised.value.system == "hubspot"
    assert raised.value.resume_after_s is not None and 0 < raised.value.resume_after_s <= 86_400
    assert "midnight" in str(raised.value)
    assert len(admin.calls("POST", "/batch/read")) == 1


def test_the_daily_limit_stops_the_run_before_hubspot_refuses(
    build: Build, admin: EmulatorAdmin
) -> None:
    admin.post("/settings", {"daily_limit": 40})
    (contact,) = seed_contacts(admin, 1)
    system = build()

    with pytest.raises(LimitExhausted, match="daily"):
        for _ in range(60):
            system.read_by_ids("contacts", [contact], FIELDS)

    assert not [e for e in admin.requests() if e["status"] == 429]
    assert system.stats().extra["daily_remaining"] <= 2  # 5 % of 40, kept for other apps


def test_the_burst_window_is_waited_out_before_hubspot_refuses(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    admin.post("/settings", {"burst_limit": 5})
    (contact,) = seed_contacts(admin, 1)
    system = build()

    for _ in range(14):
        system.read_by_ids("contacts", [contact], FIELDS)

    assert not [e for e in admin.requests() if e["status"] == 429]
    assert clock.sleeps  # it waited, before being told to
    assert system.stats().rate_limited == 0


def test_calls_in_flight_together_keep_to_the_burst_window(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    # As a cycle sends a chunk's batches: the adapter's in_flight calls at once, on threads
    # that share one budget.
    admin.post("/settings", {"burst_limit": 6})
    (contact,) = seed_contacts(admin, 1)
    system = build()
    assert system.limits.in_flight == 2

    answers = side_by_side(
        lambda _: system.read_by_ids("contacts", [contact], FIELDS),
        list(range(20)),
        system.limits.in_flight,
    )

    assert [len(a) for a in answers] == [1] * 20
    assert not [e for e in admin.requests() if e["status"] == 429]
    assert clock.sleeps
    assert system.stats().calls == 20


def test_searches_are_paced_to_their_own_per_second_limit(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    ids = seed_contacts(admin, 2000)
    system = build(search_per_second=4)

    records = list(system.read_changes("contacts", FIELDS, None))

    assert len(records) == len(ids)
    searches = admin.calls("POST", "/search")
    assert len(searches) == 10 and all(e["status"] == 200 for e in searches)
    assert len(clock.sleeps) >= 2


def test_an_answer_does_not_give_back_calls_still_in_flight() -> None:
    window = RollingWindow(limit=10, window_s=10.0)
    for _ in range(3):
        window.spend(0.0)
    # The first call's answer says 9 are left: the service had not seen the other two yet.
    window.land(0.1)
    window.sync(9, 0.1)
    assert window.remaining == 7
    window.land(0.1)
    window.land(0.1)
    window.sync(7, 0.1)
    assert window.remaining == 7


def test_rolling_window_counts_our_calls_and_trusts_the_headers() -> None:
    window = RollingWindow(limit=3, window_s=10.0)
    for at in (0.0, 1.0, 2.0):
        assert window.delay(at) == 0.0
        window.spend(at)
        window.land(at + 0.2)
    # Until the first call leaves, counted from its answer (the service counted it on arrival,
    # somewhere between the send and the answer).
    assert window.delay(2.5) == pytest.approx(7.7)
    assert window.delay(9.99) == pytest.approx(0.21)
    assert window.delay(10.2) == 0.0
    window.sync(0, 10.2)  # another process spent it
    assert window.delay(10.2) == pytest.approx(1.0)


def test_a_call_in_flight_holds_its_place_in_the_window() -> None:
    window = RollingWindow(limit=2, window_s=10.0)
    window.spend(0.0)
    window.spend(0.0)
    # Unanswered calls never age out: the service may not even have counted them yet.
    assert window.delay(30.0) > 0.0
    window.land(30.0)
    assert window.delay(30.0) == pytest.approx(10.0)
    assert window.delay(40.0) == 0.0


def test_a_slot_the_answer_already_gave_back_is_not_given_back_twice() -> None:
    window = RollingWindow(limit=2, window_s=10.0)
    window.spend(0.0)
    window.land(0.3)  # the service counted it somewhere in between
    window.spend(10.1)
    window.land(10.2)
    # This answer says 1 is left: the first call has left the service's window already.
    window.sync(1, 10.2)
    # When the first call leaves our window (10.3), no second slot appears: the count stays 1
    # and only the second call's slot comes back, after its own window.
    assert window.delay(10.35) == 0.0
    assert window.remaining == 1
    window.spend(10.35)
    assert window.delay(10.36) == pytest.approx(20.2 - 10.36)


# -- retries ----------------------------------------------------------------------------------


def test_a_503_storm_on_a_read_is_retried(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    ids = seed_contacts(admin, 3)
    admin.faults({"path": "/batch/read", "method": "POST", "status": 503, "count": 3})
    system = build()

    assert len(system.read_by_ids("contacts", ids, FIELDS)) == 3
    assert len(clock.sleeps) == 3 and system.stats().retries == 3


def test_a_dropped_connection_during_a_search_is_retried(
    build: Build, admin: EmulatorAdmin
) -> None:
    ids = seed_contacts(admin, 3)
    admin.faults({"path": "/search", "method": "POST", "disconnect": True, "count": 1})

    records = list(build().read_changes("contacts", FIELDS, None))

    assert sorted(r.id for r in records) == sorted(ids)


@pytest.mark.parametrize(
    "fault", [{"status": 503}, {"disconnect": True}], ids=["503", "dropped-connection"]
)
def test_a_batch_create_is_never_sent_twice(
    build: Build, admin: EmulatorAdmin, fault: dict[str, Any]
) -> None:
    admin.faults({"path": "/batch/create", "method": "POST", "count": 1, **fault})
    op = WriteOp(WriteKind.CREATE, "contacts", {"email": "once@example.com"})

    with pytest.raises(SystemUnreachable, match="not retried"):
        build().write_batch([op])

    assert len(admin.calls("POST", "/batch/create")) == 1


def test_a_batch_update_meeting_503_is_retried(build: Build, admin: EmulatorAdmin) -> None:
    (contact,) = seed_contacts(admin, 1)
    admin.faults({"path": "/batch/update", "method": "POST", "status": 503, "count": 2})

    (result,) = build().write_batch([update(contact, firstname="Again")])

    assert result.ok
    assert len(admin.calls("POST", "/batch/update")) == 3


def test_only_safe_requests_count_as_repeatable() -> None:
    assert safe_to_repeat(Side.HUBSPOT, "POST", "/crm/v3/objects/contacts/batch/upsert")
    assert safe_to_repeat(Side.HUBSPOT, "POST", "/crm/v3/objects/contacts/search")
    assert not safe_to_repeat(Side.HUBSPOT, "POST", "/crm/v3/objects/contacts/batch/create")
    assert not safe_to_repeat(Side.HUBSPOT, "POST", "/crm/v3/objects/contacts")
    assert safe_to_repeat(Side.SALESFORCE, "PATCH", "/services/data/v59.0/composite/sobjects")
    assert not safe_to_repeat(Side.SALESFORCE, "POST", "/services/data/v59.0/composite/sobjects")


def test_the_table_maps_codes_to_actions() -> None:
    def action(side: Side, status: int, body: str) -> Action:
        return classify(side, status, {}, body).action

    assert action(Side.HUBSPOT, 429, '{"policyName": "DAILY"}') is Action.STOP
    assert action(Side.HUBSPOT, 429, '{"policyName": "SECONDLY"}') is Action.WAIT
    assert action(Side.HUBSPOT, 502, "<html>") is Action.RETRY
    assert action(Side.HUBSPOT, 400, '{"category": "VALIDATION_ERROR"}') is Action.REJECT
    assert action(Side.SALESFORCE, 401, '[{"errorCode": "INVALID_SESSION_ID"}]') is Action.REAUTH
    assert action(Side.SALESFORCE, 403, '[{"errorCode": "REQUEST_LIMIT_EXCEEDED"}]') is (
        Action.STOP
    )
    assert action(Side.SALESFORCE, 400, '{"error": "invalid_grant"}') is Action.STOP
    concurrent = '[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "ConcurrentRequests Limit"}]'
    assert action(Side.SALESFORCE, 403, concurrent) is Action.WAIT


# -- batch answers ----------------------------------------------------------------------------


def test_207_errors_are_matched_to_their_own_inputs(build: Build, admin: EmulatorAdmin) -> None:
    first, second = seed_contacts(admin, 2)
    ops = [
        update(first, firstname="One"),
        update("900000000001", firstname="Ghost"),
        update(second, firstname="Two"),
        update("900000000002", firstname="Ghost"),
    ]

    results = build().write_batch(ops)

    assert [r.ok for r in results] == [True, False, True, False]
    assert [r.id for r in results if r.ok] == [first, second]
    assert {r.error_code for r in results if not r.ok} == {"OBJECT_NOT_FOUND"}
    assert len(admin.calls("POST", "/batch/update")) == 1


def test_a_batch_refused_whole_is_split_until_the_bad_input_stands_alone(
    build: Build, admin: EmulatorAdmin
) -> None:
    admin.post("/settings", {"batch_errors": "reject_batch"})
    ops = [
        WriteOp(
            WriteKind.UPSERT,
            "contacts",
            {"firstname": f"N{n}", **({"email": "not-an-email"} if n == 5 else {})},
            key_field="email",
            key_value=f"n{n}@example.com",
        )
        for n in range(8)
    ]

    results = build().write_batch(ops)

    assert [r.ok for r in results] == [n != 5 for n in range(8)]
    assert results[5].error_code == "VALIDATION_ERROR" and "not-an-email" in str(
        results[5].error_message
    )
    stored = {r["properties"].get("email") for r in admin.get("/records/contacts")}
    assert {f"n{n}@example.com" for n in range(8) if n != 5} <= stored


def test_a_property_hubspot_lacks_fails_every_input_setting_it_at_once(
    build: Build, admin: EmulatorAdmin
) -> None:
    admin.post("/settings", {"batch_errors": "reject_batch"})
    contacts = seed_contacts(admin, 6)
    ops = [
        update(c, firstname="X", **({"no_such_property": "v"} if n % 2 else {}))
        for n, c in enumerate(contacts)
    ]

    results = build().write_batch(ops)

    assert [r.ok for r in results] == [True, False, True, False, True, False]
    assert all("no_such_property" in r.error_fields for r in results if not r.ok)
    assert len(admin.calls("POST", "/batch/update")) == 2  # refused once, then the rest


@pytest.mark.parametrize("status", [200, 201])
def test_creates_are_read_whether_hubspot_answers_200_or_201(
    build: Build, admin: EmulatorAdmin, status: int
) -> None:
    admin.post("/settings", {"create_status": status})
    ops = [
        WriteOp(WriteKind.CREATE, "contacts", {"email": f"new{n}@example.com"}) for n in range(3)
    ]

    results = build().write_batch(ops)

    assert [e["status"] for e in admin.calls("POST", "/batch/create")] == [status]
    assert all(r.ok and r.created and r.id for r in results)
    stored = {r["id"]: r["properties"]["email"] for r in admin.get("/records/contacts")}
    assert [stored[str(r.id)] for r in results] == [f"new{n}@example.com" for n in range(3)]


def test_batched_writes_cost_one_call_per_100_records(build: Build, admin: EmulatorAdmin) -> None:
    contacts = seed_contacts(admin, 1000)
    system = build()
    ops = [update(c, firstname="Batch") for c in contacts]

    results = []
    for start in range(0, len(ops), system.limits.write_batch):
        results += system.write_batch(ops[start : start + system.limits.write_batch])

    assert len(results) == 1000 and all(r.ok for r in results)
    calls = admin.calls("POST", "/batch/update")
    assert len(calls) == 10  # ceil(1000 / 100)
    assert [c["records"] for c in calls] == [100] * 10


# -- lifecyclestage ---------------------------------------------------------------------------


def test_a_backward_lifecycle_move_clears_the_stage_first(
    build: Build, admin: EmulatorAdmin
) -> None:
    ahead, behind = seed_contacts(admin, 2, lifecyclestage="customer")
    admin.seed({"contacts": []})
    system = build()

    results = system.write_batch(
        [update(ahead, lifecyclestage="lead"), update(behind, lifecyclestage="evangelist")]
    )

    assert all(r.ok for r in results)
    stages = {
        r.id: r.get("lifecyclestage")
        for r in system.read_by_ids("contacts", [ahead, behind], FIELDS)
    }
    assert stages == {ahead: "lead", behind: "evangelist"}
    # One read of the current stages, one clearing update, then the write itself.
    assert len(admin.calls("POST", "/batch/read")) == 2
    assert len(admin.calls("POST", "/batch/update")) == 2


def test_a_forward_lifecycle_move_is_written_once(build: Build, admin: EmulatorAdmin) -> None:
    (contact,) = seed_contacts(admin, 1, lifecyclestage="lead")

    (result,) = build().write_batch([update(contact, lifecyclestage="salesqualifiedlead")])

    assert result.ok
    assert len(admin.calls("POST", "/batch/update")) == 1


def test_an_upsert_by_email_moving_the_stage_back_clears_it_first(
    build: Build, admin: EmulatorAdmin
) -> None:
    seed_contacts(admin, 1, lifecyclestage="opportunity")
    op = WriteOp(
        WriteKind.UPSERT,
        "contacts",
        {"lifecyclestage": "lead"},
        key_field="email",
        key_value="PERSON0@example.com",
    )

    (result,) = build().write_batch([op])

    assert result.ok and not result.created
    (record,) = build().find_by_values("contacts", "email", ["person0@example.com"], FIELDS)
    assert record.get("lifecyclestage") == "lead"


# -- searching changes ------------------------------------------------------------------------


def test_more_changes_than_one_search_can_page_are_read_once_each(
    build: Build, admin: EmulatorAdmin
) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    contacts = [
        {
            "properties": {
                "email": f"w{n}@example.com",
                "lastmodifieddate": (start + timedelta(milliseconds=10 * n)).isoformat(),
            }
        }
        for n in range(10_050)
    ]
    seeded = admin.seed({"contacts": contacts})["contacts"]
    system = build()

    read_ids = [r.id for r in system.read_changes("contacts", ["email"], start)]

    assert Counter(read_ids) == Counter(seeded)
    assert system.stats().extra["search_windows"] == 2
    stamps = [r.modified_at for r in system.read_changes("contacts", ["email"], None)]
    assert None not in stamps
    assert stamps == sorted(s for s in stamps if s is not None)


def test_more_records_at_one_instant_than_a_query_can_page_are_read_once_each(
    build: Build, admin: EmulatorAdmin
) -> None:
    instant = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    later = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    tied = seed_contacts(admin, 700, lastmodifieddate=instant)
    after = seed_contacts(admin, 50, lastmodifieddate=later)
    system = build(search_cap=400)

    read_ids = [r.id for r in system.read_changes("contacts", ["email"], None)]

    assert Counter(read_ids) == Counter(tied + after)
    assert read_ids[-50:] == after


def test_changes_newer_than_the_search_lag_wait_for_the_next_read(
    build: Build, admin: EmulatorAdmin, service: HubSpotService
) -> None:
    (old,) = seed_contacts(
        admin, 1, lastmodifieddate=(service.clock.now() - timedelta(minutes=5)).isoformat()
    )
    (fresh,) = seed_contacts(admin, 1)
    system = build(search_lag_s=5.0)

    first = [r.id for r in system.read_changes("contacts", FIELDS, None)]
    assert system.safe_until() < service.clock.now()
    service.clock.advance(timedelta(seconds=6))
    second = [r.id for r in system.read_changes("contacts", FIELDS, None)]

    assert first == [old]
    assert second == [old, fresh]


# -- other reads ------------------------------------------------------------------------------


def test_find_by_email_batches_100_values_a_call(build: Build, admin: EmulatorAdmin) -> None:
    contacts = seed_contacts(admin, 150)
    emails = [f"PERSON{n}@example.com" for n in range(150)]

    found = build().find_by_values("contacts", "email", emails, ["lastname"])

    assert sorted(r.id for r in found) == sorted(contacts)
    assert len(admin.calls("POST", "/batch/read")) == 2


def test_read_all_pages_the_list_endpoint_never_search(build: Build, admin: EmulatorAdmin) -> None:
    contacts = seed_contacts(admin, 250)

    records = list(build().read_all("contacts", FIELDS))

    assert sorted(r.id for r in records) == sorted(contacts)
    assert len(admin.calls("GET", "/crm/v3/objects/contacts")) == 3
    assert not admin.calls("POST", "/search")


def test_owners_are_read_page_by_page(build: Build, admin: EmulatorAdmin) -> None:
    owners = [
        {"email": f"owner{n}@example.com", "firstName": "O", "lastName": f"{n}"} for n in range(150)
    ]
    admin.seed({"owners": owners})

    found = build().list_owners()

    assert {o.email for o in found} == {o["email"] for o in owners}
    assert found[0].name == "O 0"


def test_deals_are_associated_with_contacts_in_one_call(build: Build, admin: EmulatorAdmin) -> None:
    first, second = seed_contacts(admin, 2)
    (deal,) = admin.seed(
        {"deals": [{"properties": {"dealname": "Big", "dealstage": "closedwon"}}]}
    )["deals"]

    results = build().associate("deals", deal, "contacts", [first, second, "900000000009"])

    assert [(r.to_id, r.ok) for r in results] == [
        (first, True),
        (second, True),
        ("900000000009", False),
    ]
    (stored,) = [d for d in admin.get("/records/deals") if d["id"] == deal]
    assert sorted(stored["associations"]["contacts"]) == sorted([first, second])
    assert len(admin.calls("POST", "/associate/default")) == 1


# -- TLS and secrets --------------------------------------------------------------------------


def test_ca_bundles_named_in_the_environment_do_not_change_trust(
    build: Build, admin: EmulatorAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(bogus))
    ids = seed_contacts(admin, 2)

    assert len(build().read_by_ids("contacts", ids, FIELDS)) == 2


def test_a_wrong_ca_fails_clearly_without_retrying(
    build: Build, tmp_path: Path, server: EmulatorServer
) -> None:
    system = build(ca=make_tls(tmp_path / "other").ca_path)

    with pytest.raises(SystemUnreachable) as raised:
        system.read_by_ids("contacts", ["1"], FIELDS)

    assert "certificate" in str(raised.value) and "ca_bundle" in str(raised.value)
    assert f"{server.url}/crm/v3/objects/contacts/batch/read" in str(raised.value)
    assert system.stats().calls == 1


def test_the_token_never_reaches_logs_or_error_messages(
    build: Build, admin: EmulatorAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ids = seed_contacts(admin, 2)
    admin.faults({"path": "/batch/read", "method": "POST", "status": 502, "count": 1})
    build().read_by_ids("contacts", ids, FIELDS)
    wrong = "pat-na1-00000000-wrong-token"

    with pytest.raises(CredentialsRefused) as raised:
        build(token=wrong).read_by_ids("contacts", ids, FIELDS)

    text = caplog.text + str(raised.value)
    assert "trying again" in text  # the logs were captured
    assert TOKEN not in text and wrong not in text


def test_an_outage_gives_up_after_bounded_attempts(
    build: Build, admin: EmulatorAdmin, clock: FakeTime
) -> None:
    admin.faults({"path": "/batch/read", "method": "POST", "status": 503})
    system = build(retry=RetrySettings(max_attempts=3))

    with pytest.raises(SystemUnreachable, match=r"HubSpot at .*/batch/read: POST failed after 3"):
        system.read_by_ids("contacts", ["1"], FIELDS)

    assert len(clock.sleeps) == 2


def test_a_host_that_cannot_be_reached_is_named_after_bounded_retries(
    tls_files: TlsFiles, clock: FakeTime
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    system = HubSpotSystem(
        SecretStr(TOKEN),
        base_url=f"https://127.0.0.1:{port}",
        transport=Transport(tls_files.ca_path),
        retry=RetrySettings(max_attempts=3),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )

    with pytest.raises(SystemUnreachable) as raised:
        system.read_by_ids("contacts", ["1"], FIELDS)

    message = str(raised.value)
    assert f"HubSpot at https://127.0.0.1:{port}/crm/v3/objects/contacts/batch/read" in message
    assert "connection failed" in message and TOKEN not in message
    assert len(clock.sleeps) == 2
