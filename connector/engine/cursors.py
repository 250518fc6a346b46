"""Where an incremental read stands: past records skipped, the cursor moved over a chunk.

Both systems give equal modification times to different records (Salesforce stamps whole
seconds), so a read is inclusive of the cursor's instant and the cursor remembers which
*versions* it processed at that instant: an id and a digest of the values read. Only that very
version is skipped; an edit made within the same second, or a value put back, is read again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence

from connector.engine.jsonsafe import json_safe
from connector.model import Cursor, Record


def after_cursor(records: Iterable[Record], cursor: Cursor) -> Iterator[Record]:
    """Skip what the cursor already covers: records at its instant in the version it has seen."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            continue
        seen.add(record.id)
        if (
            cursor.position is not None
            and record.modified_at is not None
            and record.modified_at <= cursor.position
            and (record.modified_at < cursor.position or seen_token(record) in cursor.seen_ids)
        ):
            continue
        yield record


def advance(cursor: Cursor, chunk: Sequence[Record]) -> Cursor:
    """The cursor after ``chunk``: the newest time read, and what was read at that time."""
    position = cursor.position
    # Fix: only the version processed last is the one to skip. Keeping every version seen at
    # this instant skipped a value put back within the same second after crmsync had synced
    # another one (A, then B, then A again: A read as done). One token per id, kept in a dict
    # so that thousands of records sharing one stamp cost linear time.
    # (tests/e2e/sync/test_incremental.py::
    # test_a_value_put_back_in_the_same_second_after_a_sync_syncs)
    latest = {token.partition(":")[0]: token for token in cursor.seen_ids}
    for record in chunk:
        if record.modified_at is None:
            continue
        if position is None or record.modified_at > position:
            position = record.modified_at
            latest = {record.id: seen_token(record)}
        elif record.modified_at == position:
            latest[record.id] = seen_token(record)
    return Cursor(position=position, seen_ids=frozenset(latest.values()))


def seen_token(record: Record) -> str:
    """A record's id and a digest of the values read, for the cursor's instant.

    Fix: the cursor used to remember only the ids read at its instant, so an edit made within
    that same instant (Salesforce stamps whole seconds: an edit in the second after crmsync read
    or wrote the record) was taken for the version already processed and never synced. With the
    values in the token, only the very version processed is skipped. (Shown by
    tests/e2e/sync/test_incremental.py::test_an_edit_in_the_same_second_as_the_last_read_syncs.)
    """
    body = json.dumps(json_safe(dict(record.fields)), sort_keys=True, separators=(",", ":"))
    return f"{record.id}:{hashlib.sha256(body.encode()).hexdigest()[:16]}"
