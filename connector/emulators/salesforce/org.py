"""One emulated org: its schema, records, sessions, API allocation, cursors and bulk jobs.

``reset`` replaces the whole org with a fresh one holding only the integration user, so no
state can leak from one test to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from connector.emulators.salesforce.auth import USERNAME, Sessions
from connector.emulators.salesforce.bulk import BulkJobs
from connector.emulators.salesforce.default_schema import default_schema
from connector.emulators.salesforce.dml import Dml, RowLocks, Transaction
from connector.emulators.salesforce.limits import ApiAllocation
from connector.emulators.salesforce.queries import QueryCursors
from connector.emulators.salesforce.store import RecordStore


class Org:
    """Everything one emulated Salesforce org holds."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.schema = default_schema()
        self.store = RecordStore(self.schema, now)
        self.locks = RowLocks()
        self.dml = Dml(self.store, self.locks)
        self.sessions = Sessions()
        self.allocation = ApiAllocation()
        self.cursors = QueryCursors()
        self.jobs = BulkJobs()
        self.api_user_id = self._create_api_user()

    def _create_api_user(self) -> str:
        user = self.schema.objects["user"]
        row = self.store.tables["user"].blank()
        user_id = self.store.new_id(user)
        stamp = self.store.stamp()
        row.update(
            Id=user_id,
            Username=USERNAME,
            Email=USERNAME,
            FirstName="Integration",
            LastName="User",
            Name="Integration User",
            IsActive=True,
            CreatedDate=stamp,
            CreatedById=user_id,
            LastModifiedDate=stamp,
            LastModifiedById=user_id,
            SystemModstamp=stamp,
        )
        self.store.insert("User", row)
        self.store.api_user_id = user_id
        return user_id

    def transaction(self) -> Transaction:
        return Transaction()
