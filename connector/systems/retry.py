"""The retry policy both systems' calls run under: one ``CallRunner`` per system.

Each attempt is checked against the budget first (``budget.py``), its answer classified
(``classify.py``), and acted on here, with tenacity and an injected ``sleep``:

- a 429 waits what the service asked (``Retry-After``, or the policy HubSpot names), and a
  wait longer than ``max_wait_s`` stops the run with ``LimitExhausted`` instead of stalling it;
- 5xx answers and dropped connections back off exponentially with jitter; attempts are
  bounded (``max_attempts``) and so is the total time (``deadline_s``);
- only what is safe to repeat is repeated (``classify.safe_to_repeat``): a create that met a
  503 or a broken connection may have been applied, so it is reported, never sent again. A 429
  or an expired session is repeated even for a create: the service refused it before doing
  anything;
- a Salesforce 401 ``INVALID_SESSION_ID`` logs in again, once, and repeats the call;
- rows of a batch refused for a transient reason (``UNABLE_TO_LOCK_ROW``) are sent again on
  their own, a bounded number of rounds (``retry_rows``).

Failures become the error tree: ``SystemUnreachable`` (naming the system and URL),
``CredentialsRefused``, ``LimitExhausted``. No message carries a secret: URLs are reduced to
scheme, host and path, and every known secret is scrubbed from text passed on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import tenacity
from pydantic import SecretStr

from connector.clock import Clock, system_clock
from connector.errors import CredentialsRefused, LimitExhausted, SystemUnreachable
from connector.model import CallStats, Side
from connector.systems.budget import Budget, CallKind, daily_limit_spent
from connector.systems.classify import Action, StopReason, Verdict, classify, safe_to_repeat

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
T = TypeVar("T")
R = TypeVar("R")

SYSTEM_NAMES = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}


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
        # The engine may have more than one call of this system in flight (``limits.in_flight``):
        # the counts are shared between those threads. (Logging in again is the session's to
        # serialise: it knows whether a newer token came since a call was sent.)
        self._count_lock = threading.Lock()

    def _count(self, what: str, by: int = 1) -> None:
        with self._count_lock:
            setattr(self.counter, what, getattr(self.counter, what) + by)

    # -- whole calls --------------------------------------------------------------------------

    def call(
        self,
        attempt: Callable[[], Reply],
        *,
        method: str,
        url: str,
        kind: CallKind,
        safe: bool | None = None,
        reauth: Callable[[], bool] | None = None,
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
            self._count("calls")
            try:
                reply = attempt()
            except TransportFailure as failure:
                self.budget.abandon(kind)
                raise self._transport_failed(failure, method, where, repeatable) from None
            except BaseException:
                self.budget.abandon(kind)
                raise
            self.budget.observe(reply.headers, kind)
            verdict = classify(self.side, reply.status, reply.headers, reply.body)
            if verdict.action in (Action.OK, Action.REJECT):
                return reply
            if verdict.action is Action.REAUTH:
                if reauth is None or reauthed:
                    again = " even after logging in again" if reauthed else ""
                    raise CredentialsRefused(
                        f"{self.name} refused the session for {method} {where} "
                        f"({verdict.code}){again}"
                    )
                reauthed = True
                if reauth():
                    self._count("reauths")
                    log.info("%s session expired; logged in again", self.name)
                raise _Again("the session expired", wait_s=0.0)
            if verdict.action is Action.WAIT:
                self._count("rate_limited")
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
        self._count("retries")
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
            self._count("retries")
            self._count("rows_retried", len(again))
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
