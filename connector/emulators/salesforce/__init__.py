"""An emulator of the Salesforce REST API (sObjects, SOQL, collections, Bulk 2.0, OAuth, SOAP).

Driven by the unmodified simple-salesforce over loopback HTTPS; answers with the real paths,
shapes, status codes, error bodies and limits. ``SalesforceService`` plugs into
``connector.emulators.server.EmulatorServer``.
"""

from connector.emulators.salesforce.auth import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    USERNAME,
)
from connector.emulators.salesforce.service import SalesforceService

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "PASSWORD",
    "SECURITY_TOKEN",
    "USERNAME",
    "SalesforceService",
]
