"""Adapters for the two systems behind one CrmSystem protocol."""
