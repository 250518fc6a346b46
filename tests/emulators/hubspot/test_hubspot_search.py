"""Search: filters, sorts, paging, the 10,000-result cap, filter limits and search lag."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest, SimplePublicObjectInput
from hubspot.crm.contacts.exceptions import ApiException
from hubspot_harness import START, Emulator, recording

from connector.emulators.hubspot.values import format_instant, to_ms

PEOPLE = [
    {
        "email": "ada@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "closed_loop_amount": "10",
        "lifecyclestage": "lead",
        "company": "Analytical Engines Ltd",
    },
    {
        "email": "grace@example.com",
        "firstname": "Grace",
        "lastname": "Hopper",
        "closed_loop_amount": "25",
        "lifecyclestage": "customer",
        "company": "Navy",
    },
    {
        "email": "alan@example.org",
        "firstname": "Alan",
        "lastname": "Turing",
        "closed_loop_amount": "40",
        "lifecyclestage": "lead",
    },
    {"email": "edsger@example.org", "firstname": "Edsger", "lastname": "Dijkstra"},
]


def seed_people(hubspot: Emulator) -> dict[str, str]:
    ids = hubspot.seed({"contacts": [{"properties": p} for p in PEOPLE]})["contacts"]
    return {p["firstname"]: record_id for p, record_id in zip(PEOPLE, ids, strict=True)}


def search(hubspot: Emulator, body: dict[str, Any], object_type: str = "contacts") -> Any:
    answer = hubspot.api("POST", f"/crm/v3/objects/{object_type}/search", body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def names(body: dict[str, Any], ids: dict[str, str]) -> list[str]:
    by_id = {record_id: name for name, record_id in ids.items()}
    return [by_id[result["id"]] for result in body["results"]]


def one_filter(name: str, operator: str, **rest: Any) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": name, "operator": operator, **rest}]}]}


def test_answer_has_the_recorded_shape(hubspot: Emulator) -> None:
    exchange = recording("search-deals.test.json")["api"]["post"]["/crm/v3/objects/deals/search"]
    hubspot.seed(
        {
            "deals": [
                {"properties": {"dealname": f"Deal {n}", "pipeline": "default"}} for n in range(21)
            ]
        }
    )

    body = search(hubspot, exchange["request"]["data"], "deals")
    recorded = exchange["response"]

    assert list(body) == list(recorded)
    assert body["total"] == recorded["total"] == 21
    assert body["paging"] == recorded["paging"] == {"next": {"after": "5"}}
    assert list(body["results"][0]) == list(recorded["results"][0])
    assert set(body["results"][0]["properties"]) == set(recorded["results"][0]["properties"])


def test_last_page_has_no_paging(hubspot: Emulator) -> None:
    seed_people(hubspot)

    body = search(hubspot, {"limit": 2, "after": "2"})

    assert len(body["results"]) == 2
    assert "paging" not in body


def test_default_properties_without_a_list(hubspot: Emulator) -> None:
    seed_people(hubspot)

    body = search(hubspot, {})

    assert set(body["results"][0]["properties"]) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (one_filter("email", "EQ", value="GRACE@example.com"), ["Grace"]),
        (one_filter("lifecyclestage", "NEQ", value="lead"), ["Grace", "Edsger"]),
        (one_filter("closed_loop_amount", "LT", value="25"), ["Ada"]),
        (one_filter("closed_loop_amount", "LTE", value="25"), ["Ada", "Grace"]),
        (one_filter("closed_loop_amount", "GT", value="25"), ["Alan"]),
        (one_filter("closed_loop_amount", "GTE", value=25), ["Grace", "Alan"]),
        (one_filter("closed_loop_amount", "BETWEEN", value="10", highValue="25"), ["Ada", "Grace"]),
        (one_filter("firstname", "IN", values=["ada", "alan"]), ["Ada", "Alan"]),
        (one_filter("lifecyclestage", "NOT_IN", values=["lead"]), ["Grace", "Edsger"]),
        (one_filter("closed_loop_amount", "HAS_PROPERTY"), ["Ada", "Grace", "Alan"]),
        (one_filter("closed_loop_amount", "NOT_HAS_PROPERTY"), ["Edsger"]),
        (one_filter("company", "CONTAINS_TOKEN", value="engines"), ["Ada"]),
        (one_filter("company", "CONTAINS_TOKEN", value="analyt*"), ["Ada"]),
        (one_filter("email", "NOT_CONTAINS_TOKEN", value="org"), ["Ada", "Grace"]),
    ],
)
def test_operators(hubspot: Emulator, body: dict[str, Any], expected: list[str]) -> None:
    ids = seed_people(hubspot)

    assert names(search(hubspot, body), ids) == expected


def test_groups_are_or_and_filters_within_a_group_are_and(hubspot: Emulator) -> None:
    ids = seed_people(hubspot)
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
                    {"propertyName": "closed_loop_amount", "operator": "GT", "value": "20"},
                ]
            },
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "edsger"}]},
        ]
    }

    assert names(search(hubspot, body), ids) == ["Alan", "Edsger"]


def test_dates_filter_on_epoch_ms_or_iso_text(hubspot: Emulator) -> None:
    old, new = hubspot.seed(
        {
            "contacts": [
                {"properties": {"firstname": "Old", "lastmodifieddate": "2025-01-01T00:00:00Z"}},
                {"properties": {"firstname": "New", "lastmodifieddate": "2026-01-01T00:00:00Z"}},
            ]
        }
    )["contacts"]
    cutoff = "2025-06-01T00:00:00Z"
    cutoff_ms = str(to_ms(START.replace(year=2025, month=6, day=1, hour=0)))

    by_ms = search(hubspot, one_filter("lastmodifieddate", "GTE", value=cutoff_ms))
    by_iso = search(hubspot, one_filter("lastmodifieddate", "GTE", value=cutoff))
    by_day = search(hubspot, one_filter("lastmodifieddate", "LT", value="2025-06-01"))

    assert [r["id"] for r in by_ms["results"]] == [new]
    assert [r["id"] for r in by_iso["results"]] == [new]
    assert [r["id"] for r in by_day["results"]] == [old]


def test_one_sort_in_either_spelling(hubspot: Emulator) -> None:
    ids = seed_people(hubspot)

    descending = search(
        hubspot, {"sorts": [{"propertyName": "firstname", "direction": "DESCENDING"}]}
    )
    ascending = search(hubspot, {"sorts": ["closed_loop_amount"]})
    prefixed = search(hubspot, {"sorts": ["-closed_loop_amount"]})

    assert names(descending, ids) == ["Grace", "Edsger", "Alan", "Ada"]
    # Records without the property come last.
    assert names(ascending, ids) == ["Ada", "Grace", "Alan", "Edsger"]
    assert names(prefixed, ids) == ["Alan", "Grace", "Ada", "Edsger"]


def test_free_text_query(hubspot: Emulator) -> None:
    ids = seed_people(hubspot)

    assert names(search(hubspot, {"query": "hopper"}), ids) == ["Grace"]


def test_the_sdk_search_with_requested_properties(hubspot: Emulator, client: HubSpot) -> None:
    ids = seed_people(hubspot)

    found = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
            ],
            properties=["lifecyclestage"],
            sorts=["-createdate"],
            limit=10,
            after="0",
        )
    )

    assert found.total == 2
    assert {r.id for r in found.results} == {ids["Ada"], ids["Alan"]}
    assert set(found.results[0].properties) == {
        "createdate",
        "hs_object_id",
        "lastmodifieddate",
        "lifecyclestage",
    }


def test_a_page_holds_at_most_200_results(hubspot: Emulator) -> None:
    hubspot.service.seed({"objects": {"contacts": [{"properties": {}} for _ in range(250)]}})

    body = search(hubspot, {"limit": 500})

    assert len(body["results"]) == 200
    assert body["paging"] == {"next": {"after": "200"}}


def test_paging_past_10000_results_is_refused(hubspot: Emulator) -> None:
    hubspot.service.seed({"objects": {"contacts": [{"properties": {}} for _ in range(10_050)]}})
    hubspot.settings(search_per_second=1000)

    last = search(hubspot, {"limit": 200, "after": "9800"})
    beyond = hubspot.api(
        "POST", "/crm/v3/objects/contacts/search", {"limit": 200, "after": "10000"}
    )

    assert last["total"] == 10_050
    assert len(last["results"]) == 200
    assert last["paging"] == {"next": {"after": "10000"}}
    assert beyond.status_code == 400
    body = beyond.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert "10000" in body["message"]
    assert body["context"] == {"after": ["10000"]}


def test_windowing_by_lastmodifieddate_reads_past_the_cap(hubspot: Emulator) -> None:
    start = to_ms(START) - 20_000_000
    hubspot.service.seed(
        {
            "objects": {
                "contacts": [
                    {"properties": {"lastmodifieddate": format_instant(start + n * 1000)}}
                    for n in range(10_300)
                ]
            }
        }
    )
    hubspot.settings(search_per_second=1000)

    seen: set[str] = set()
    since = "0"
    for _ in range(100):
        after = 0
        newest = since
        while True:
            body = search(
                hubspot,
                {
                    **one_filter("lastmodifieddate", "GTE", value=since),
                    "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                    "properties": ["lastmodifieddate"],
                    "limit": 200,
                    "after": str(after),
                },
            )
            seen.update(r["id"] for r in body["results"])
            if body["results"]:
                newest = body["results"][-1]["properties"]["lastmodifieddate"]
            if "paging" not in body or after + 400 > 10_000:
                break
            after += 200
        if "paging" not in body:
            break
        since = newest

    assert len(seen) == 10_300


def test_too_many_filter_groups(hubspot: Emulator) -> None:
    group = {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}

    answer = hubspot.api("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [group] * 6})
    five = hubspot.api("POST", "/crm/v3/objects/contacts/search", {"filterGroups": [group] * 5})

    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert "filter groups" in answer.json()["message"].lower()
    assert five.status_code == 200


def test_too_many_filters_in_a_group(hubspot: Emulator) -> None:
    item = {"propertyName": "email", "operator": "HAS_PROPERTY"}

    answer = hubspot.api(
        "POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [item] * 11}]}
    )

    assert answer.status_code == 400
    assert "at most 10 filters" in answer.json()["message"]


def test_too_many_filters_in_all(hubspot: Emulator) -> None:
    item = {"propertyName": "email", "operator": "HAS_PROPERTY"}
    groups = [{"filters": [item] * 6}] + [{"filters": [item] * 5}] * 4

    answer = hubspot.api("POST", "/crm/v3/objects/contacts/search", {"filterGroups": groups})
    allowed = hubspot.api(
        "POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [item] * 5}] * 5}
    )

    assert answer.status_code == 400
    assert "at most 25 filters" in answer.json()["message"]
    assert allowed.status_code == 200


def test_search_lags_writes_by_the_configured_delay(hubspot: Emulator, client: HubSpot) -> None:
    (ada,) = hubspot.seed(
        {"contacts": [{"properties": {"email": "ada@example.com", "firstname": "Ada"}}]}
    )["contacts"]
    hubspot.settings(search_lag_ms=5000)
    hubspot.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "new@example.com"}})
    client.crm.contacts.basic_api.update(
        ada, SimplePublicObjectInput(properties={"firstname": "Augusta"})
    )
    query = {"properties": ["firstname", "email"], "sorts": ["email"]}

    during = search(hubspot, query)
    hubspot.advance(5)
    after = search(hubspot, query)

    assert [
        (r["properties"]["email"], r["properties"]["firstname"]) for r in during["results"]
    ] == [("ada@example.com", "Ada")]
    assert [(r["properties"]["email"], r["properties"]["firstname"]) for r in after["results"]] == [
        ("ada@example.com", "Augusta"),
        ("new@example.com", None),
    ]


def test_archived_records_are_not_found(hubspot: Emulator) -> None:
    ids = seed_people(hubspot)
    hubspot.api("DELETE", f"/crm/v3/objects/contacts/{ids['Ada']}")

    assert "Ada" not in names(search(hubspot, {}), ids)


def test_unknown_operator_is_refused(client: HubSpot) -> None:
    with pytest.raises(ApiException) as caught:
        client.crm.contacts.search_api.do_search(
            PublicObjectSearchRequest(
                filter_groups=[
                    {"filters": [{"propertyName": "email", "operator": "LIKE", "value": "a"}]}
                ]
            )
        )

    assert caught.value.status == 400
