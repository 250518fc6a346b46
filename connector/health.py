"""Health: is each pipeline keeping up, and the loopback HTTP server for ``/healthz``, ``/metrics``.

A pipeline is healthy while its last successful run (by any daemon sharing the state store) is
no more than three scheduled runs old; before its first success, the daemon's start counts as
the reference, so a daemon that just started is not called stale. ``/healthz`` answers 200
when every pipeline is healthy and 503 otherwise (or when the store cannot be read), with the
details as JSON. ``/metrics`` is the Prometheus text of the daemon's own registry.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app

from connector.schedule import Schedule
from connector.state import Run, RunOutcome, StateStore

log = logging.getLogger(__name__)

STALE_AFTER_MISSED_RUNS = 3
# Enough history to find the last success among recent failures; more failures than this in a
# row means many missed runs, which is stale whatever the older rows say.
_HISTORY = 20

HealthReport = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class PipelineHealth:
    """One pipeline's state as ``/healthz`` reports it."""

    name: str
    schedule: str
    last_success: datetime | None
    last_outcome: str | None
    last_error: str | None
    missed_runs: int
    paused_until: datetime | None

    @property
    def stale(self) -> bool:
        return self.missed_runs >= STALE_AFTER_MISSED_RUNS

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "stale" if self.stale else "ok",
            "schedule": self.schedule,
            "last_success": _iso(self.last_success),
            "last_outcome": self.last_outcome,
            "last_error": self.last_error,
            "missed_runs": self.missed_runs,
            "paused_until": _iso(self.paused_until),
        }


def pipeline_health(
    name: str,
    schedule: Schedule,
    runs: Iterable[Run],
    *,
    started_at: datetime,
    now: datetime,
    paused_until: datetime | None = None,
) -> PipelineHealth:
    """How ``name`` stands, from its recent runs (newest first) and its schedule."""
    history = list(runs)
    finished = [run for run in history if run.finished_at is not None]
    success = next(
        (r for r in finished if r.outcome in (RunOutcome.SUCCEEDED, RunOutcome.DEAD_LETTERS)),
        None,
    )
    last_success = success.finished_at if success is not None else None
    since = last_success if last_success is not None else started_at
    latest = finished[0] if finished else None
    return PipelineHealth(
        name=name,
        schedule=schedule.text,
        last_success=last_success,
        last_outcome=latest.outcome.value if latest else None,
        last_error=latest.error if latest else None,
        missed_runs=schedule.due_between(since, now, STALE_AFTER_MISSED_RUNS),
        paused_until=paused_until,
    )


def health_report(
    store: StateStore,
    schedules: Mapping[str, Schedule],
    *,
    started_at: datetime,
    now: datetime,
    paused_until: Callable[[str], datetime | None] = lambda _: None,
) -> HealthReport:
    """The ``/healthz`` status code and body."""
    try:
        with store.transaction(readonly=True) as tx:
            history = {name: tx.last_runs(name, limit=_HISTORY) for name in schedules}
    except Exception as exc:
        log.warning("health check could not read the state store: %s", exc)
        return 503, {"status": "error", "error": str(exc), "checked_at": _iso(now)}
    pipelines = [
        pipeline_health(
            name,
            schedule,
            history[name],
            started_at=started_at,
            now=now,
            paused_until=paused_until(name),
        )
        for name, schedule in schedules.items()
    ]
    healthy = not any(p.stale for p in pipelines)
    body = {
        "status": "ok" if healthy else "stale",
        "checked_at": _iso(now),
        "pipelines": {p.name: p.as_json() for p in pipelines},
    }
    return (200 if healthy else 503), body


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9187"`` or ``"[::1]:9187"`` as (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """Requests are logged at debug level: a scrape every few seconds is not news."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class HealthServer:
    """``/healthz`` and ``/metrics`` over HTTP, served from a background thread."""

    def __init__(
        self, listen: str, registry: CollectorRegistry, health: Callable[[], HealthReport]
    ) -> None:
        host, port = split_listen(listen)
        self._metrics = make_wsgi_app(registry)
        self._health = health
        server_class = _Server6 if ":" in host else _Server
        # Raises OSError when the address is taken or not ours; the caller says which key.
        self._server = make_server(
            host, port, self.app, server_class=server_class, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="crmsync-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI app: ``/metrics``, ``/healthz``, 404 for anything else."""
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            metrics: WSGIApplication = self._metrics
            return metrics(environ, start_response)
        if path == "/healthz":
            try:
                status, body = self._health()
            except Exception as exc:  # a health check must answer, never crash the server
                log.exception("health check failed")
                status, body = 503, {"status": "error", "error": str(exc)}
            return _json(start_response, status, body)
        return _json(start_response, 404, {"error": "not found; try /healthz or /metrics"})


_REASONS = {200: "200 OK", 404: "404 Not Found", 503: "503 Service Unavailable"}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body, indent=2).encode()
    start_response(
        _REASONS[status],
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None
