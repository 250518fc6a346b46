"""The shared lead-status taxonomy: canonical stages, dispositions, moves and recycle dates.

``load_taxonomy(path)`` reads ``mappings/taxonomy.toml`` into a frozen :class:`Taxonomy` that
reads each system's values as a stage (``stage_from_salesforce``, ``stage_from_hubspot``),
writes a stage back (``salesforce_values``, ``hubspot_values``), says who may move what
(``allowed``) and when a disqualified record is recycled (``recycle_date``).
"""

from connector.taxonomy.compiled import (
    HubSpotStageFields,
    Outcome,
    SalesforceStageFields,
    StageValues,
    Taxonomy,
)
from connector.taxonomy.loader import load_taxonomy
from connector.taxonomy.moves import MoveRule, is_backwards
from connector.taxonomy.reasons import ContractEndMissing, Reason
from connector.taxonomy.stages import (
    FUNNEL,
    Actor,
    Mapped,
    Stage,
    StageReading,
    Unmapped,
)

__all__ = [
    "FUNNEL",
    "Actor",
    "ContractEndMissing",
    "HubSpotStageFields",
    "Mapped",
    "MoveRule",
    "Outcome",
    "Reason",
    "SalesforceStageFields",
    "Stage",
    "StageReading",
    "StageValues",
    "Taxonomy",
    "Unmapped",
    "is_backwards",
    "load_taxonomy",
]
