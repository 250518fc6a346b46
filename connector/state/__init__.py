"""The state store: what crmsync remembers between runs, on SQLite or PostgreSQL.

Open it with ``StateStore.open(url)`` and work inside ``store.transaction()``; everything else
here is the vocabulary its methods take and answer.
"""

from connector.state.audit import AuditEntry, AuditOutcome
from connector.state.cursors import CursorState
from connector.state.dead_letters import DeadLetter, DeadLetterStatus, NewDeadLetter
from connector.state.leases import Lease
from connector.state.links import Link, LinkChange, LinkConflict, NewLink, normalise_match_key
from connector.state.runs import Counts, Run, RunKind, RunOutcome
from connector.state.snapshots import NewSnapshot, Snapshot
from connector.state.store import DEFAULT_URL, StateStore, StateTx

__all__ = [
    "DEFAULT_URL",
    "AuditEntry",
    "AuditOutcome",
    "Counts",
    "CursorState",
    "DeadLetter",
    "DeadLetterStatus",
    "Lease",
    "Link",
    "LinkChange",
    "LinkConflict",
    "NewDeadLetter",
    "NewLink",
    "NewSnapshot",
    "Run",
    "RunKind",
    "RunOutcome",
    "Snapshot",
    "StateStore",
    "StateTx",
    "normalise_match_key",
]
