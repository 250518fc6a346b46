"""The HubSpot CRM API emulator as an ``EmulatedService``: auth, rate limits, routes, admin.

Every API request passes a gate first: a private-app bearer token (``emulator-hubspot-token``
by default; more through ``POST /__emulator__/tokens``), then the rate limiter, whose headers
the answer carries. Behind the gate are the objects, search, properties, owners, pipelines and
associations routes. Admin endpoints, besides the shared ones: ``POST settings`` (see
``settings.py``), ``POST update`` (change a record without validation and bump its
modification time, as HubSpot's own scoring or a user in the UI does) and ``POST tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.associations import (
    DEFAULT_TYPES,
    AssociationRoutes,
)
from connector.emulators.hubspot.errors import (
    HubSpotError,
    error_body,
    json_response,
    rate_limited,
    resource_not_found,
    server_fault,
    token_expired,
    unauthenticated,
)
from connector.emulators.hubspot.objects import ObjectRoutes
from connector.emulators.hubspot.owners import OwnerRoutes
from connector.emulators.hubspot.pipelines import PipelineRoutes
from connector.emulators.hubspot.portal import Portal
from connector.emulators.hubspot.properties import PropertyRoutes
from connector.emulators.hubspot.schema import OBJECT_TYPES, ObjectType
from connector.emulators.hubspot.search import SearchRoutes
from connector.emulators.hubspot.store import ObjectStore, StoredRecord
from connector.emulators.hubspot.values import format_instant, parse_instant_text, wire_text
from connector.emulators.server import (
    ADMIN_PREFIX,
    ASGIApp,
    EmulatorClock,
    FaultRule,
    Message,
    Receive,
    Scope,
    Send,
)

DEFAULT_TOKEN = "emulator-hubspot-token"

# Seeding order: owners first so records may name them, then the objects.
_SEED_ORDER: tuple[ObjectType, ...] = ("companies", "contacts", "deals")


class HubSpotService:
    """HubSpot's CRM API, served by ``EmulatorServer``."""

    name = "hubspot"

    def __init__(self, clock: EmulatorClock | None = None) -> None:
        self.clock = clock or EmulatorClock()
        self.portal = Portal(self.clock)
        self._router = Starlette(
            routes=self._api_routes(),
            exception_handlers={
                HubSpotError: _render_error,
                HTTPException: _render_http_exception,
            },
        )

    # -- EmulatedService ---------------------------------------------------------------

    def api_app(self) -> ASGIApp:
        return self._gate

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route(f"{ADMIN_PREFIX}/settings", self._settings, methods=["GET", "POST"]),
            Route(f"{ADMIN_PREFIX}/update", self._update, methods=["POST"]),
            Route(f"{ADMIN_PREFIX}/tokens", self._tokens, methods=["POST"]),
        ]

    def reset(self) -> None:
        self.portal.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Load records without validation; answer ``{"ids": {object: [id, ...]}}`` in order."""
        objects = payload.get("objects", payload)
        if not isinstance(objects, dict):
            raise ValueError("seed needs {'objects': {...}}")
        unknown = set(objects) - {"owners", *OBJECT_TYPES}
        if unknown:
            raise ValueError(f"unknown objects to seed: {sorted(unknown)}")
        ids: dict[str, list[str]] = {}
        pending: list[tuple[ObjectType, int, Mapping[str, Any]]] = []
        with self.portal.lock:
            now = self.portal.now_text()
            if "owners" in objects:
                ids["owners"] = [self.portal.owners.add(raw, now).id for raw in objects["owners"]]
            for object_type in _SEED_ORDER:
                if object_type not in objects:
                    continue
                created: list[str] = []
                for raw in objects[object_type]:
                    record = self._seed_record(self.portal.stores[object_type], raw)
                    created.append(str(record.id))
                    links = raw.get("associations") if isinstance(raw, dict) else None
                    if links:
                        pending.append((object_type, record.id, links))
                ids[object_type] = created
            for object_type, record_id, links in pending:
                self._seed_links(object_type, record_id, links)
        return {"ids": ids}

    def records(self, object_name: str) -> list[dict[str, Any]] | None:
        with self.portal.lock:
            if object_name == "owners":
                return [owner.to_json() for owner in self.portal.owners.owners.values()]
            if object_name not in OBJECT_TYPES:
                return None
            store = self.portal.stores[self.portal.object_type(object_name)]
            return [self._stored_json(store, record) for record in store.ordered()]

    def fault_response(self, status: int, rule: FaultRule) -> Response:
        if status == 429:
            return rate_limited(rule.error_code or "TEN_SECONDLY_ROLLING").response()
        return server_fault(status)

    # -- the gate: auth, then rate limits ----------------------------------------------

    async def _gate(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        error = self._authenticate(scope)
        if error is not None:
            await error.response()(scope, receive, send)
            return
        is_search = scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/search")
        with self.portal.lock:
            admission = self.portal.limiter.admit(self.portal.now_ms(), is_search)
        if not admission.allowed:
            assert admission.policy is not None
            await rate_limited(admission.policy, admission.headers).response()(scope, receive, send)
            return
        extra = [
            (key.lower().encode("latin-1"), value.encode("latin-1"))
            for key, value in admission.headers.items()
        ]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self._router(scope, receive, send_with_limits)

    def _authenticate(self, scope: Scope) -> HubSpotError | None:
        token = None
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                text = value.decode("latin-1").strip()
                if text.lower().startswith("bearer "):
                    token = text[7:].strip()
        if token is None or token not in self.portal.tokens:
            return unauthenticated()
        expiry = self.portal.tokens[token]
        now_ms = self.portal.now_ms()
        if expiry is not None and now_ms >= expiry:
            return token_expired((now_ms - expiry) // 1000)
        return None

    def _api_routes(self) -> list[BaseRoute]:
        return [
            *SearchRoutes(self.portal).routes(),
            *ObjectRoutes(self.portal).routes(),
            *PropertyRoutes(self.portal).routes(),
            *OwnerRoutes(self.portal).routes(),
            *PipelineRoutes(self.portal).routes(),
            *AssociationRoutes(self.portal).routes(),
        ]

    # -- admin -------------------------------------------------------------------------

    async def _settings(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(self.portal.settings.to_json())
        try:
            body = await request.json()
            return json_response(self.portal.apply_settings(dict(body)))
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)

    async def _update(self, request: Request) -> Response:
        """Change a record as HubSpot itself or a UI user would: no validation, no rules."""
        try:
            body = await request.json()
            store = self.portal.stores[self.portal.object_type(str(body["object"]))]
            record_id = int(str(body["id"]))
            changes = {
                name: None if value is None else wire_text(value)
                for name, value in dict(body["properties"]).items()
            }
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error": f"bad update: {exc}"}, 400)
        except HubSpotError as exc:
            return exc.response()
        with self.portal.lock:
            record = store.get(record_id)
            if record is None:
                return json_response({"error": f"no {store.object_type} {record_id}"}, 404)
            store.update(record, changes, self.portal.now_ms())
            return json_response(self._stored_json(store, record))

    async def _tokens(self, request: Request) -> Response:
        """Add a private-app token: ``{"token", "expires_in_seconds"?}``; ``revoke`` removes."""
        try:
            body = await request.json()
            token = str(body["token"])
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error": f"bad token request: {exc}"}, 400)
        with self.portal.lock:
            if body.get("revoke"):
                self.portal.tokens.pop(token, None)
            else:
                lifetime = body.get("expires_in_seconds")
                expiry = None
                if lifetime is not None:
                    expiry = self.portal.now_ms() + int(float(lifetime) * 1000)
                self.portal.tokens[token] = expiry
            return json_response({"tokens": len(self.portal.tokens)})

    # -- seeding and the stored view ---------------------------------------------------

    def _seed_record(self, store: ObjectStore, raw: Any) -> StoredRecord:
        if not isinstance(raw, dict):
            raise ValueError(f"a {store.object_type} seed entry must be an object")
        properties = raw.get("properties", {})
        if not isinstance(properties, dict):
            raise ValueError("properties must be an object")
        values = {name: wire_text(value) for name, value in properties.items() if value is not None}
        created = _seed_instant(values.pop("createdate", None) or raw.get("createdAt"))
        updated = _seed_instant(values.pop(store.last_modified, None) or raw.get("updatedAt"))
        values.pop("hs_object_id", None)
        now_ms = self.portal.now_ms()
        record_id = int(str(raw["id"])) if raw.get("id") is not None else None
        if record_id is not None and store.get(record_id) is not None:
            raise ValueError(f"{store.object_type} {record_id} already exists")
        record = store.create(
            values,
            now_ms,
            record_id=record_id,
            created_ms=created,
            updated_ms=updated if updated is not None else created,
            track=False,
        )
        if raw.get("archived"):
            store.archive(record, record.updated_ms)
            record.versions.clear()
            store.recent.pop(record.id, None)
        return record

    def _seed_links(
        self, object_type: ObjectType, record_id: int, links: Mapping[str, Any]
    ) -> None:
        for raw_type, targets in links.items():
            try:
                to_type = self.portal.object_type(str(raw_type))
            except HubSpotError as exc:
                raise ValueError(f"cannot associate with unknown object type {raw_type!r}") from exc
            type_id = DEFAULT_TYPES.get((object_type, to_type))
            if type_id is None:
                raise ValueError(f"{object_type} cannot be associated with {to_type}")
            for target in targets:
                to_id = int(str(target))
                if self.portal.stores[to_type].get(to_id) is None:
                    raise ValueError(f"seeded association to unknown {to_type} {to_id}")
                self.portal.links.add(record_id, to_id, type_id)

    def _stored_json(self, store: ObjectStore, record: StoredRecord) -> dict[str, Any]:
        associations: dict[str, list[str]] = {}
        for to_type, to_id, _ in self.portal.links.of(store.object_type, record.id):
            associations.setdefault(to_type, []).append(str(to_id))
        return {
            "id": str(record.id),
            "properties": dict(sorted(record.properties.items())),
            "createdAt": format_instant(record.created_ms),
            "updatedAt": format_instant(record.updated_ms),
            "archived": record.archived,
            "associations": associations,
        }


def _seed_instant(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    ms = parse_instant_text(str(raw))
    if ms is None:
        raise ValueError(f"cannot read {raw!r} as an instant")
    return ms


async def _render_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubSpotError)
    return exc.response()


async def _render_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return resource_not_found().response()
    return json_response(error_body(str(exc.detail)), exc.status_code)
