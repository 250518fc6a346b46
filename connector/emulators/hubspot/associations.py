"""Associations between records: HubSpot's type ids, the link store, the v3 and v4 routes.

Type ids are HubSpot's HUBSPOT_DEFINED ones (associations v4 guide): contact to company 279
(unlabeled, the default) and 1 (primary), company to contact 280 and 2, deal to contact 3,
contact to deal 4, deal to company 341 and 5, company to deal 342 and 6. Every link is stored
in both directions, as HubSpot answers both (the recorded v3 ``batch/create`` returns
``company_to_contact`` and ``contact_to_company`` for one input).

Served: v3 ``batch/create`` (answers 200 like the recording), and the v4 endpoints
hubspot-api-client calls: ``PUT .../associations/default/{to}/{id}``, labelled ``PUT``,
``DELETE``, ``GET .../associations/{to}``, and ``batch/create`` (200 on real portals, 201
documented: ``create_status`` picks), ``batch/associate/default``, ``batch/read``,
``batch/archive``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import (
    HubSpotError,
    error_as_standard,
    json_response,
    resource_not_found,
    standard_error,
    validation_error,
)
from connector.emulators.hubspot.schema import OBJECT_TYPE_IDS, SINGULAR, ObjectType
from connector.emulators.hubspot.wire import (
    batch_answer,
    body_list,
    query_int,
    read_json,
    read_object,
)

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

# Association batches take more inputs than object batches (the v4 guide: 1,000 for reads).
MAX_ASSOCIATION_BATCH = 1000


@dataclass(frozen=True)
class AssociationType:
    """One HUBSPOT_DEFINED association type."""

    type_id: int
    from_type: ObjectType
    to_type: ObjectType
    v3_name: str
    label: str | None
    inverse_id: int


ASSOCIATION_TYPES: dict[int, AssociationType] = {
    t.type_id: t
    for t in (
        AssociationType(279, "contacts", "companies", "contact_to_company_unlabeled", None, 280),
        AssociationType(280, "companies", "contacts", "company_to_contact_unlabeled", None, 279),
        AssociationType(1, "contacts", "companies", "contact_to_company", "Primary", 2),
        AssociationType(2, "companies", "contacts", "company_to_contact", "Primary", 1),
        AssociationType(3, "deals", "contacts", "deal_to_contact", None, 4),
        AssociationType(4, "contacts", "deals", "contact_to_deal", None, 3),
        AssociationType(341, "deals", "companies", "deal_to_company_unlabeled", None, 342),
        AssociationType(342, "companies", "deals", "company_to_deal_unlabeled", None, 341),
        AssociationType(5, "deals", "companies", "deal_to_company", "Primary", 6),
        AssociationType(6, "companies", "deals", "company_to_deal", "Primary", 5),
    )
}

# What "associate/default" writes for each pair: the unlabeled type.
DEFAULT_TYPES: dict[tuple[ObjectType, ObjectType], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
}

V3_NAMES: dict[str, int] = {t.v3_name: t.type_id for t in ASSOCIATION_TYPES.values()}


class LinkStore:
    """Links between records, both directions, each with the set of its type ids."""

    def __init__(self) -> None:
        self._links: dict[tuple[ObjectType, int], dict[ObjectType, dict[int, set[int]]]] = {}

    def clear(self) -> None:
        self._links.clear()

    def add(self, from_id: int, to_id: int, type_id: int) -> None:
        kind = ASSOCIATION_TYPES[type_id]
        self._put(kind.from_type, from_id, kind.to_type, to_id, type_id)
        self._put(kind.to_type, to_id, kind.from_type, from_id, kind.inverse_id)

    def remove(self, from_type: ObjectType, from_id: int, to_type: ObjectType, to_id: int) -> None:
        """Every type between the two records goes, in both directions."""
        self._links.get((from_type, from_id), {}).get(to_type, {}).pop(to_id, None)
        self._links.get((to_type, to_id), {}).get(from_type, {}).pop(from_id, None)

    def targets(
        self, from_type: ObjectType, from_id: int, to_type: ObjectType
    ) -> dict[int, set[int]]:
        """Associated ids of ``to_type`` (in id order) with their type ids."""
        found = self._links.get((from_type, from_id), {}).get(to_type, {})
        return {to_id: set(found[to_id]) for to_id in sorted(found)}

    def of(self, from_type: ObjectType, from_id: int) -> Iterator[tuple[ObjectType, int, set[int]]]:
        for to_type, targets in self._links.get((from_type, from_id), {}).items():
            for to_id in sorted(targets):
                yield to_type, to_id, set(targets[to_id])

    def _put(
        self, from_type: ObjectType, from_id: int, to_type: ObjectType, to_id: int, type_id: int
    ) -> None:
        by_type = self._links.setdefault((from_type, from_id), {})
        by_type.setdefault(to_type, {}).setdefault(to_id, set()).add(type_id)


class AssociationRoutes:
    """Associations v3 batch create and the v4 endpoints hubspot-api-client calls."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        objects = "/crm/v4/objects/{from_type}/{from_id}/associations"
        batch = "/crm/v4/associations/{from_type}/{to_type}/batch"
        return [
            Route(
                "/crm/v3/associations/{from_type}/{to_type}/batch/create",
                self.v3_batch_create,
                methods=["POST"],
            ),
            Route(objects + "/default/{to_type}/{to_id}", self.put_default, methods=["PUT"]),
            Route(objects + "/{to_type}/{to_id}", self.put_labelled, methods=["PUT"]),
            Route(objects + "/{to_type}/{to_id}", self.delete_pair, methods=["DELETE"]),
            Route(objects + "/{to_type}", self.list_targets, methods=["GET"]),
            Route(batch + "/create", self.batch_create, methods=["POST"]),
            Route(batch + "/associate/default", self.batch_default, methods=["POST"]),
            Route(batch + "/read", self.batch_read, methods=["POST"]),
            Route(batch + "/archive", self.batch_archive, methods=["POST"]),
        ]

    # -- helpers -----------------------------------------------------------------------

    def _types(self, request: Request) -> tuple[ObjectType, ObjectType]:
        return (
            self.portal.object_type(request.path_params["from_type"]),
            self.portal.object_type(request.path_params["to_type"]),
        )

    def _live(self, object_type: ObjectType, raw_id: object) -> int | None:
        text = str(raw_id)
        if not text.isdigit():
            return None
        record = self.portal.stores[object_type].get(int(text))
        return record.id if record is not None and not record.archived else None

    def _inputs(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        inputs = body_list(payload, "inputs")
        if len(inputs) > MAX_ASSOCIATION_BATCH:
            raise validation_error(
                f"The maximum number of inputs supported in a batch request is "
                f"{MAX_ASSOCIATION_BATCH}. Please reduce the number of items and try again"
            )
        return [item if isinstance(item, dict) else {} for item in inputs]

    def _missing(self, object_type: ObjectType, ids: list[str]) -> dict[str, Any]:
        # Emulator wording: no capture of this per-record error was found.
        return standard_error(
            f"Could not find {SINGULAR[object_type]} ids: [{', '.join(ids)}]",
            "VALIDATION_ERROR",
            context={"objectIds": ids},
            sub_category="crm.associations.INVALID_OBJECT_IDS",
        )

    def _pair(self, from_id: int, to_id: int, type_id: int) -> dict[str, Any]:
        kind = ASSOCIATION_TYPES[type_id]
        return {
            "fromObjectTypeId": OBJECT_TYPE_IDS[kind.from_type],
            "fromObjectId": from_id,
            "toObjectTypeId": OBJECT_TYPE_IDS[kind.to_type],
            "toObjectId": to_id,
            "labels": [kind.label] if kind.label else [],
        }

    def _default_results(self, from_id: int, to_id: int, type_id: int) -> list[dict[str, Any]]:
        inverse = ASSOCIATION_TYPES[type_id].inverse_id
        return [
            {
                "from": {"id": str(from_id)},
                "to": {"id": str(to_id)},
                "associationSpec": {
                    "associationCategory": "HUBSPOT_DEFINED",
                    "associationTypeId": type_id,
                },
            },
            {
                "from": {"id": str(to_id)},
                "to": {"id": str(from_id)},
                "associationSpec": {
                    "associationCategory": "HUBSPOT_DEFINED",
                    "associationTypeId": inverse,
                },
            },
        ]

    def _spec_type(self, spec: object, from_type: ObjectType, to_type: ObjectType) -> int:
        type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
        kind = ASSOCIATION_TYPES.get(type_id) if isinstance(type_id, int) else None
        if kind is None or kind.from_type != from_type or kind.to_type != to_type:
            raise validation_error(
                f"{type_id} is not a valid association type between {from_type} and {to_type}"
            )
        return kind.type_id

    def _targets_json(
        self, from_type: ObjectType, from_id: int, to_type: ObjectType
    ) -> list[dict[str, Any]]:
        return [
            {
                "toObjectId": to_id,
                "associationTypes": [
                    {
                        "category": "HUBSPOT_DEFINED",
                        "typeId": type_id,
                        "label": ASSOCIATION_TYPES[type_id].label,
                    }
                    for type_id in sorted(type_ids)
                ],
            }
            for to_id, type_ids in self.portal.links.targets(from_type, from_id, to_type).items()
        ]

    # -- v3 ----------------------------------------------------------------------------

    async def v3_batch_create(self, request: Request) -> Response:
        """v3 batch create: answers 200 on real portals (recorded; documented as 201)."""
        from_type, to_type = self._types(request)
        inputs = self._inputs(await read_object(request))
        started = self.portal.now_text()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self.portal.lock:
            for item in inputs:
                raw_from = (item.get("from") or {}).get("id")
                raw_to = (item.get("to") or {}).get("id")
                name = str(item.get("type", ""))
                type_id = V3_NAMES.get(name)
                if type_id is None or ASSOCIATION_TYPES[type_id].from_type != from_type:
                    errors.append(
                        standard_error(
                            f"{name} is not a valid association type between {from_type} "
                            f"and {to_type}",
                            "VALIDATION_ERROR",
                            context={"type": [name]},
                        )
                    )
                    continue
                from_id = self._live(from_type, raw_from)
                to_id = self._live(to_type, raw_to)
                if from_id is None or to_id is None:
                    bad = [str(raw_from)] if from_id is None else [str(raw_to)]
                    errors.append(self._missing(from_type if from_id is None else to_type, bad))
                    continue
                self.portal.links.add(from_id, to_id, type_id)
                kind = ASSOCIATION_TYPES[type_id]
                inverse = ASSOCIATION_TYPES[kind.inverse_id]
                results.append(
                    {
                        "from": {"id": str(to_id)},
                        "to": {"id": str(from_id)},
                        "type": inverse.v3_name,
                    }
                )
                results.append(
                    {"from": {"id": str(from_id)}, "to": {"id": str(to_id)}, "type": kind.v3_name}
                )
        request.state.records = len(inputs) - len(errors)
        return batch_answer(
            results, errors, started, self.portal.now_text(), self.portal.settings.create_status
        )

    # -- v4, one pair --------------------------------------------------------------------

    async def put_default(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        started = self.portal.now_text()
        with self.portal.lock:
            from_id = self._live(from_type, request.path_params["from_id"])
            to_id = self._live(to_type, request.path_params["to_id"])
            if from_id is None or to_id is None:
                raise resource_not_found()
            type_id = DEFAULT_TYPES[(from_type, to_type)]
            self.portal.links.add(from_id, to_id, type_id)
        request.state.records = 1
        return batch_answer(
            self._default_results(from_id, to_id, type_id), [], started, self.portal.now_text(), 200
        )

    async def put_labelled(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        specs = await read_json(request)
        if not isinstance(specs, list) or not specs:
            raise validation_error("Invalid input JSON on line 1, column 1: expected a list")
        with self.portal.lock:
            from_id = self._live(from_type, request.path_params["from_id"])
            to_id = self._live(to_type, request.path_params["to_id"])
            if from_id is None or to_id is None:
                raise resource_not_found()
            type_ids = [self._spec_type(spec, from_type, to_type) for spec in specs]
            for type_id in type_ids:
                self.portal.links.add(from_id, to_id, type_id)
        labels = [ASSOCIATION_TYPES[t].label for t in type_ids if ASSOCIATION_TYPES[t].label]
        body = self._pair(from_id, to_id, type_ids[0])
        body["labels"] = labels
        request.state.records = 1
        return json_response(body, 201)

    async def delete_pair(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        with self.portal.lock:
            from_id = self._live(from_type, request.path_params["from_id"])
            to_id = self._live(to_type, request.path_params["to_id"])
            if from_id is not None and to_id is not None:
                self.portal.links.remove(from_type, from_id, to_type, to_id)
        return Response(status_code=204)

    async def list_targets(self, request: Request) -> Response:
        from_type = self.portal.object_type(request.path_params["from_type"])
        to_type = self.portal.object_type(request.path_params["to_type"])
        limit = max(1, min(query_int(request, "limit", 500), 500))
        after = query_int(request, "after", 0)
        with self.portal.lock:
            from_id = self._live(from_type, request.path_params["from_id"])
            if from_id is None:
                raise resource_not_found()
            every = self._targets_json(from_type, from_id, to_type)
        page = every[after : after + limit]
        body: dict[str, Any] = {"results": page}
        if after + limit < len(every):
            following = str(after + limit)
            link = str(request.url.include_query_params(after=following))
            body["paging"] = {"next": {"after": following, "link": link}}
        request.state.records = len(page)
        return json_response(body)

    # -- v4, batches -------------------------------------------------------------------

    async def batch_create(self, request: Request) -> Response:
        """Labelled batch create: documented 201, 200 on real portals since 2025-08-21.

        HubSpot/hubspot-api-python#448 reports the switch to 200, which makes
        hubspot-api-client return ``None``; ``create_status`` picks the code.
        """
        from_type, to_type = self._types(request)
        inputs = self._inputs(await read_object(request))
        started = self.portal.now_text()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self.portal.lock:
            for item in inputs:
                raw_from = (item.get("from") or {}).get("id")
                raw_to = (item.get("to") or {}).get("id")
                from_id = self._live(from_type, raw_from)
                to_id = self._live(to_type, raw_to)
                if from_id is None or to_id is None:
                    bad = [str(raw_from)] if from_id is None else [str(raw_to)]
                    errors.append(self._missing(from_type if from_id is None else to_type, bad))
                    continue
                try:
                    type_ids = [
                        self._spec_type(spec, from_type, to_type)
                        for spec in item.get("types") or []
                    ]
                except HubSpotError as exc:
                    errors.append(error_as_standard(exc, {"fromObjectId": [str(from_id)]}))
                    continue
                if not type_ids:
                    type_ids = [DEFAULT_TYPES[(from_type, to_type)]]
                for type_id in type_ids:
                    self.portal.links.add(from_id, to_id, type_id)
                pair = self._pair(from_id, to_id, type_ids[0])
                pair["labels"] = [
                    ASSOCIATION_TYPES[t].label for t in type_ids if ASSOCIATION_TYPES[t].label
                ]
                results.append(pair)
        request.state.records = len(results)
        return batch_answer(
            results, errors, started, self.portal.now_text(), self.portal.settings.create_status
        )

    async def batch_default(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        inputs = self._inputs(await read_object(request))
        started = self.portal.now_text()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        type_id = DEFAULT_TYPES[(from_type, to_type)]
        with self.portal.lock:
            for item in inputs:
                raw_from = (item.get("from") or {}).get("id")
                raw_to = (item.get("to") or {}).get("id")
                from_id = self._live(from_type, raw_from)
                to_id = self._live(to_type, raw_to)
                if from_id is None or to_id is None:
                    bad = [str(raw_from)] if from_id is None else [str(raw_to)]
                    errors.append(self._missing(from_type if from_id is None else to_type, bad))
                    continue
                self.portal.links.add(from_id, to_id, type_id)
                results.extend(self._default_results(from_id, to_id, type_id))
        request.state.records = len(inputs) - len(errors)
        return batch_answer(results, errors, started, self.portal.now_text(), 200)

    async def batch_read(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        inputs = self._inputs(await read_object(request))
        started = self.portal.now_text()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self.portal.lock:
            for item in inputs:
                raw_id = str(item.get("id", ""))
                from_id = self._live(from_type, raw_id)
                targets = (
                    self._targets_json(from_type, from_id, to_type) if from_id is not None else []
                )
                if not targets:
                    # Emulator wording: HubSpot reports ids without associations as errors.
                    errors.append(
                        standard_error(
                            f"No {SINGULAR[to_type]} is associated with "
                            f"{SINGULAR[from_type]} {raw_id}.",
                            "OBJECT_NOT_FOUND",
                            context={"fromObjectId": [raw_id]},
                            sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                        )
                    )
                    continue
                results.append({"from": {"id": raw_id}, "to": targets})
        request.state.records = len(results)
        return batch_answer(results, errors, started, self.portal.now_text(), 200)

    async def batch_archive(self, request: Request) -> Response:
        from_type, to_type = self._types(request)
        inputs = self._inputs(await read_object(request))
        with self.portal.lock:
            for item in inputs:
                from_id = self._live(from_type, (item.get("from") or {}).get("id"))
                for target in item.get("to") or []:
                    to_id = self._live(to_type, (target or {}).get("id"))
                    if from_id is not None and to_id is not None:
                        self.portal.links.remove(from_type, from_id, to_type, to_id)
        return Response(status_code=204)
