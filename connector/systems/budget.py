"""Rate budgets: spend each system's allowance before the service has to refuse a call.

The retry layer asks the budget before every call (``before_call``), which waits out a burst
window or stops the run with ``LimitExhausted`` while a reserve is still left, and tells it
what each answer's headers said (``observe``). Waiting uses the injected ``sleep`` and
``monotonic``, so tests never wait for real.

- Salesforce: ``Sforce-Limit-Info: api-usage=used/max`` is the org's rolling 24-hour request
  allocation, shared with every other integration of the org; crmsync stops while a reserve
  (5 % by default) is left for them.
- HubSpot: a rolling burst window per private app (``X-HubSpot-RateLimit-Max`` calls per
  ``-Interval-Milliseconds``, ``-Remaining`` left), a per-second limit on search (whose answers
  carry no rate-limit headers), and a daily limit (``-Daily``, ``-Daily-Remaining``).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from connector.clock import Clock, system_clock
from connector.errors import LimitExhausted

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Monotonic = Callable[[], float]


class CallKind(StrEnum):
    """What a call does, as far as rate limits care."""

    READ = "read"
    SEARCH = "search"
    WRITE = "write"
    AUTH = "auth"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (SDKs hand over plain dicts as well)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


class RollingWindow:
    """At most ``limit`` calls in any ``window_s``: our own calls, corrected by the headers.

    ``remaining`` is what the service last said was left, minus the calls made since, plus our
    calls that have aged out of the window since. A rolling window (not a refilling bucket) is
    what HubSpot counts, so a burst of ``limit`` calls is followed by a pause of up to a
    whole window, not by a trickle.

    The service counts a call from when it arrived, which we never see: only that it was after
    we sent it and before its answer came. So each of our calls is kept with both times, and
    every doubt is settled on the safe side:

    - a call gives its slot back ``window_s`` after its answer (the service let it go by then);
    - an answer's count of what is left may not include our calls still in flight beside it,
      so they are taken off it (``sync``);
    - that count already gave back the calls the service let go; ours sent a whole window
      before it may be among them, so they are dropped from our list without giving their
      slot back a second time.
    """

    def __init__(self, limit: int, window_s: float, reserve: int = 0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.reserve = reserve
        self.remaining = limit
        # Send times of our calls not answered yet (a call may overtake another: the oldest is
        # taken for each answer, which only ever makes a call look older).
        self._sending: deque[float] = deque()
        # (sent, answered) of our answered calls still in the window, in answer order.
        self._calls: deque[tuple[float, float]] = deque()

    @property
    def in_flight(self) -> int:
        return len(self._sending)

    def reshape(self, limit: int, window_s: float) -> None:
        if limit != self.limit:
            self.remaining = max(0, min(self.remaining + limit - self.limit, limit))
        self.limit = limit
        self.window_s = window_s

    def sync(self, remaining: int, now: float) -> None:
        """What the service said is left, as of an answer received at ``now``."""
        self.remaining = max(0, min(remaining - self.in_flight, self.limit))
        horizon = now - self.window_s
        self._calls = deque(call for call in self._calls if call[0] > horizon)

    def spend(self, now: float) -> None:
        self.remaining = max(self.remaining - 1, 0)
        self._sending.append(now)

    def land(self, now: float) -> None:
        """One of our calls was answered at ``now``, or never will be."""
        sent = self._sending.popleft() if self._sending else now
        self._calls.append((sent, now))

    def delay(self, now: float) -> float:
        """Seconds to wait before one more call may be made."""
        self._expire(now)
        if self.remaining > self.reserve:
            return 0.0
        if self._calls:
            # The oldest of our calls leaving the window frees one slot.
            return max(self._calls[0][1] + self.window_s - now, 0.0)
        # Someone else spent it (another process on the same app), or every call of ours is
        # still in flight: a whole window empties it.
        return self.window_s

    def waited(self, now: float) -> None:
        """Account for a wait of ``delay`` seconds.

        Whatever has aged out is counted; if nothing has (the clock may not have moved as far
        as the wait, or the calls were not ours), the wait itself is trusted.
        """
        self._expire(now)
        if self.remaining <= self.reserve:
            self.remaining = self.reserve + 1
            if self._calls:
                self._calls.popleft()

    def _expire(self, now: float) -> None:
        while self._calls and self._calls[0][1] + self.window_s <= now:
            self._calls.popleft()
            self.remaining = min(self.remaining + 1, self.limit)


class Budget:
    """Base of both budgets: counts the waits it imposed."""

    def __init__(self, sleep: Sleep, monotonic: Monotonic) -> None:
        self._sleep = sleep
        self._monotonic = monotonic
        self.waits = 0
        self.waited_s = 0.0
        # Calls of one system may run on more than one thread. A wait is taken holding the
        # lock on purpose: every other caller would have to wait for the same window anyway.
        self.lock = threading.RLock()

    def before_call(self, kind: CallKind) -> None:
        """Wait or stop before a call, as the allowance requires."""

    def observe(self, headers: Mapping[str, str], kind: CallKind) -> None:
        """Learn from an answer's headers."""

    def abandon(self, kind: CallKind) -> None:
        """A call let through by ``before_call`` got no answer (it failed on the way)."""

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        log.info("waiting %.2f s before the next call: %s", seconds, why)
        self.waits += 1
        self.waited_s += seconds
        self._sleep(seconds)


_API_USAGE = re.compile(r"(?:^|[,;\s])api-usage=(\d+)/(\d+)")


class SalesforceBudget(Budget):
    """The org's daily API request allocation, as ``Sforce-Limit-Info`` reports it."""

    def __init__(
        self,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        reserve_fraction: float = 0.05,
    ) -> None:
        super().__init__(sleep, monotonic)
        self.reserve_fraction = reserve_fraction
        self.used: int | None = None
        self.total: int | None = None

    @property
    def reserve(self) -> int:
        return math.ceil((self.total or 0) * self.reserve_fraction)

    def before_call(self, kind: CallKind) -> None:
        with self.lock:
            self._check(kind)

    def _check(self, kind: CallKind) -> None:
        if self.used is None or self.total is None or kind is CallKind.AUTH:
            return
        if self.used >= self.total - self.reserve:
            raise LimitExhausted(
                "salesforce",
                f"{self.used} of the org's {self.total} daily API requests are spent; crmsync "
                f"stops while {self.total - self.used} are left for other integrations "
                f"(reserve {self.reserve_fraction:.0%}). The allocation is counted over a "
                "rolling 24 hours: run again once older calls have aged out.",
            )

    def observe(self, headers: Mapping[str, str], kind: CallKind) -> None:
        raw = header(headers, "Sforce-Limit-Info")
        if not raw:
            return
        match = _API_USAGE.search(raw)
        if match:
            with self.lock:
                self.used, self.total = int(match.group(1)), int(match.group(2))


class HubSpotBudget(Budget):
    """HubSpot's burst window, search limit and daily limit for one private app."""

    def __init__(
        self,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        clock: Clock = system_clock,
        *,
        burst_limit: int = 100,
        burst_window_s: float = 10.0,
        burst_reserve: int = 1,
        search_per_second: int = 4,
        daily_reserve_fraction: float = 0.05,
    ) -> None:
        super().__init__(sleep, monotonic)
        self._clock = clock
        self.burst = RollingWindow(burst_limit, burst_window_s, burst_reserve)
        # HubSpot's search changelog gives 4 requests per second per token (5 in later docs);
        # search answers carry no rate-limit headers, so only our own count can pace them.
        self.search = RollingWindow(search_per_second, 1.0)
        self.daily_reserve_fraction = daily_reserve_fraction
        self.daily_max: int | None = None
        self.daily_remaining: int | None = None

    def before_call(self, kind: CallKind) -> None:
        with self.lock:
            self._pace(kind)

    def _pace(self, kind: CallKind) -> None:
        if self.daily_max is not None and self.daily_remaining is not None:
            reserve = math.ceil(self.daily_max * self.daily_reserve_fraction)
            if self.daily_remaining <= reserve:
                raise daily_limit_spent(
                    self._clock(),
                    f"{self.daily_remaining} of {self.daily_max} daily calls are left; crmsync "
                    f"stops while {self.daily_reserve_fraction:.0%} remain for other apps",
                )
        window = self._window(kind)
        delay = window.delay(self._monotonic())
        if delay > 0:
            # A small margin: our clock and the service's are not the same clock.
            self._wait(delay + 0.05, f"HubSpot {kind.value} rate window is spent")
            window.waited(self._monotonic())
        window.spend(self._monotonic())

    def observe(self, headers: Mapping[str, str], kind: CallKind) -> None:
        with self.lock:
            self._window(kind).land(self._monotonic())
            self._learn(headers, kind)

    def abandon(self, kind: CallKind) -> None:
        with self.lock:
            self._window(kind).land(self._monotonic())

    def _window(self, kind: CallKind) -> RollingWindow:
        return self.search if kind is CallKind.SEARCH else self.burst

    def _learn(self, headers: Mapping[str, str], kind: CallKind) -> None:
        limit = _int(header(headers, "X-HubSpot-RateLimit-Max"))
        interval_ms = _int(header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds"))
        if limit and interval_ms:
            self.burst.reshape(limit, interval_ms / 1000)
        remaining = _int(header(headers, "X-HubSpot-RateLimit-Remaining"))
        if remaining is not None and kind is not CallKind.SEARCH:
            self.burst.sync(remaining, self._monotonic())
        daily = _int(header(headers, "X-HubSpot-RateLimit-Daily"))
        daily_remaining = _int(header(headers, "X-HubSpot-RateLimit-Daily-Remaining"))
        if daily is not None:
            self.daily_max = daily
        if daily_remaining is not None:
            self.daily_remaining = daily_remaining


def daily_limit_spent(now: datetime, detail: str) -> LimitExhausted:
    """``LimitExhausted`` for HubSpot's daily limit, saying when the run can resume.

    The limit resets at midnight in the account's time zone, which the API does not report;
    the estimate given is midnight UTC, and the message says so.
    """
    now = now.astimezone(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    wait_s = (midnight - now).total_seconds()
    return LimitExhausted(
        "hubspot",
        f"the daily API limit is spent ({detail}). It resets at midnight in the HubSpot "
        f"account's time zone; at midnight UTC that is in {wait_s / 3600:.1f} h. Run again then.",
        resume_after_s=wait_s,
    )
