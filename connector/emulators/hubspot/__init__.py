"""An emulator of HubSpot's CRM API (objects, search, properties, owners, associations).

``HubSpotService`` is the ``EmulatedService`` the shared ``EmulatorServer`` runs; the rest of
the package holds one concept per module (schema, store, validation, rate limits, routes).
"""

from connector.emulators.hubspot.service import DEFAULT_TOKEN, HubSpotService

__all__ = ["DEFAULT_TOKEN", "HubSpotService"]
