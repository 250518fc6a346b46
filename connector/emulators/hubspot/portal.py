"""The emulated portal: its schema, records, owners, links, settings and clock, in one place.

Every route module works on one ``Portal``; the service owns it and resets it. A re-entrant
lock guards it because admin calls (seeding from a test thread) and API calls (the server's
event loop) may arrive together.
"""

from __future__ import annotations

import threading
from typing import Any

from connector.emulators.hubspot.associations import LinkStore
from connector.emulators.hubspot.errors import HubSpotError, error_body
from connector.emulators.hubspot.owners import OwnerStore
from connector.emulators.hubspot.ratelimit import RateLimiter
from connector.emulators.hubspot.schema import (
    OBJECT_TYPES,
    ObjectType,
    PropertyDef,
    default_properties,
)
from connector.emulators.hubspot.settings import Settings
from connector.emulators.hubspot.store import IdSequence, ObjectStore
from connector.emulators.hubspot.values import format_instant, to_ms
from connector.emulators.server import EmulatorClock

# Path spellings HubSpot accepts for an object type: plural, singular, and the type id.
_TYPE_ALIASES: dict[str, ObjectType] = {
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
}


class Portal:
    """All state of one emulated HubSpot account."""

    def __init__(self, clock: EmulatorClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.settings = Settings()
        self.limiter = RateLimiter(
            self.settings.burst_limit,
            self.settings.daily_limit,
            self.settings.search_per_second,
        )
        self.tokens: dict[str, int | None] = {}
        self.schema: dict[ObjectType, dict[str, PropertyDef]] = {}
        self.ids = IdSequence()
        self.stores: dict[ObjectType, ObjectStore] = {}
        self.owners = OwnerStore()
        self.links = LinkStore()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.settings = Settings()
            self.limiter = RateLimiter(
                self.settings.burst_limit,
                self.settings.daily_limit,
                self.settings.search_per_second,
            )
            # Private-app tokens; the value is an expiry (epoch ms) or None for never.
            self.tokens = {"emulator-hubspot-token": None}
            self.schema = default_properties()
            self.ids = IdSequence()
            self.stores = {
                object_type: ObjectStore(object_type, self.schema[object_type], self.ids)
                for object_type in OBJECT_TYPES
            }
            self.owners = OwnerStore()
            self.links = LinkStore()

    def apply_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.settings.update(raw)
            self.limiter.burst_limit = self.settings.burst_limit
            self.limiter.daily_limit = self.settings.daily_limit
            self.limiter.search_per_second = self.settings.search_per_second
            for store in self.stores.values():
                store.lag_ms = self.settings.search_lag_ms
            return self.settings.to_json()

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def now_text(self) -> str:
        return format_instant(self.now_ms())

    def store(self, raw_type: str) -> ObjectStore:
        """The store named in a path, or HubSpot's 400 for a type it cannot infer."""
        return self.stores[self.object_type(raw_type)]

    def object_type(self, raw_type: str) -> ObjectType:
        found = _TYPE_ALIASES.get(raw_type.lower())
        if found is None:
            raise HubSpotError(
                400, error_body(f"Unable to infer object type from: {raw_type}", "VALIDATION_ERROR")
            )
        return found

    def record_url(self, object_type_id: str, record_id: int) -> str:
        return (
            f"https://app.hubspot.com/contacts/{self.settings.portal_id}"
            f"/record/{object_type_id}/{record_id}"
        )
