"""The demo data set and seed files behind ``crmsync emulate --seed demo|empty|FILE``."""

from connector.emulators.demo.problems import PROBLEM_KINDS
from connector.emulators.demo.salesforce_ids import (
    KEY_PREFIXES,
    SalesforceIds,
    case_safe_id,
    is_case_safe_id,
    object_of,
)
from connector.emulators.demo.seed import DemoSeed, demo_seed, empty_seed
from connector.emulators.demo.seed_file import load_seed_file

__all__ = [
    "KEY_PREFIXES",
    "PROBLEM_KINDS",
    "DemoSeed",
    "SalesforceIds",
    "case_safe_id",
    "demo_seed",
    "empty_seed",
    "is_case_safe_id",
    "load_seed_file",
    "object_of",
]
