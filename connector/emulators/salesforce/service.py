"""The Salesforce emulator as the shared server runs it: ``SalesforceService``.

It wires the org (records, sessions, allocation, cursors, jobs) to the routes of the real
API, adds the Salesforce-only admin endpoints, and answers injected faults with the bodies the
real service sends for each status.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from connector.emulators.salesforce import admin, auth, bulk, collections, queries, rest
from connector.emulators.salesforce.org import Org
from connector.emulators.salesforce.routes import ApiRouter, SalesforceApp
from connector.emulators.server import ASGIApp, EmulatorClock, FaultRule

# What the real service answers for each injected status when the rule names no error code.
_FAULTS: dict[int, tuple[str, str]] = {
    400: ("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234567890-1234 (-1234567890)",
    ),
    502: ("SERVER_UNAVAILABLE", "Bad gateway"),
    503: (
        "SERVER_UNAVAILABLE",
        "Server temporarily unavailable due to maintenance or high load. Try again later.",
    ),
}


def api_router() -> ApiRouter:
    """Every versioned resource the emulator serves, most specific paths first."""
    router = ApiRouter()
    add = router.add
    add("/", get=rest.resources)
    add("/limits", get=rest.limits)
    add("/sobjects", get=rest.global_describe)
    add("/sobjects/{object}", get=rest.object_info, post=rest.create)
    add("/sobjects/{object}/describe", get=rest.object_describe)
    add("/sobjects/{object}/updated", get=rest.updated)
    add("/sobjects/{object}/deleted", get=rest.deleted)
    add(
        "/sobjects/{object}/{id}",
        get=rest.get_record,
        patch=rest.update_record,
        delete=rest.delete_record,
    )
    add(
        "/sobjects/{object}/{field}/{value}",
        get=rest.get_by_external,
        patch=rest.upsert,
        delete=rest.delete_by_external,
    )
    add("/query", get=queries.query)
    add("/queryAll", get=queries.query_all)
    add("/query/{locator}", get=queries.more)
    add("/queryAll/{locator}", get=queries.more)
    add(
        "/composite/sobjects",
        post=collections.create,
        patch=collections.update,
        delete=collections.delete,
    )
    add("/composite/sobjects/{object}", get=collections.retrieve, post=collections.retrieve)
    add("/composite/sobjects/{object}/{field}", patch=collections.upsert)
    add("/jobs/query", post=bulk.create, get=bulk.list_jobs)
    add("/jobs/query/{job}", get=bulk.get, patch=bulk.abort, delete=bulk.delete)
    add("/jobs/query/{job}/results", get=bulk.results)
    return router


class SalesforceService:
    """The emulated Salesforce org behind the shared emulator server."""

    name = "salesforce"

    def __init__(self, clock: EmulatorClock | None = None) -> None:
        self.clock = clock or EmulatorClock()
        self.org = Org(self.clock.now)
        self._app = SalesforceApp(lambda: self.org, api_router())
        self._app.public("GET", "/services/data", rest.versions)
        self._app.public("POST", "/services/oauth2/token", self._token)
        self._app.public("POST", r"/services/Soap/u/(?P<version>\d+\.\d)", self._soap_login)

    async def _token(self, request: Request, org: Org, params: dict[str, str]) -> Response:
        return await auth.token_endpoint(request, org.sessions, org.api_user_id, org.now())

    async def _soap_login(self, request: Request, org: Org, params: dict[str, str]) -> Response:
        return await auth.soap_login(
            request, params["version"], org.sessions, org.api_user_id, org.now()
        )

    def api_app(self) -> ASGIApp:
        return self._app

    def admin_routes(self) -> list[BaseRoute]:
        return admin.routes(self)

    def reset(self) -> None:
        self.org = Org(self.clock.now)

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return admin.seed(self.org, payload)

    def records(self, object_name: str) -> list[dict[str, Any]] | None:
        table = self.org.store.table(object_name)
        return None if table is None else list(table.rows.values())

    def fault_response(self, status: int, rule: FaultRule) -> Response:
        code, message = _FAULTS.get(status, _FAULTS[500])
        if rule.error_code:
            code = rule.error_code
            message = _message_for(code, message)
        headers = {"Sforce-Limit-Info": self.org.allocation.header(self.org.now())}
        if rule.retry_after is not None:
            headers["Retry-After"] = f"{rule.retry_after:g}"
        body: list[dict[str, Any]] = [{"message": message, "errorCode": code}]
        if code == "UNABLE_TO_LOCK_ROW":
            body[0]["fields"] = []
        return JSONResponse(body, status_code=status, headers=headers)


def _message_for(code: str, fallback: str) -> str:
    for known_code, message in _FAULTS.values():
        if known_code == code:
            return message
    return fallback
