"""Owners: the users records are assigned to, and ``GET /crm/v3/owners``.

Shape from the recorded ``owners.test.json``: ``id`` (string), ``email``, ``type`` ("PERSON"),
``firstName``, ``lastName``, ``userId`` and ``userIdIncludingInactive`` (numbers),
``createdAt``, ``updatedAt``, ``archived``. Archived owners (Airbyte's ``owners_archived.json``)
answer only with ``archived=true``. hubspot-api-client calls the list as ``/crm/v3/owners/``,
with a trailing slash, so both spellings are served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import json_response, resource_not_found, validation_error
from connector.emulators.hubspot.wire import query_flag, query_int

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

MAX_PAGE = 500


@dataclass
class Owner:
    """One owner, as stored."""

    id: str
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_at: str
    updated_at: str
    archived: bool = False
    teams: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "email": self.email,
            "type": "PERSON",
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userId": self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": self.archived,
        }
        if self.teams:
            body["teams"] = list(self.teams)
        return body


class OwnerStore:
    """Owners in creation order, with ids like HubSpot's eight-digit ones."""

    def __init__(self) -> None:
        self.owners: dict[str, Owner] = {}
        self._next = 31_000_001

    def add(self, raw: dict[str, Any], now: str) -> Owner:
        """Store an owner from the seed format (camelCase, as the API answers)."""
        if not isinstance(raw.get("email"), str) or not raw["email"]:
            raise ValueError("an owner needs an email")
        if raw.get("id") is None:
            owner_id = str(self._next)
        else:
            owner_id = str(raw["id"])
            if not owner_id.isdigit():
                raise ValueError(f"owner id {owner_id!r} is not numeric")
        self._next = max(self._next, int(owner_id) + 1)
        owner = Owner(
            id=owner_id,
            email=raw["email"],
            first_name=str(raw.get("firstName", "")),
            last_name=str(raw.get("lastName", "")),
            user_id=int(raw.get("userId", owner_id)),
            created_at=str(raw.get("createdAt", now)),
            updated_at=str(raw.get("updatedAt", raw.get("createdAt", now))),
            archived=bool(raw.get("archived", False)),
            teams=list(raw.get("teams", [])),
        )
        self.owners[owner.id] = owner
        return owner

    def active_ids(self) -> set[str]:
        return {owner.id for owner in self.owners.values() if not owner.archived}


class OwnerRoutes:
    """``/crm/v3/owners`` list and read."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/crm/v3/owners", self.list_owners, methods=["GET"]),
            Route("/crm/v3/owners/", self.list_owners, methods=["GET"]),
            Route("/crm/v3/owners/{owner_id}", self.get_owner, methods=["GET"]),
        ]

    async def list_owners(self, request: Request) -> Response:
        archived = query_flag(request, "archived")
        email = request.query_params.get("email")
        limit = query_int(request, "limit", 100)
        if limit < 1 or limit > MAX_PAGE:
            raise validation_error(f"limit must be between 1 and {MAX_PAGE}")
        start = query_int(request, "after", 0)
        with self.portal.lock:
            matching = [
                owner
                for owner in self.portal.owners.owners.values()
                if owner.archived == archived
                and (email is None or owner.email.lower() == email.strip().lower())
            ]
        page = matching[start : start + limit]
        body: dict[str, Any] = {"results": [owner.to_json() for owner in page]}
        if start + limit < len(matching):
            after = str(start + limit)
            link = str(request.url.include_query_params(after=after))
            body["paging"] = {"next": {"after": after, "link": link}}
        request.state.records = len(page)
        return json_response(body)

    async def get_owner(self, request: Request) -> Response:
        wanted = request.path_params["owner_id"]
        by_user = request.query_params.get("idProperty") == "userId"
        archived = query_flag(request, "archived")
        with self.portal.lock:
            for owner in self.portal.owners.owners.values():
                key = str(owner.user_id) if by_user else owner.id
                if key == wanted and owner.archived == archived:
                    request.state.records = 1
                    return json_response(owner.to_json())
        raise resource_not_found()
