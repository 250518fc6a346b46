"""The one clock every computed date comes from.

``CRMSYNC_NOW`` (ISO 8601) pins it, so a test or a replay of a past day sees the same dates as
production would have. Engine code takes a ``Clock`` as a parameter rather than calling this
module, so tests can hand in a fixed clock without touching the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

ENV_VAR = "CRMSYNC_NOW"


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def system_clock() -> datetime:
    """Now, in UTC, unless ``CRMSYNC_NOW`` says otherwise (read each call, so it can move)."""
    pinned = os.environ.get(ENV_VAR)
    if pinned:
        return parse_instant(pinned)
    return datetime.now(UTC)


def fixed_clock(instant: datetime) -> Clock:
    """A clock that always answers ``instant``."""
    return lambda: instant
