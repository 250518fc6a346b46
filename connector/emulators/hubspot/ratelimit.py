"""Rate limits as a private app meets them: a rolling 10-second burst, search per second, daily.

Numbers and shapes from HubSpot's "API usage guidelines": private apps get 100 (Free,
Starter) or 190 (Professional, Enterprise) requests per rolling 10 seconds and 250k, 625k or
1M requests a day; search endpoints have their own limit of five requests per second (the
current search guide and the 2024 limits changelog; the 2020 changelog said four). Answers
carry ``X-HubSpot-RateLimit-*`` headers: ``-Daily``/``-Daily-Remaining`` (private apps only;
the recorded OAuth calls have none), ``-Interval-Milliseconds`` (10000), ``-Max``,
``-Remaining``, ``-Secondly`` and ``-Secondly-Remaining`` (the recordings show ``-Max: 110``
with ``-Secondly: 11``, a tenth of the burst). Search answers carry none of them: the recorded
``search-companies`` answer has ``x-hubspot-correlation-id`` but no rate-limit header.

Time is the emulator clock's, so a test advances it instead of sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from connector.emulators.hubspot.values import DAY_MS

BURST_WINDOW_MS = 10_000
SECOND_MS = 1_000


@dataclass(frozen=True)
class Admission:
    """Whether a request may proceed, and the headers its answer carries."""

    allowed: bool
    policy: str | None
    headers: dict[str, str]


class RateLimiter:
    """Counts requests per rolling window; a refused request is not counted."""

    def __init__(self, burst_limit: int, daily_limit: int, search_per_second: int) -> None:
        self.burst_limit = burst_limit
        self.daily_limit = daily_limit
        self.search_per_second = search_per_second
        self._burst: deque[int] = deque()
        self._search: deque[int] = deque()
        self._day = -1
        self._daily_used = 0

    def reset(self) -> None:
        self._burst.clear()
        self._search.clear()
        self._day = -1
        self._daily_used = 0

    def admit(self, now_ms: int, is_search: bool) -> Admission:
        self._roll(now_ms)
        if self._daily_used >= self.daily_limit:
            return Admission(False, "DAILY", {} if is_search else self._headers(now_ms))
        if is_search:
            if len(self._search) >= self.search_per_second:
                return Admission(False, "SECONDLY", {})
            self._search.append(now_ms)
            self._daily_used += 1
            return Admission(True, None, {})
        if len(self._burst) >= self.burst_limit:
            return Admission(False, "TEN_SECONDLY_ROLLING", self._headers(now_ms))
        self._burst.append(now_ms)
        self._daily_used += 1
        return Admission(True, None, self._headers(now_ms))

    def _roll(self, now_ms: int) -> None:
        day = now_ms // DAY_MS
        if day != self._day:
            # The daily allowance starts afresh at midnight (UTC here; the portal's time zone
            # on a real account).
            self._day = day
            self._daily_used = 0
        while self._burst and self._burst[0] <= now_ms - BURST_WINDOW_MS:
            self._burst.popleft()
        while self._search and self._search[0] <= now_ms - SECOND_MS:
            self._search.popleft()

    def _headers(self, now_ms: int) -> dict[str, str]:
        secondly = max(self.burst_limit // 10, 1)
        last_second = sum(1 for at in self._burst if at > now_ms - SECOND_MS)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(self.daily_limit - self._daily_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(BURST_WINDOW_MS),
            "X-HubSpot-RateLimit-Max": str(self.burst_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(self.burst_limit - len(self._burst), 0)),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(secondly - last_second, 0)),
        }
