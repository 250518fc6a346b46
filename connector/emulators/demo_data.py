"""The demo data set's public face: ``--seed demo`` and ``--seed empty`` payloads, and seed files.

The generator lives in ``connector.emulators.demo``; this module is the one name callers import.
"""

from connector.emulators.demo import (
    KEY_PREFIXES,
    PROBLEM_KINDS,
    DemoSeed,
    case_safe_id,
    demo_seed,
    empty_seed,
    is_case_safe_id,
    load_seed_file,
)

__all__ = [
    "KEY_PREFIXES",
    "PROBLEM_KINDS",
    "DemoSeed",
    "case_safe_id",
    "demo_seed",
    "empty_seed",
    "is_case_safe_id",
    "load_seed_file",
]
