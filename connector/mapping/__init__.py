"""Mapping files: a pipeline's field rows and sync rules, compiled once into a ``FieldMap``.

``mappings/<pipeline>.toml`` names, row by row, a Salesforce field, a HubSpot property, a sync
rule (the names admins know from HubSpot's own integration) and the transforms between them.
:func:`compile_mapping` checks the whole file and turns every transform name into a function,
so a mistake fails in ``crmsync validate`` with file, line and key, never mid-sync.

At sync time a row compares both sides in one form (``comparable``), and :func:`decide` says,
from the row's rule, the last-synced snapshot and each side's modification time, which side
wins and which side must be written.
"""

from connector.mapping.compiler import (
    HUBSPOT_READ_ONLY,
    SALESFORCE_READ_ONLY,
    SUPPORTED_VERSION,
    compile_mapping,
    read_only_reason,
)
from connector.mapping.field_map import FieldMap, SalesforceStage
from connector.mapping.rows import FieldRow, Identity, Resolution
from connector.mapping.rules import NO_SNAPSHOT, Decision, NoSnapshot, Snapshot, SyncRule, decide

__all__ = [
    "HUBSPOT_READ_ONLY",
    "NO_SNAPSHOT",
    "SALESFORCE_READ_ONLY",
    "SUPPORTED_VERSION",
    "Decision",
    "FieldMap",
    "FieldRow",
    "Identity",
    "NoSnapshot",
    "Resolution",
    "SalesforceStage",
    "Snapshot",
    "SyncRule",
    "compile_mapping",
    "decide",
    "read_only_reason",
]
