"""Emulators of the Salesforce REST API and the HubSpot CRM API, for tests and the demo."""
