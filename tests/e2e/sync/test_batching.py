"""A thousand changes cost what the batch sizes allow: 200 a Salesforce collection, 100 a HubSpot
batch. Write calls are counted per endpoint in each emulator's request log."""

from __future__ import annotations

import math
from collections import Counter

from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, is_write, lead

N = 1000
SF_COLLECTION = 200
HS_BATCH = 100
SF_COLLECTIONS = "/services/data/v59.0/composite/sobjects"
HS_CONTACTS = "/crm/v3/objects/contacts"


def reads(env: SyncEnv, side: Side) -> Counter[tuple[str, str]]:
    return Counter((e["method"], e["path"]) for e in env.calls(side) if not is_write(e))


def assert_summary_counts_every_call(env: SyncEnv, api_calls: dict[Side, int]) -> None:
    # The run summary's "API calls" are the calls the systems received, retries included.
    for side in Side:
        assert api_calls[side] == len(env.calls(side)), side


def test_a_thousand_changes_on_one_side_take_the_fewest_batches(env: SyncEnv) -> None:
    env.seed_leads([lead(n) for n in range(N)])

    # 1,000 new leads: each becomes a contact (upserted by e-mail), then learns its id.
    created = env.sync()

    assert created.counts[Side.HUBSPOT].created == N
    assert env.write_paths(Side.HUBSPOT) == {
        ("POST", f"{HS_CONTACTS}/batch/upsert"): math.ceil(N / HS_BATCH)
    }
    assert env.write_paths(Side.SALESFORCE) == {
        ("PATCH", SF_COLLECTIONS): math.ceil(N / SF_COLLECTION)
    }
    assert {e["records"] for e in env.writes(Side.HUBSPOT)} == {HS_BATCH}
    assert {e["records"] for e in env.writes(Side.SALESFORCE)} == {SF_COLLECTION}
    assert_summary_counts_every_call(env, created.api_calls)
    env.assert_converged()
    env.sync()  # the echoes of those writes come back once, and change nothing

    # 1,000 leads edited in Salesforce: ten HubSpot batches, nothing written back.
    for n, record in enumerate(env.leads()):
        env.edit_lead(record["Id"], Title=f"Director {n}")
    env.clear_log()

    from_salesforce = env.sync()

    assert from_salesforce.counts[Side.HUBSPOT].updated == N
    assert env.write_paths(Side.HUBSPOT) == {
        ("POST", f"{HS_CONTACTS}/batch/update"): math.ceil(N / HS_BATCH)
    }
    assert env.writes(Side.SALESFORCE) == []
    # Reads: one query page of changes; partners by id, 100 a batch read; search pages of 200.
    assert reads(env, Side.HUBSPOT)[("POST", f"{HS_CONTACTS}/batch/read")] == math.ceil(
        N / HS_BATCH
    )
    assert reads(env, Side.HUBSPOT)[("POST", f"{HS_CONTACTS}/search")] <= math.ceil(N / 200) + 1
    assert_summary_counts_every_call(env, from_salesforce.api_calls)
    env.assert_converged()
    env.sync()

    # 1,000 contacts edited in HubSpot: five Salesforce collections, nothing written back.
    for contact in env.contacts():
        env.edit_contact(contact["id"], firstname=f"Renamed {contact['firstname']}")
    env.clear_log()

    from_hubspot = env.sync()

    assert from_hubspot.counts[Side.SALESFORCE].updated == N
    assert env.write_paths(Side.SALESFORCE) == {
        ("PATCH", SF_COLLECTIONS): math.ceil(N / SF_COLLECTION)
    }
    assert env.writes(Side.HUBSPOT) == []
    # Partners by id: SOQL IN lists of 200 at most, each one query page.
    by_id = [
        e
        for e in env.calls(Side.SALESFORCE)
        if e["method"] == "GET" and "WHERE+Id+IN" in e["query"] and "FROM+Lead" in e["query"]
    ]
    assert len(by_id) == math.ceil(N / SF_COLLECTION)
    assert_summary_counts_every_call(env, from_hubspot.api_calls)
    env.assert_converged()
    assert all(c["firstname"].startswith("Renamed ") for c in env.contacts())
