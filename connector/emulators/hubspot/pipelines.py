"""``/crm/v3/pipelines/deals``: the default sales pipeline and its stages.

Stage ids, labels and probabilities are HubSpot's defaults for the "Sales Pipeline"
(``default``); closed stages say so in ``metadata.isClosed``, as the pipelines API answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.emulators.hubspot.errors import json_response, resource_not_found
from connector.emulators.hubspot.schema import DEAL_STAGES

if TYPE_CHECKING:
    from connector.emulators.hubspot.portal import Portal

_CREATED = "2019-08-06T02:41:44.024Z"


def default_pipeline() -> dict[str, Any]:
    stages = [
        {
            "label": label,
            "displayOrder": order,
            "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
            "id": stage_id,
            "createdAt": _CREATED,
            "updatedAt": _CREATED,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        for order, (stage_id, label, probability, closed) in enumerate(DEAL_STAGES)
    ]
    return {
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "id": "default",
        "stages": stages,
        "createdAt": _CREATED,
        "updatedAt": _CREATED,
        "archived": False,
    }


class PipelineRoutes:
    """Deal pipelines (only the default one exists)."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/crm/v3/pipelines/{object_type}", self.list_pipelines, methods=["GET"]),
            Route(
                "/crm/v3/pipelines/{object_type}/{pipeline_id}",
                self.get_pipeline,
                methods=["GET"],
            ),
        ]

    async def list_pipelines(self, request: Request) -> Response:
        object_type = self.portal.object_type(request.path_params["object_type"])
        results = [default_pipeline()] if object_type == "deals" else []
        return json_response({"results": results})

    async def get_pipeline(self, request: Request) -> Response:
        object_type = self.portal.object_type(request.path_params["object_type"])
        if object_type != "deals" or request.path_params["pipeline_id"] != "default":
            raise resource_not_found()
        return json_response(default_pipeline())
