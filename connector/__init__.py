"""crmsync: one set of lead and opportunity numbers for HubSpot and Salesforce."""

__version__ = "0.1.0"
