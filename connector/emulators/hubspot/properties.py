"""``/crm/v3/properties/{type}``: read the portal's property definitions, create custom ones.

Answers have the recorded ``fetch-properties`` shape (``{"results": [definition, ...]}``).
Creating a property answers 201 with the new definition; a name already taken answers 409.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import (
    HubSpotError,
    error_body,
    json_response,
    validation_error,
)
from connector.emulators.hubspot.schema import property_from_create
from connector.emulators.hubspot.wire import query_flag, read_object

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal


class PropertyRoutes:
    """Property definitions of contacts, companies and deals."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/crm/v3/properties/{object_type}", self.list_properties, methods=["GET"]),
            Route("/crm/v3/properties/{object_type}", self.create_property, methods=["POST"]),
            Route("/crm/v3/properties/{object_type}/{name}", self.get_property, methods=["GET"]),
        ]

    async def list_properties(self, request: Request) -> Response:
        object_type = self.portal.object_type(request.path_params["object_type"])
        if query_flag(request, "archived"):
            # No property of the emulated portal is ever archived.
            return json_response({"results": []})
        with self.portal.lock:
            results = [prop.to_json() for prop in self.portal.schema[object_type].values()]
        return json_response({"results": results})

    async def get_property(self, request: Request) -> Response:
        object_type = self.portal.object_type(request.path_params["object_type"])
        name = request.path_params["name"]
        with self.portal.lock:
            definition = self.portal.schema[object_type].get(name)
        if definition is None:
            raise HubSpotError(
                404,
                error_body(
                    f"Unable to find property {name} for object type {object_type}",
                    "OBJECT_NOT_FOUND",
                    context={"propertyName": [name]},
                ),
            )
        return json_response(definition.to_json())

    async def create_property(self, request: Request) -> Response:
        object_type = self.portal.object_type(request.path_params["object_type"])
        body = await read_object(request)
        try:
            definition = property_from_create(body, self.portal.now_text())
        except (ValueError, KeyError, TypeError) as exc:
            raise validation_error(f"Invalid input JSON on line 1, column 1: {exc}") from exc
        with self.portal.lock:
            properties = self.portal.schema[object_type]
            if definition.name in properties:
                raise HubSpotError(
                    409,
                    error_body(
                        f"A property named '{definition.name}' already exists.",
                        "OBJECT_ALREADY_EXISTS",
                    ),
                )
            properties[definition.name] = definition
            self.portal.stores[object_type].reindex_numbers(definition.name)
        return json_response(definition.to_json(), 201)
