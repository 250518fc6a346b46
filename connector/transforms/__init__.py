"""Named value transforms: the small pure functions a mapping row chains between two systems.

A mapping file names transforms as text (``"trim"``, ``"value_map:deal_stages"``,
``"datetime:Europe/Paris"``); :func:`compile_transform` turns one name into a function for one
direction, so that a misspelt name fails when the file is validated, never mid-sync. Every
transform takes the value and a :class:`TransformContext` (owner matching, default time zone)
and returns a new value; none of them mutate or do I/O.

A value a transform cannot convert is the record's problem, not the file's: it raises a
:class:`ValueRejected` (a ``RecordRejected``), so the record goes to dead letters with the
value named and the rest of the batch goes on.
"""

from connector.transforms.context import Transform, TransformContext, ValueMaps
from connector.transforms.registry import (
    REGISTRY,
    TransformDef,
    chain,
    compile_transform,
    known_transforms,
    translates,
)
from connector.transforms.rejections import (
    OwnerNotMatched,
    TransformSpecError,
    UnmappedValue,
    ValueRejected,
)
from connector.transforms.values import (
    Comparable,
    comparable,
    hubspot_wire,
    is_blank,
    number_text,
    salesforce_wire,
)

__all__ = [
    "REGISTRY",
    "Comparable",
    "OwnerNotMatched",
    "Transform",
    "TransformContext",
    "TransformDef",
    "TransformSpecError",
    "UnmappedValue",
    "ValueMaps",
    "ValueRejected",
    "chain",
    "comparable",
    "compile_transform",
    "hubspot_wire",
    "is_blank",
    "known_transforms",
    "number_text",
    "salesforce_wire",
    "translates",
]
