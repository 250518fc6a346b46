"""The org's daily API request allocation, spent one call at a time over a rolling 24 hours.

Every authenticated call under ``/services/data`` counts, and every answer says how much is
spent in ``Sforce-Limit-Info: api-usage=used/max``. When the allocation is gone the org
refuses calls with 403 ``REQUEST_LIMIT_EXCEEDED`` until old calls age out of the window.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

DEFAULT_DAILY_REQUESTS = 100_000
_WINDOW = timedelta(hours=24)
_BUCKET_SECONDS = 60


class ApiAllocation:
    """Calls made in the last 24 hours, counted in one-minute buckets."""

    def __init__(self, daily_max: int = DEFAULT_DAILY_REQUESTS) -> None:
        self.daily_max = daily_max
        self._buckets: deque[tuple[int, int]] = deque()
        self._used = 0

    def _expire(self, now: datetime) -> int:
        minute = int(now.timestamp()) // _BUCKET_SECONDS
        oldest = minute - int(_WINDOW.total_seconds()) // _BUCKET_SECONDS
        while self._buckets and self._buckets[0][0] <= oldest:
            self._used -= self._buckets.popleft()[1]
        return minute

    def used(self, now: datetime) -> int:
        self._expire(now)
        return self._used

    def remaining(self, now: datetime) -> int:
        return max(self.daily_max - self.used(now), 0)

    def spend(self, now: datetime) -> bool:
        """Count one call; ``False`` (and nothing counted) when the allocation is spent."""
        minute = self._expire(now)
        if self._used >= self.daily_max:
            return False
        if self._buckets and self._buckets[-1][0] == minute:
            self._buckets[-1] = (minute, self._buckets[-1][1] + 1)
        else:
            self._buckets.append((minute, 1))
        self._used += 1
        return True

    def header(self, now: datetime) -> str:
        return f"api-usage={self.used(now)}/{self.daily_max}"

    def reset(self, daily_max: int | None = None) -> None:
        if daily_max is not None:
            self.daily_max = daily_max
        self._buckets.clear()
        self._used = 0
