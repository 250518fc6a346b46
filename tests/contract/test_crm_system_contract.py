"""The ``CrmSystem`` contract, run against every implementation the engine may be given.

The same test class runs against the Salesforce adapter and the HubSpot adapter (each through
its real SDK, over loopback HTTPS to its emulator) and against ``FakeSystem``, so engine tests
on the fake rely only on what the real adapters also do. Each ``Case`` translates the neutral
test data (a person with a name, an e-mail and a modification time) into its system's object.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector.config import Secrets, config_from_text
from connector.emulators.hubspot import HubSpotService
from connector.emulators.salesforce import SalesforceService
from connector.emulators.server import EmulatorServer, TlsFiles
from connector.errors import ConfigError, InvariantBroken
from connector.model import FieldInfo, Owner, Record, Side, WriteKind, WriteOp
from connector.systems.base import CrmSystem
from connector.systems.factory import build_systems
from connector.systems.http import Transport
from connector.systems.hubspot import HubSpotSystem
from connector.systems.salesforce import SalesforceSystem
from connector.systems.salesforce_auth import SalesforceCredentials
from tests.fakes import EmulatorAdmin, FakeSystem, FakeTime


@dataclass
class Person:
    """Neutral test data: what every system can hold."""

    first: str
    last: str
    email: str
    modified_at: datetime | None = None


@dataclass
class Case:
    """One implementation under contract, with its object, fields and ways to set up data."""

    name: str
    system: CrmSystem
    object: str
    first: str
    last: str
    email: str
    seed: Callable[[list[Person]], list[str]]
    create: Callable[[Person], WriteOp]
    invalid: Callable[[Person], WriteOp]
    missing_id: str
    seed_owner: Callable[[str], None]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return [self.first, self.last, self.email]

    def update(self, record_id: str, last: str) -> WriteOp:
        return WriteOp(WriteKind.UPDATE, self.object, {self.last: last}, id=record_id, ref=last)


BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture(scope="module")
def salesforce_server(tls_files: TlsFiles) -> Iterator[EmulatorServer]:
    server = EmulatorServer(SalesforceService(), tls_files).start()
    yield server
    gc.collect()
    server.stop()


@pytest.fixture(scope="module")
def hubspot_server(tls_files: TlsFiles) -> Iterator[EmulatorServer]:
    server = EmulatorServer(HubSpotService(), tls_files).start()
    yield server
    gc.collect()
    server.stop()


def salesforce_case(server: EmulatorServer, tls: TlsFiles) -> Case:
    admin = EmulatorAdmin(server.url, tls.ca_path)
    admin.reset()
    time = FakeTime()
    system = SalesforceSystem(
        SalesforceCredentials(
            login_url=server.url,
            client_id="emulator-client-id",
            client_secret=SecretStr("emulator-client-secret"),
        ),
        transport=Transport(tls.ca_path),
        sleep=time.sleep,
        monotonic=time.monotonic,
    )

    def seed(people: list[Person]) -> list[str]:
        leads = []
        for person in people:
            lead: dict[str, Any] = {
                "FirstName": person.first,
                "LastName": person.last,
                "Email": person.email,
                "Company": "Acme",
            }
            if person.modified_at is not None:
                lead["SystemModstamp"] = person.modified_at.isoformat()
            leads.append(lead)
        return admin.seed({"Lead": leads})["Lead"]

    def seed_owner(email: str) -> None:
        admin.seed({"User": [{"LastName": "Owner", "Email": email, "Username": email}]})

    return Case(
        name="salesforce",
        system=system,
        object="Lead",
        first="FirstName",
        last="LastName",
        email="Email",
        seed=seed,
        create=lambda p: WriteOp(
            WriteKind.CREATE,
            "Lead",
            {"FirstName": p.first, "LastName": p.last, "Email": p.email, "Company": "Acme"},
        ),
        # Salesforce requires a last name on a lead.
        invalid=lambda p: WriteOp(
            WriteKind.CREATE, "Lead", {"FirstName": p.first, "Email": p.email, "Company": "Acme"}
        ),
        missing_id="00QEm0000009999MAA",
        seed_owner=seed_owner,
        extra={"admin": admin},
    )


def hubspot_case(server: EmulatorServer, tls: TlsFiles) -> Case:
    admin = EmulatorAdmin(server.url, tls.ca_path)
    admin.reset()
    service = server.service
    assert isinstance(service, HubSpotService)
    time = FakeTime(on_sleep=lambda s: service.clock.advance(timedelta(seconds=s)))
    system = HubSpotSystem(
        SecretStr("emulator-hubspot-token"),
        base_url=server.url,
        transport=Transport(tls.ca_path),
        sleep=time.sleep,
        monotonic=time.monotonic,
        clock=service.clock.now,
        search_lag_s=0.0,
    )

    def seed(people: list[Person]) -> list[str]:
        contacts = []
        for person in people:
            props = {"firstname": person.first, "lastname": person.last, "email": person.email}
            if person.modified_at is not None:
                props["lastmodifieddate"] = person.modified_at.isoformat()
            contacts.append({"properties": props})
        return admin.seed({"contacts": contacts})["contacts"]

    def seed_owner(email: str) -> None:
        admin.seed({"owners": [{"email": email, "firstName": "Olive", "lastName": "Owner"}]})

    return Case(
        name="hubspot",
        system=system,
        object="contacts",
        first="firstname",
        last="lastname",
        email="email",
        seed=seed,
        create=lambda p: WriteOp(
            WriteKind.CREATE,
            "contacts",
            {"firstname": p.first, "lastname": p.last, "email": p.email},
        ),
        # HubSpot refuses an e-mail address it cannot parse.
        invalid=lambda p: WriteOp(
            WriteKind.CREATE, "contacts", {"firstname": p.first, "email": "not-an-email"}
        ),
        missing_id="999999999999",
        seed_owner=seed_owner,
        extra={"admin": admin},
    )


def fake_case(side: Side = Side.HUBSPOT) -> Case:
    time = FakeTime(start=datetime.now(UTC).replace(microsecond=0))
    fake = FakeSystem(side, clock=time.now)
    fake.fail(lambda op: op.fields.get("email") == "not-an-email", "INVALID_EMAIL", "bad e-mail")

    def seed(people: list[Person]) -> list[str]:
        return [
            fake.seed(
                "contacts",
                {"firstname": p.first, "lastname": p.last, "email": p.email},
                p.modified_at,
            )
            for p in people
        ]

    def seed_owner(email: str) -> None:
        fake.owners.append(Owner("1", email, "Olive Owner"))

    return Case(
        name="fake",
        system=fake,
        object="contacts",
        first="firstname",
        last="lastname",
        email="email",
        seed=seed,
        create=lambda p: WriteOp(
            WriteKind.CREATE,
            "contacts",
            {"firstname": p.first, "lastname": p.last, "email": p.email},
        ),
        invalid=lambda p: WriteOp(
            WriteKind.CREATE, "contacts", {"firstname": p.first, "email": "not-an-email"}
        ),
        missing_id="100000009999",
        seed_owner=seed_owner,
    )


@pytest.fixture(params=["salesforce", "hubspot", "fake"])
def case(request: pytest.FixtureRequest, tls_files: TlsFiles) -> Iterator[Case]:
    if request.param == "salesforce":
        built = salesforce_case(request.getfixturevalue("salesforce_server"), tls_files)
    elif request.param == "hubspot":
        built = hubspot_case(request.getfixturevalue("hubspot_server"), tls_files)
    else:
        built = fake_case()
    yield built
    if isinstance(built.system, SalesforceSystem):
        built.system.close()
    admin = built.extra.get("admin")
    if isinstance(admin, EmulatorAdmin):
        admin.close()


def ids(records: list[Record]) -> list[str]:
    return [record.id for record in records]


class TestCrmSystemContract:
    """What the engine relies on, whichever system it talks to."""

    def test_reads_every_change_oldest_first_in_utc(self, case: Case) -> None:
        first, second, third = case.seed(
            [
                Person("Cy", "Third", "cy@example.com", BASE + timedelta(seconds=20)),
                Person("Ada", "First", "ada@example.com", BASE),
                Person("Bo", "Second", "bo@example.com", BASE + timedelta(seconds=10)),
            ]
        )

        records = list(case.system.read_changes(case.object, case.fields, None))

        assert ids(records) == [second, third, first]
        assert [r.modified_at for r in records] == [
            BASE,
            BASE + timedelta(seconds=10),
            BASE + timedelta(seconds=20),
        ]
        assert all(
            r.modified_at is not None and r.modified_at.utcoffset() == timedelta(0) for r in records
        )
        assert records[0].fields == {
            case.first: "Ada",
            case.last: "First",
            case.email: "ada@example.com",
        }
        assert {r.side for r in records} == {case.system.side}

    def test_read_since_a_cursor_includes_every_record_at_that_instant(self, case: Case) -> None:
        before, tied_a, tied_b, after = case.seed(
            [
                Person("Old", "Before", "old@example.com", BASE),
                Person("Tia", "Tied", "tia@example.com", BASE + timedelta(seconds=30)),
                Person("Tom", "Tied", "tom@example.com", BASE + timedelta(seconds=30)),
                Person("New", "After", "new@example.com", BASE + timedelta(seconds=60)),
            ]
        )

        records = list(
            case.system.read_changes(case.object, case.fields, BASE + timedelta(seconds=30))
        )

        # Inclusive: both records of the cursor's instant come back, so the caller's seen_ids
        # can drop the one already processed and keep the other.
        assert before not in ids(records)
        assert sorted(ids(records)[:2]) == sorted([tied_a, tied_b])
        assert ids(records)[2:] == [after]

    def test_read_all_streams_every_record_and_honours_since(self, case: Case) -> None:
        old, new = case.seed(
            [
                Person("Old", "Timer", "old@example.com", BASE),
                Person("New", "Comer", "new@example.com", BASE + timedelta(seconds=90)),
            ]
        )

        everything = list(case.system.read_all(case.object, case.fields))
        recent = list(case.system.read_all(case.object, case.fields, BASE + timedelta(seconds=60)))

        assert sorted(ids(everything)) == sorted([old, new])
        assert ids(recent) == [new]
        assert next(r for r in everything if r.id == new).fields[case.last] == "Comer"

    def test_read_by_ids_leaves_out_ids_that_do_not_exist(self, case: Case) -> None:
        ada, bo = case.seed(
            [
                Person("Ada", "Lovelace", "ada@example.com"),
                Person("Bo", "Diddley", "bo@example.com"),
            ]
        )

        records = case.system.read_by_ids(case.object, [bo, case.missing_id, ada], case.fields)

        assert sorted(ids(records)) == sorted([ada, bo])
        by_id = {r.id: r for r in records}
        assert by_id[bo].fields[case.last] == "Diddley"

    def test_find_by_email_ignores_case_and_surrounding_space(self, case: Case) -> None:
        ada, _ = case.seed(
            [
                Person("Ada", "Lovelace", "ada.lovelace@example.com"),
                Person("Bo", "Diddley", "bo@example.com"),
            ]
        )

        found = case.system.find_by_values(
            case.object,
            case.email,
            [" Ada.Lovelace@EXAMPLE.com", "nobody@example.com"],
            case.fields,
        )

        assert ids(found) == [ada]
        assert str(found[0].get(case.email)).lower() == "ada.lovelace@example.com"

    def test_write_batch_answers_every_op_in_order(self, case: Case) -> None:
        (existing,) = case.seed([Person("Ada", "Lovelace", "ada@example.com")])
        ops = [
            case.update(existing, "Byron"),
            case.invalid(Person("Nemo", "", "nemo@example.com")),
            case.create(Person("Grace", "Hopper", "grace@example.com")),
            case.update(case.missing_id, "Ghost"),
        ]

        results = case.system.write_batch(ops)

        assert [r.op for r in results] == ops
        assert [r.ok for r in results] == [True, False, True, False]
        assert results[0].id == existing and not results[0].created
        assert results[2].created and results[2].id
        for failed in (results[1], results[3]):
            assert failed.error_code and failed.error_message
        created = str(results[2].id)
        stored = {
            r.id: r for r in case.system.read_by_ids(case.object, [existing, created], case.fields)
        }
        assert stored[existing].fields[case.last] == "Byron"
        assert stored[created].fields[case.email] == "grace@example.com"

    def test_describe_lists_the_fields_read_and_written(self, case: Case) -> None:
        case.seed([Person("Ada", "Lovelace", "ada@example.com")])

        fields = case.system.describe(case.object)

        assert all(isinstance(f, FieldInfo) for f in fields)
        names = {f.name for f in fields}
        assert {case.first, case.last, case.email} <= names

    def test_list_owners_finds_owners_by_email(self, case: Case) -> None:
        case.seed_owner("olive.owner@example.com")

        owners = case.system.list_owners()

        assert "olive.owner@example.com" in {o.email for o in owners}
        assert all(isinstance(o, Owner) and o.id for o in owners)

    def test_limits_are_the_systems_and_calls_are_counted(self, case: Case) -> None:
        case.seed([Person("Ada", "Lovelace", "ada@example.com")])

        list(case.system.read_changes(case.object, case.fields, None))

        limits = case.system.limits
        expected = (200, 200) if case.system.side is Side.SALESFORCE else (100, 100)
        assert (limits.write_batch, limits.read_by_ids_batch) == expected
        assert case.system.stats().calls >= 1


def test_build_systems_wires_both_adapters_from_the_config(
    salesforce_server: EmulatorServer,
    hubspot_server: EmulatorServer,
    tls_files: TlsFiles,
    tmp_path: Path,
) -> None:
    for server in (salesforce_server, hubspot_server):
        EmulatorAdmin(server.url, tls_files.ca_path).reset()
    secret_file = tmp_path / "client_secret"
    secret_file.write_text("emulator-client-secret\n")
    secret_file.chmod(0o600)
    text = f"""
[salesforce]
login_url = "{salesforce_server.url}"
client_id = "emulator-client-id"
client_secret_file = "client_secret"
ca_bundle = "{tls_files.ca_path}"

[hubspot]
base_url = "{hubspot_server.url}"
access_token_env = "TEST_HUBSPOT_TOKEN"
ca_bundle = "{tls_files.ca_path}"
"""
    environ = {"TEST_HUBSPOT_TOKEN": "emulator-hubspot-token"}
    config = config_from_text(text, tmp_path / "crmsync.toml", environ)
    time = FakeTime()

    salesforce, hubspot = build_systems(
        config, Secrets(config, environ), sleep=time.sleep, search_lag_s=0.0
    )

    assert salesforce.stats().calls == hubspot.stats().calls == 0  # nothing sent yet
    assert salesforce.list_owners() and hubspot.describe("contacts")
    assert salesforce.transport.ca_file == hubspot.transport.ca_file == str(tls_files.ca_path)
    salesforce.close()


def test_build_systems_names_a_missing_secret(tmp_path: Path) -> None:
    text = '[hubspot]\naccess_token_env = "NOT_SET_ANYWHERE"\n'
    config = config_from_text(text, tmp_path / "crmsync.toml", {})

    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE is not set"):
        build_systems(config, Secrets(config, {}))


def test_the_fake_refuses_batches_beyond_its_limits_and_records_calls() -> None:
    fake = FakeSystem(Side.HUBSPOT)
    ops = [
        WriteOp(WriteKind.CREATE, "contacts", {"email": f"p{n}@example.com"}) for n in range(101)
    ]

    with pytest.raises(InvariantBroken, match="limit is 100"):
        fake.write_batch(ops)
    results = fake.write_batch(ops[:100])
    fake.fail(lambda op: True, "UNABLE_TO_LOCK_ROW", times=1)
    locked, written = fake.write_batch([case_op("a@example.com"), case_op("b@example.com")])

    assert len({r.id for r in results}) == 100
    assert (locked.ok, locked.error_code, written.ok) == (False, "UNABLE_TO_LOCK_ROW", True)
    assert [c.count for c in fake.calls_to("write_batch")] == [100, 2]


def case_op(email: str) -> WriteOp:
    return WriteOp(
        WriteKind.UPSERT, "contacts", {"firstname": "X"}, key_field="email", key_value=email
    )
