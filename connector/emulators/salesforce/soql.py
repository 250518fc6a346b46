"""SOQL for the Salesforce emulator: parse a query, check it against a schema, run it over records.

The language is the part of SOQL a sync issues (see ``soql_parser``); anything else is refused
with the error code and message Salesforce would answer. Use::

    query = parse(text)                      # SoqlError(MALFORMED_QUERY) on bad syntax
    records = run(query, schema, rows, now=clock.now())   # REST-shaped records
    total = run_count(query, schema, rows)   # the answer of SELECT COUNT() (run returns [])

``SoqlError.code`` is the errorCode and ``SoqlError.message`` the message of the REST error body.
"""

from __future__ import annotations

from connector.emulators.salesforce.soql_ast import Query
from connector.emulators.salesforce.soql_eval import (
    MAX_OFFSET,
    ListsFields,
    NamesObjects,
    Selection,
    SoqlSchema,
    run,
    run_count,
    select,
)
from connector.emulators.salesforce.soql_lexer import SoqlError
from connector.emulators.salesforce.soql_parser import parse

__all__ = [
    "MAX_OFFSET",
    "ListsFields",
    "NamesObjects",
    "Query",
    "Selection",
    "SoqlError",
    "SoqlSchema",
    "parse",
    "run",
    "run_count",
    "select",
]
