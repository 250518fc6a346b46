"""How a request reaches its handler: paths, versions, the session check and the API allocation.

Paths match with or without a trailing slash (simple-salesforce sends ``query/``, ``sobjects/Lead/``
and ``limits/``). Under ``/services/data/vXX.X`` every call must carry a valid session (else 401
``INVALID_SESSION_ID``), spends one request of the daily allocation (else 403
``REQUEST_LIMIT_EXCEEDED``) and answers ``Sforce-Limit-Info``. Handlers raise ``RequestFailed``
to refuse; anything unforeseen answers the real 500 ``UNKNOWN_EXCEPTION`` body.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connector.emulators.salesforce.errors import (
    INVALID_SESSION,
    LIMIT_EXCEEDED,
    RequestFailed,
    SfError,
    error_response,
    not_found,
)

if TYPE_CHECKING:
    from connector.emulators.salesforce.auth import Session
    from connector.emulators.salesforce.org import Org

log = logging.getLogger(__name__)

OLDEST_VERSION = 31
NEWEST_VERSION = 66
_DATA_PATH = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")


@dataclass
class Call:
    """One API request as a handler sees it."""

    request: Request
    org: Org
    version: str
    params: dict[str, str]
    session: Session
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/services/data/v{self.version}"

    @property
    def version_number(self) -> float:
        return float(self.version)

    def set_records(self, count: int) -> None:
        self.request.state.records = count

    async def json(self) -> Any:
        raw = await self.request.body()
        try:
            return json.loads(raw or b"null")
        except json.JSONDecodeError as exc:
            raise RequestFailed(
                400,
                [
                    SfError(
                        "JSON_PARSER_ERROR",
                        f"Unexpected character at [line:{exc.lineno}, column:{exc.colno}]",
                        with_fields=False,
                    )
                ],
            ) from exc

    async def json_object(self) -> dict[str, Any]:
        body = await self.json()
        if not isinstance(body, dict):
            raise RequestFailed(
                400,
                [
                    SfError(
                        "JSON_PARSER_ERROR",
                        "Cannot deserialize instance of object from START_ARRAY value [ or "
                        "request may be missing a required field at [line:1, column:1]",
                        with_fields=False,
                    )
                ],
            )
        return body


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """One versioned API path pattern and its handlers by HTTP method."""

    pattern: re.Pattern[str]
    handlers: dict[str, Handler]


class ApiRouter:
    """Matches ``/services/data/vXX.X/...`` sub-paths to handlers, in registration order."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, path: str, **handlers: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self._routes.append(
            Route(re.compile(f"^{regex}$"), {m.upper(): h for m, h in handlers.items()})
        )

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for route in self._routes:
            found = route.pattern.match(path)
            if not found:
                continue
            handler = route.handlers.get(method)
            if handler is None:
                allowed = ",".join(sorted(route.handlers))
                raise RequestFailed(
                    405,
                    [
                        SfError(
                            "METHOD_NOT_ALLOWED",
                            f"HTTP Method '{method}' not allowed. Allowed are {allowed}",
                            with_fields=False,
                        )
                    ],
                )
            return handler, found.groupdict()
        raise not_found()


PublicHandler = Callable[[Request, "Org", dict[str, str]], Awaitable[Response]]


class SalesforceApp:
    """The ASGI app: public endpoints (versions, OAuth, SOAP) and the guarded versioned API."""

    def __init__(self, org_of: Callable[[], Org], api: ApiRouter) -> None:
        self._org_of = org_of
        self._api = api
        self._public: list[tuple[str, re.Pattern[str], PublicHandler]] = []

    def public(self, method: str, path: str, handler: PublicHandler) -> None:
        self._public.append((method, re.compile(f"^{path}$"), handler))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._dispatch(request)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        org = self._org_of()
        path = request.url.path.rstrip("/") or "/"
        for method, pattern, public_handler in self._public:
            found = pattern.match(path)
            if found and method == request.method:
                return await public_handler(request, org, found.groupdict())
        versioned = _DATA_PATH.match(path)
        if not versioned:
            return not_found().response()
        version, rest = versioned.group(1), versioned.group(2) or "/"
        now = org.now()
        session = org.sessions.check(request.headers.get("authorization"))
        if session is None:
            return error_response(401, [INVALID_SESSION])
        limit_header = {"Sforce-Limit-Info": ""}
        if not org.allocation.spend(now):
            response: Response = error_response(403, [LIMIT_EXCEEDED])
        elif not OLDEST_VERSION <= float(version) <= NEWEST_VERSION:
            response = not_found().response()
        else:
            response = await self._handle(request, org, version, rest, session)
        limit_header["Sforce-Limit-Info"] = org.allocation.header(now)
        response.headers.update(limit_header)
        return response

    async def _handle(
        self, request: Request, org: Org, version: str, rest: str, session: Session
    ) -> Response:
        try:
            handler, params = self._api.match(request.method, rest)
            return await handler(Call(request, org, version, params, session))
        except RequestFailed as failure:
            return failure.response()
        except Exception:
            log.exception("the Salesforce emulator failed on %s %s", request.method, rest)
            return JSONResponse(
                [
                    {
                        "message": "An unexpected error occurred. Please include this ErrorId if "
                        "you contact support: 1234567890-1234 (-1234567890)",
                        "errorCode": "UNKNOWN_EXCEPTION",
                    }
                ],
                status_code=500,
            )
