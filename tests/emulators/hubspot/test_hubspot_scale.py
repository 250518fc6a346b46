"""A portal of 100,000 contacts: batches and search pages stay correct at full size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest
from hubspot_harness import START, Emulator

from connector.emulators.hubspot.values import format_instant, to_ms

SIZE = 100_000


@pytest.fixture(scope="module")
def large(_running: Emulator) -> Iterator[tuple[Emulator, list[str]]]:
    _running.admin("POST", "reset")
    start = to_ms(START) - SIZE * 10
    ids = _running.service.seed(
        {
            "objects": {
                "contacts": [
                    {
                        "properties": {
                            "email": f"person{n}@example.com",
                            "firstname": f"P{n}",
                            "lastmodifieddate": format_instant(start + n * 10),
                        }
                    }
                    for n in range(SIZE)
                ]
            }
        }
    )["ids"]["contacts"]
    yield _running, ids
    _running.admin("POST", "reset")


def test_batch_read_of_100_by_email(large: tuple[Emulator, list[str]]) -> None:
    emulator, ids = large
    wanted = list(range(0, SIZE, 1000))

    done = emulator.client().crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": f"person{n}@example.com"} for n in wanted],
            id_property="email",
            properties=["firstname"],
            properties_with_history=[],
        )
    )

    assert [r.id for r in done.results] == [ids[n] for n in wanted]
    assert [r.properties["firstname"] for r in done.results] == [f"P{n}" for n in wanted]


def test_windowed_search_page_of_200(large: tuple[Emulator, list[str]]) -> None:
    emulator, ids = large
    client: HubSpot = emulator.client()
    since = format_instant(to_ms(START) - SIZE * 10 + 50_000 * 10)

    found = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": since}
                    ]
                }
            ],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            properties=["email"],
            limit=200,
            after="400",
        )
    )

    assert found.total == 50_000
    assert [r.id for r in found.results] == ids[50_400:50_600]
    assert found.paging.next.after == "600"


def test_search_on_an_unindexed_property(large: tuple[Emulator, list[str]]) -> None:
    emulator, ids = large

    body = emulator.api(
        "POST",
        "/crm/v3/objects/contacts/search",
        {
            "filterGroups": [
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "p77777"}]}
            ]
        },
    ).json()

    assert [r["id"] for r in body["results"]] == [ids[77_777]]


def test_list_page_deep_in_the_portal(large: tuple[Emulator, list[str]]) -> None:
    emulator, ids = large

    page = emulator.client().crm.contacts.basic_api.get_page(limit=100, after=ids[99_950])

    assert [r.id for r in page.results] == ids[99_950:]
    assert page.paging is None
