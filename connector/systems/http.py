"""The HTTP layer under both adapters: TLS trust, timeouts, retries, re-auth, rate budget, counts.

Everything an SDK sends goes through one ``CallRunner`` per system, built here:

- **Trust.** ``Transport`` turns ``ca_bundle`` into what each client is handed: a pinned
  ``requests.Session`` (simple-salesforce), an ``ssl.SSLContext`` (httpx, for the OAuth token),
  a CA file path (hubspot-api-client's ``ssl_ca_cert``). The environment cannot override it:
  requests would let ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace a session's ``verify``,
  so the session pins ``verify`` on every send and ignores the environment. Verification can
  never be turned off; without ``ca_bundle`` the certifi bundle is used.
- **Retries** (tenacity, with ``sleep`` a parameter): a 429 waits what the service asked
  (``Retry-After``, or the policy HubSpot names); 5xx and dropped connections back off
  exponentially with jitter; attempts are bounded and so is the total time. Only what is safe
  to repeat is repeated (``classify.safe_to_repeat``): a create that met a 503 or a broken
  connection is reported, never sent again, since it may have been applied.
- **Re-auth**: a Salesforce 401 ``INVALID_SESSION_ID`` logs in again once, then repeats.
- **Budget** (``budget.py``) before each call; **counters** for ``stats()``.
- **Failures** become the error tree: ``SystemUnreachable`` (names the system and URL),
  ``CredentialsRefused``, ``LimitExhausted``. No message carries a token: URLs are reduced to
  scheme, host and path, and known secrets are scrubbed from any text passed on.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import certifi
import httpx
import requests
import tenacity
import urllib3
from pydantic import SecretStr
from requests.auth import AuthBase

from connector.clock import Clock, system_clock
from connector.errors import ConfigError, CredentialsRefused, LimitExhausted, SystemUnreachable
from connector.model import CallStats, Side
from connector.systems.budget import Budget, CallKind, daily_limit_spent
from connector.systems.classify import Action, StopReason, Verdict, classify, safe_to_repeat

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
T = TypeVar("T")
R = TypeVar("R")

SYSTEM_NAMES = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}


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


@dataclass(frozen=True)
class RetrySettings:
    """How hard to try: attempts, total time, backoff, the longest wait accepted."""

    max_attempts: int = 6
    deadline_s: float = 300.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # A service asking for a longer pause than this stops the run instead of stalling it.
    max_wait_s: float = 120.0
    # Rounds for records a batch answer refused for a transient reason (UNABLE_TO_LOCK_ROW).
    row_attempts: int = 4


@dataclass(frozen=True)
class Reply:
    """An HTTP answer as the retry layer sees it, whichever client fetched it."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportFailure(Exception):
    """The call got no HTTP answer: TLS refused, connection refused or dropped, timeout."""

    def __init__(self, detail: str, *, tls: bool = False, before_sending: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.tls = tls
        self.before_sending = before_sending


class _Again(Exception):
    """One attempt failed in a way that another attempt may cure."""

    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_s = wait_s


class Scrubber:
    """Known secret values, removed from any text that leaves the HTTP layer."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, *values: SecretStr | str | None) -> None:
        for value in values:
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if raw and len(raw) >= 4:
                self._secrets.add(raw)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def public_url(url: str) -> str:
    """Scheme, host and path only: queries and userinfo can carry tokens or whole SOQL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass
class CallCounter:
    """Calls spent by one adapter, for ``stats()``."""

    calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    reauths: int = 0
    rows_retried: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class CallRunner:
    """Runs each call of one system under the retry policy, the budget and the counters."""

    def __init__(
        self,
        side: Side,
        budget: Budget,
        settings: RetrySettings | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = system_clock,
        scrub: Scrubber | None = None,
    ) -> None:
        self.side = side
        self.name = SYSTEM_NAMES[side]
        self.budget = budget
        self.settings = settings or RetrySettings()
        self.sleep = sleep
        self.clock = clock
        self.scrub = scrub or Scrubber()
        self.counter = CallCounter()

    # -- whole calls --------------------------------------------------------------------------

    def call(
        self,
        attempt: Callable[[], Reply],
        *,
        method: str,
        url: str,
        kind: CallKind,
        safe: bool | None = None,
        reauth: Callable[[], None] | None = None,
    ) -> Reply:
        """Run ``attempt`` until it gives an answer to act on, and return that answer.

        Answers classified OK or REJECT are returned (the caller reads the vendor's error);
        everything else is retried, waited out, re-authenticated or raised here.
        """
        where = public_url(url)
        repeatable = safe_to_repeat(self.side, method, urlsplit(url).path) if safe is None else safe
        reauthed = False
        attempts = 0

        def one() -> Reply:
            nonlocal reauthed, attempts
            attempts += 1
            self.budget.before_call(kind)
            self.counter.calls += 1
            try:
                reply = attempt()
            except TransportFailure as failure:
                raise self._transport_failed(failure, method, where, repeatable) from None
            self.budget.observe(reply.headers, kind)
            verdict = classify(self.side, reply.status, reply.headers, reply.body)
            if verdict.action in (Action.OK, Action.REJECT):
                return reply
            if verdict.action is Action.REAUTH:
                if reauth is None or reauthed:
                    raise CredentialsRefused(
                        f"{self.name} refused the session for {method} {where} "
                        f"({verdict.code}) even after logging in again"
                    )
                reauthed = True
                self.counter.reauths += 1
                log.info("%s session expired; logging in again", self.name)
                reauth()
                raise _Again("the session expired", wait_s=0.0)
            if verdict.action is Action.WAIT:
                self.counter.rate_limited += 1
                wait_s = verdict.wait_s if verdict.wait_s is not None else 1.0
                if wait_s > self.settings.max_wait_s:
                    raise LimitExhausted(
                        self.side.value,
                        f"{method} {where} was refused as rate-limited ({verdict.code or 429}) "
                        f"with a wait of {wait_s:.0f} s, longer than crmsync waits within a run",
                        resume_after_s=wait_s,
                    )
                raise _Again(f"rate-limited ({verdict.code or reply.status})", wait_s=wait_s)
            if verdict.action is Action.RETRY:
                if not repeatable:
                    raise SystemUnreachable(
                        f"{self.name} answered {reply.status} to {method} {where}; not retried, "
                        "because repeating this request could write twice"
                    )
                raise _Again(f"answered {reply.status} {verdict.code or ''}".rstrip())
            raise self._stopped(verdict, method, where)

        retrying = tenacity.Retrying(
            sleep=self.sleep,
            stop=self._stop,
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Again),
            before_sleep=lambda state: self._before_sleep(state, method, where),
            reraise=True,
        )
        try:
            return retrying(one)
        except _Again as last:
            raise SystemUnreachable(
                f"{self.name} at {where}: {method} failed after {attempts} attempts "
                f"({self.scrub(last.reason)})"
            ) from None

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.settings.max_attempts:
            return True
        # Elapsed time is real time or, when sleep is simulated, the time asked to sleep.
        elapsed = max(state.seconds_since_start or 0.0, state.idle_for)
        return elapsed + state.upcoming_sleep > self.settings.deadline_s

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _Again) and failure.wait_s is not None:
            return failure.wait_s
        return self.backoff(state.attempt_number)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so many clients do not retry in step."""
        settings = self.settings
        base = min(settings.backoff_initial_s * 2.0 ** (attempt - 1), settings.backoff_max_s)
        return float(base + random.uniform(0, base / 2))

    def _before_sleep(self, state: tenacity.RetryCallState, method: str, where: str) -> None:
        self.counter.retries += 1
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        reason = failure.reason if isinstance(failure, _Again) else "failed"
        log.warning(
            "%s %s %s: %s; attempt %d, trying again in %.2f s",
            self.name,
            method,
            where,
            reason,
            state.attempt_number,
            state.upcoming_sleep,
        )

    def _transport_failed(
        self, failure: TransportFailure, method: str, where: str, repeatable: bool
    ) -> Exception:
        detail = self.scrub(failure.detail)
        if failure.tls:
            return SystemUnreachable(
                f"{self.name} at {where}: the TLS certificate could not be verified ({detail}). "
                "If a proxy or private CA signs it, name its CA file in ca_bundle; "
                "verification is never turned off."
            )
        if repeatable or failure.before_sending:
            return _Again(f"connection failed: {detail}")
        return SystemUnreachable(
            f"{self.name} at {where}: the connection failed during {method} ({detail}); not "
            "retried, because repeating this request could write twice"
        )

    def _stopped(self, verdict: Verdict, method: str, where: str) -> Exception:
        text = self.scrub(f"{verdict.code}: {verdict.message}" if verdict.code else verdict.message)
        if verdict.stop is StopReason.LIMIT:
            if self.side is Side.HUBSPOT:
                return daily_limit_spent(self.clock(), f"HubSpot answered 429 {text}")
            return LimitExhausted(
                self.side.value,
                f"the org's daily API request allocation is spent ({text}); it is counted over "
                "a rolling 24 hours: run again once older calls have aged out",
            )
        return CredentialsRefused(f"{self.name} refused the credentials at {where} ({text})")

    # -- rows of a batch ----------------------------------------------------------------------

    def retry_rows(
        self,
        items: Sequence[T],
        send: Callable[[list[T]], list[R]],
        verdict: Callable[[R], Verdict],
        *,
        repeatable: bool,
    ) -> list[R]:
        """Send ``items``, then send again the rows whose result asks for a retry.

        Only when writing them again is idempotent, and a bounded number of rounds.
        """
        results: list[R | None] = [None] * len(items)
        pending = list(range(len(items)))
        for round_number in range(1, self.settings.row_attempts + 1):
            answers = send([items[i] for i in pending])
            again: list[int] = []
            for index, answer in zip(pending, answers, strict=True):
                results[index] = answer
                if repeatable and verdict(answer).action is Action.RETRY:
                    again.append(index)
            if not again or round_number == self.settings.row_attempts:
                break
            self.counter.retries += 1
            self.counter.rows_retried += len(again)
            pause = self.backoff(round_number)
            log.warning(
                "%s: %d record(s) were locked; trying them again in %.2f s",
                self.name,
                len(again),
                pause,
            )
            self.sleep(pause)
            pending = again
        return [result for result in results if result is not None]

    def stats(self) -> CallStats:
        counter = self.counter
        extra = {
            "reauths": counter.reauths,
            "rows_retried": counter.rows_retried,
            "throttle_waits": self.budget.waits,
            **counter.extra,
        }
        return CallStats(counter.calls, counter.rate_limited, counter.retries, extra)


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

        def reauth() -> None:
            assert self.relogin is not None
            token = self.relogin()
            self.bearer.token = token
            self.bearer(request)

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
