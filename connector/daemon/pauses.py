"""Pauses: a system whose API allocation is spent is left alone until the time it named.

Every pipeline reads and writes both systems, so a pause of either holds back every pipeline;
the pause is still kept per system, so the log and ``/healthz`` say which one is spent.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from connector.errors import LimitExhausted

# Salesforce's allocation is counted over a rolling 24 hours and names no reset time: try again
# after this long (a spent allocation costs one refused call per try).
DEFAULT_PAUSE = timedelta(minutes=15)


class Pauses:
    """Until when each system is paused."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def pause_for(self, error: LimitExhausted, now: datetime) -> datetime:
        """Pause the system ``error`` names for as long as it asked; answer until when."""
        wait = (
            timedelta(seconds=error.resume_after_s)
            if error.resume_after_s is not None
            else DEFAULT_PAUSE
        )
        until = now + wait
        with self._lock:
            self._until[error.system] = max(until, self._until.get(error.system, until))
            return self._until[error.system]

    def active(self, now: datetime) -> tuple[str, datetime] | None:
        """The system paused longest from ``now``, with its end; None when none is paused."""
        with self._lock:
            for system, until in list(self._until.items()):
                if until <= now:
                    del self._until[system]
            if not self._until:
                return None
            system = max(self._until, key=lambda s: self._until[s])
            return system, self._until[system]
