"""The HTTP clients under both adapters: what each SDK is handed, and what they raise.

- **Trust.** ``Transport`` turns ``ca_bundle`` into what each client takes: a pinned
  ``requests.Session`` (simple-salesforce), an ``ssl.SSLContext`` (httpx, for the OAuth token),
  a CA file path (hubspot-api-client's ``ssl_ca_cert``). The environment cannot override it:
  requests would let ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace a session's ``verify``,
  so the session pins ``verify`` on every send and ignores the environment (httpx likewise
  ignores ``SSL_CERT_FILE``). Verification can never be turned off; without ``ca_bundle`` the
  certifi bundle is used. Proxies named in the environment are not used either.
- **Timeouts**: ``Transport.timeout_s`` on every request of every client.
- **Every request runs under the system's ``CallRunner``** (``retry.py``): budget, retries,
  re-auth and counters. ``SalesforceSession`` does it for each request simple-salesforce
  sends, Bulk 2.0 and logins included; ``HubSpotCaller`` for each hubspot-api-client call.
- **Failures without an answer** (TLS refused, connection refused or dropped, timeouts) are
  described once, by ``transport_failure``, whichever client raised them.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
import requests
import urllib3
from pydantic import SecretStr
from requests.auth import AuthBase

from connector.errors import ConfigError
from connector.systems.budget import CallKind
from connector.systems.retry import CallRunner, Reply, TransportFailure


@dataclass(frozen=True)
class Transport:
    """Where TLS trust comes from and how long one call may take."""

    ca_bundle: Path | None = None
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise ConfigError(
                str(self.ca_bundle), "the CA bundle file does not exist", key="ca_bundle"
            )

    @property
    def ca_file(self) -> str:
        """The CA file every client verifies against; never "no verification"."""
        return str(self.ca_bundle) if self.ca_bundle is not None else certifi.where()

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        # create_default_context already requires a valid certificate for the right host;
        # stated here because nothing else in crmsync may weaken it.
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def httpx_client(self) -> httpx.Client:
        # trust_env=False: httpx would otherwise honour SSL_CERT_FILE and proxy variables.
        return httpx.Client(verify=self.ssl_context(), trust_env=False, timeout=self.timeout_s)


# -- what each client raises, seen as transport failures ------------------------------------


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.extend(current.args)
        todo.extend(item for item in linked if isinstance(item, BaseException))


def transport_failure(exc: BaseException) -> TransportFailure:
    """Describe a client exception (requests, urllib3, httpx) without its secrets."""
    chain = list(_chain(exc))
    tls = any(
        isinstance(item, ssl.SSLError | requests.exceptions.SSLError | urllib3.exceptions.SSLError)
        or "CERTIFICATE_VERIFY_FAILED" in str(item)
        for item in chain
    )
    before_sending = any(
        isinstance(
            item,
            urllib3.exceptions.NewConnectionError
            | urllib3.exceptions.ConnectTimeoutError
            | requests.exceptions.ConnectTimeout
            | httpx.ConnectError
            | httpx.ConnectTimeout
            | ConnectionRefusedError,
        )
        for item in chain
    )
    root = chain[-1] if chain else exc
    detail = f"{type(root).__name__}: {root}" if str(root) else type(root).__name__
    if tls:
        detail = next((str(item) for item in chain if isinstance(item, ssl.SSLError)), detail)
    return TransportFailure(detail[:300], tls=tls, before_sending=before_sending and not tls)


# -- requests, for simple-salesforce ----------------------------------------------------------


class PinnedSession(requests.Session):
    """A requests session whose CA trust and timeout nothing can override.

    ``trust_env`` is off (no CA bundle or proxy from the environment), and ``verify`` and a
    default timeout are set on every send, whatever the caller passed.
    """

    def __init__(self, transport: Transport) -> None:
        super().__init__()
        self.trust_env = False
        self.transport = transport
        self.verify = transport.ca_file

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.transport.ca_file
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.transport.timeout_s
        return super().send(request, **kwargs)


class BearerToken(AuthBase):
    """The current Salesforce session, set on every API request (not on login requests).

    simple-salesforce keeps the token it was built with in its own headers; this replaces it,
    so a re-authentication takes effect for every later request, Bulk 2.0 included.
    """

    def __init__(self, token: SecretStr | None = None) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        path = urlsplit(request.url or "").path
        if self.token is not None and not _is_login_path(path):
            request.headers["Authorization"] = f"Bearer {self.token.get_secret_value()}"
        return request


def _is_login_path(path: str) -> bool:
    return path.startswith("/services/oauth2/") or path.startswith("/services/Soap/u/")


def _salesforce_kind(method: str, path: str) -> CallKind:
    if _is_login_path(path):
        return CallKind.AUTH
    if method.upper() == "GET" or "/query" in path:
        return CallKind.READ
    return CallKind.WRITE


class SalesforceSession(PinnedSession):
    """The session simple-salesforce is handed: every request runs under the ``CallRunner``."""

    def __init__(
        self,
        transport: Transport,
        runner: CallRunner,
        relogin: Callable[[], SecretStr] | None = None,
    ) -> None:
        super().__init__(transport)
        self.runner = runner
        self.bearer = BearerToken()
        self.auth = self.bearer
        # Set once the authenticator exists (it logs in through this very session for SOAP).
        self.relogin = relogin
        self._relogin_lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        method = request.method or "GET"
        url = request.url or ""
        answer: list[requests.Response] = []

        def attempt() -> Reply:
            try:
                response = PinnedSession.send(self, request, **kwargs)
            except requests.RequestException as exc:
                raise transport_failure(exc) from None
            answer[:] = [response]
            return Reply(response.status_code, response.headers, response.content)

        def reauth() -> bool:
            assert self.relogin is not None
            sent = request.headers.get("Authorization")
            logged_in = False
            with self._relogin_lock:
                # Calls in flight together all meet the expired session; the first to get
                # here logs in, the others are sent again with its new token.
                current = self.bearer.token
                if current is None or sent == f"Bearer {current.get_secret_value()}":
                    self.bearer.token = self.relogin()
                    logged_in = True
            self.bearer(request)
            return logged_in

        path = urlsplit(url).path
        reauth_hook = reauth if self.relogin is not None and not _is_login_path(path) else None
        self.runner.call(
            attempt,
            method=method,
            url=url,
            kind=_salesforce_kind(method, path),
            reauth=reauth_hook,
        )
        return answer[0]


# -- hubspot-api-client ----------------------------------------------------------------------


def _api_exception_reply(exc: Exception) -> Reply | None:
    """The answer carried by one of hubspot-api-client's exceptions, if it is one.

    Each API package raises its own ``ApiException`` for every non-2xx answer; status 0 means
    there was no answer (TLS or connection failure).
    """
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or not hasattr(exc, "body"):
        return None
    if status == 0:
        reason = str(getattr(exc, "reason", "") or "")
        raise TransportFailure(
            reason.replace("\n", " ")[:300],
            tls="SSL" in reason or "CERTIFICATE" in reason,
        )
    body = exc.body
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    headers = getattr(exc, "headers", None) or {}
    return Reply(status, dict(headers), raw)


class HubSpotCaller:
    """Calls hubspot-api-client methods under the ``CallRunner``, reading bodies ourselves.

    Every call passes ``_preload_content=False``, so the SDK hands back the raw answer: its
    status is whatever HubSpot sent. Real HubSpot answers 200 where the SDK's spec expects 201
    (create, batch create), and the SDK then returns ``None`` instead of the object; reading
    the body here copes with 200, 201 and 207 alike.
    """

    def __init__(self, runner: CallRunner, base_url: str, timeout_s: float) -> None:
        self.runner = runner
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        method: str,
        path: str,
        kind: CallKind,
        safe: bool | None = None,
        **kwargs: Any,
    ) -> Reply:
        def attempt() -> Reply:
            try:
                raw = fn(*args, _preload_content=False, _request_timeout=self.timeout_s, **kwargs)
            except TransportFailure:
                raise
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_failure(exc) from None
            except Exception as exc:
                reply = _api_exception_reply(exc)
                if reply is not None:
                    return reply
                # hubspot-api-client 12 turns a TLS failure into ApiException(status=0) and
                # then fails decoding its absent body (AttributeError): the cause is the chain.
                if any(
                    isinstance(item, urllib3.exceptions.HTTPError | OSError) for item in _chain(exc)
                ):
                    raise transport_failure(exc) from None
                raise
            try:
                body = raw.data
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_failure(exc) from None
            finally:
                raw.release_conn()
            return Reply(int(raw.status), dict(raw.headers), body or b"")

        return self.runner.call(
            attempt, method=method, url=self.base_url + path, kind=kind, safe=safe
        )
