"""The emulated portal's tunable behaviour, set through ``POST /__emulator__/settings``.

Defaults describe what a Professional portal's private app meets today: creates answer 200
(real portals do, per the recordings, although the documentation and hubspot-api-client
expect 201), 190 requests per 10 s, 625,000 a day, five searches a second, search immediately
consistent, and per-record failures of a batch reported in a 207 answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

BatchErrors = Literal["multi_status", "reject_batch"]


@dataclass
class Settings:
    """Every knob of the emulated portal."""

    create_status: int = 200
    search_lag_ms: int = 0
    burst_limit: int = 190
    daily_limit: int = 625_000
    search_per_second: int = 5
    # "reject_batch": a batch with any invalid input is refused whole, with that input's
    # error (what HubSpot/hubspot-api-python#51 reports for duplicate e-mails in batch/create).
    batch_errors: BatchErrors = "multi_status"
    portal_id: int = 48_201_337

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, raw: dict[str, Any]) -> None:
        """Apply a settings body; ``ValueError`` names a key or value it cannot take."""
        known = set(asdict(self))
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        if "create_status" in raw and raw["create_status"] not in (200, 201):
            raise ValueError("create_status must be 200 or 201")
        if "batch_errors" in raw and raw["batch_errors"] not in ("multi_status", "reject_batch"):
            raise ValueError("batch_errors must be 'multi_status' or 'reject_batch'")
        for key in ("search_lag_ms", "burst_limit", "daily_limit", "search_per_second"):
            if key in raw and (not isinstance(raw[key], int) or raw[key] < 0):
                raise ValueError(f"{key} must be a non-negative integer")
        for key, value in raw.items():
            setattr(self, key, value)
