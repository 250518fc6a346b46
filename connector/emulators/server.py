"""The HTTPS server both emulators run in: TLS with a throwaway CA, the admin API, faults, latency.

Each emulated service (Salesforce, HubSpot) is an ASGI app plus a few admin hooks. This module
wraps it in what both share: a loopback TLS listener whose CA is written to ``ca.pem`` (so the
connector trusts it through ``ca_bundle`` exactly as it would a corporate proxy's CA), the
``/__emulator__/`` admin API (reset, seed, records, request log, faults), injected faults and a
fixed added latency. The server runs uvicorn in a background thread, so tests, ``crmsync demo``
and ``crmsync emulate`` all start it the same way.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connector.clock import ENV_VAR, parse_instant

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PREFIX = "/__emulator__"
DEFAULT_TLS_DIR = Path(".crmsync/tls")


class EmulatorClock:
    """Server time: real time, or ticking on from ``CRMSYNC_NOW`` when that is set.

    It keeps ticking even when pinned, because modification timestamps must still advance
    between writes for incremental reads to work. ``advance`` moves it forward (admin API), so
    a test can make "tomorrow" happen without waiting.
    """

    def __init__(self, start: datetime | None = None) -> None:
        import os

        pinned = os.environ.get(ENV_VAR)
        self._base = start or (parse_instant(pinned) if pinned else None)
        self._mono0 = time.monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._base is None:
            current = datetime.now(UTC)
        else:
            current = self._base + timedelta(seconds=time.monotonic() - self._mono0)
        return current + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


@dataclass
class FaultRule:
    """One injected fault, as posted to ``/__emulator__/faults``."""

    path: str
    method: str | None = None
    status: int | None = None
    disconnect: bool = False
    delay_ms: int = 0
    probability: float = 1.0
    count: int | None = None
    retry_after: float | None = None
    error_code: str | None = None
    after: int = 0
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FaultRule:
        known = {
            "path",
            "method",
            "status",
            "disconnect",
            "delay_ms",
            "probability",
            "count",
            "retry_after",
            "error_code",
            "after",
        }
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        if "path" not in raw:
            raise ValueError("a fault rule needs 'path' (a regular expression)")
        return cls(**raw)


class FaultInjector:
    """Decides, per request, whether an injected fault fires. Seeded, so runs repeat."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def set(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self._rules = list(rules)
            if seed is not None:
                self._random.seed(seed)

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def match(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.method and rule.method.upper() != method.upper():
                    continue
                if not rule.pattern.search(path):
                    continue
                if rule.count is not None and rule.count <= 0:
                    continue
                if rule.after > 0:
                    # Let the first ``after`` matching requests through: a fault can land on the
                    # N-th call exactly, which is how crash tests pick their moment.
                    rule.after -= 1
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None


class RequestLog:
    """Every API call received: method, path, query, status and how many records it touched."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, method: str, path: str, query: str, status: int, records: int) -> None:
        entry = {"method": method, "path": path, "query": query, "status": status}
        entry["records"] = records
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class EmulatedService(Protocol):
    """What an emulated API provides to the shared server."""

    name: str
    clock: EmulatorClock

    def api_app(self) -> ASGIApp:
        """The vendor API itself."""
        ...

    def admin_routes(self) -> list[BaseRoute]:
        """Vendor-only admin endpoints, mounted under ``/__emulator__/``."""
        ...

    def reset(self) -> None:
        """Forget every record, token and counter; back to the default schema."""
        ...

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Load records in the admin seed format; answer the created ids in order."""
        ...

    def records(self, object_name: str) -> list[dict[str, Any]] | None:
        """Every stored record of an object, or ``None`` for an unknown object."""
        ...

    def fault_response(self, status: int, rule: FaultRule) -> Response:
        """The body the real service sends with ``status`` (429 policy body, 503 page, ...)."""
        ...


class EmulatorApp:
    """The ASGI app served: admin API, faults and latency around the vendor's app."""

    def __init__(self, service: EmulatedService, latency_ms: int = 0) -> None:
        self.service = service
        self.latency_ms = latency_ms
        self.log = RequestLog()
        self.faults = FaultInjector()
        self._api = service.api_app()
        self._admin = Starlette(routes=self._admin_routes())

    def _admin_routes(self) -> list[BaseRoute]:
        base = ADMIN_PREFIX
        routes: list[BaseRoute] = [
            Route(f"{base}/reset", self._reset, methods=["POST"]),
            Route(f"{base}/seed", self._seed, methods=["POST"]),
            Route(f"{base}/records/{{object}}", self._records, methods=["GET"]),
            Route(f"{base}/requests", self._requests, methods=["GET"]),
            Route(f"{base}/requests/clear", self._requests_clear, methods=["POST"]),
            Route(f"{base}/faults", self._faults, methods=["POST", "GET"]),
            Route(f"{base}/faults/clear", self._faults_clear, methods=["POST"]),
            Route(f"{base}/latency", self._latency, methods=["POST"]),
            Route(f"{base}/clock/advance", self._advance, methods=["POST"]),
        ]
        return routes + self.service.admin_routes()

    async def _reset(self, request: Request) -> Response:
        self.service.reset()
        self.log.clear()
        self.faults.clear()
        return JSONResponse({"ok": True})

    async def _seed(self, request: Request) -> Response:
        try:
            payload = await request.json()
            return JSONResponse(self.service.seed(payload))
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def _records(self, request: Request) -> Response:
        found = self.service.records(request.path_params["object"])
        if found is None:
            return JSONResponse({"error": "unknown object"}, status_code=404)
        return JSONResponse(found)

    async def _requests(self, request: Request) -> Response:
        return JSONResponse(self.log.entries())

    async def _requests_clear(self, request: Request) -> Response:
        self.log.clear()
        return JSONResponse({"ok": True})

    async def _faults(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"rules": len(self.faults._rules)})
        try:
            body = await request.json()
            if not isinstance(body, dict) or "rules" not in body or set(body) - {"rules", "seed"}:
                # A rule posted bare would otherwise install nothing, and a test pass untested.
                raise ValueError('expected {"rules": [...], "seed": optional}')
            rules = [FaultRule.from_json(r) for r in body["rules"]]
        except (ValueError, TypeError, re.error) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        self.faults.set(rules, body.get("seed"))
        return JSONResponse({"rules": len(rules)})

    async def _faults_clear(self, request: Request) -> Response:
        self.faults.clear()
        return JSONResponse({"ok": True})

    async def _latency(self, request: Request) -> Response:
        body = await request.json()
        self.latency_ms = int(body.get("latency_ms", 0))
        return JSONResponse({"latency_ms": self.latency_ms})

    async def _advance(self, request: Request) -> Response:
        body = await request.json()
        self.service.clock.advance(timedelta(seconds=float(body.get("seconds", 0))))
        return JSONResponse({"now": self.service.clock.now().isoformat()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                return
            await self._api(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX + "/"):
            await self._admin(scope, receive, send)
            return
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        rule = self.faults.match(method, path)
        if rule is not None:
            if rule.delay_ms:
                await asyncio.sleep(rule.delay_ms / 1000)
            if rule.disconnect:
                self.log.add(method, path, query, 0, 0)
                await _drop_connection(send)
                return
            if rule.status:
                response = self.service.fault_response(rule.status, rule)
                self.log.add(method, path, query, rule.status, 0)
                await response(scope, receive, send)
                return
        state: dict[str, Any] = scope.setdefault("state", {})
        status_seen = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
            await send(message)

        try:
            await self._api(scope, receive, tracking_send)
        finally:
            self.log.add(method, path, query, status_seen, int(state.get("records", 0)))


async def _drop_connection(send: Send) -> None:
    """Cut the response short: a declared body never fully sent, so the client's read breaks.

    ASGI gives no way to reset the socket itself; an incomplete body makes uvicorn close the
    connection, which the client sees as a broken connection, as with a dropped proxy.
    """
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": False})


@dataclass(frozen=True)
class TlsFiles:
    """Where the test CA and the server's certificate live."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls(tls_dir: Path = DEFAULT_TLS_DIR) -> TlsFiles:
    """A fresh CA and a loopback server certificate; the CA is written to ``tls_dir/ca.pem``."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="crmsync emulator CA")
    leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca_path = tls_dir / "ca.pem"
    cert_path = tls_dir / "server.pem"
    key_path = tls_dir / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    leaf.private_key_pem.write_to_path(str(key_path))
    return TlsFiles(ca_path, cert_path, key_path)


class EmulatorServer:
    """One emulated service on a loopback HTTPS port, served from a background thread."""

    def __init__(
        self,
        service: EmulatedService,
        tls: TlsFiles,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
    ) -> None:
        self.service = service
        self.app = EmulatorApp(service, latency_ms=latency_ms)
        self.tls = tls
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # uvicorn writes headers and body separately; without this each answer waits ~40 ms
        # for a delayed ACK, which would make every benchmark measure the kernel, not us.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            ssl_certfile=str(tls.cert_path),
            ssl_keyfile=str(tls.key_path),
            log_level="critical",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=30,
            # A client holding a keep-alive connection must not hold up a stop for long.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"emulator-{service.name}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.service.name} emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_body(raw: bytes) -> Any:
    """Parse a JSON request body; ``ValueError`` names what was wrong."""
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
