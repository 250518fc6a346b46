"""The state store: one database (SQLite by default, PostgreSQL in production), in transactions.

Everything the connector remembers between runs goes through ``StateStore.transaction()``: one
database transaction, committed when the block ends and rolled back when it raises, so a cursor
never moves without the links and snapshots of the batch it covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType

from sqlalchemy import exc
from sqlalchemy.engine import Engine

from connector.clock import Clock, system_clock
from connector.errors import ConfigError, CrmsyncError
from connector.state.audit import AuditMixin
from connector.state.cursors import CheckpointsMixin, CursorsMixin
from connector.state.dead_letters import DeadLettersMixin
from connector.state.dialect import (
    DEFAULT_BUSY_TIMEOUT_S,
    DEFAULT_CONNECT_ATTEMPTS,
    Target,
    connect,
    create_engine,
    parse_url,
    readonly_options,
    start_readonly,
    translate,
)
from connector.state.leases import LeasesMixin
from connector.state.links import LinksMixin
from connector.state.migrate import upgrade_to_head
from connector.state.runs import RunsMixin
from connector.state.snapshots import SnapshotsMixin

DEFAULT_URL = "sqlite:///crmsync.db"


class StateTx(
    CursorsMixin,
    CheckpointsMixin,
    LinksMixin,
    SnapshotsMixin,
    RunsMixin,
    DeadLettersMixin,
    AuditMixin,
    LeasesMixin,
):
    """Everything the store holds, read and written inside one open transaction.

    Only valid inside its ``with store.transaction()`` block. Not thread-safe: one thread,
    one transaction.
    """


class StateStore:
    """A state database, migrated to the current schema, handing out transactions.

    Safe to share between threads: each transaction checks out a connection of its own.
    """

    def __init__(self, engine: Engine, target: Target, clock: Clock, connect_attempts: int):
        self._engine = engine
        self._target = target
        self._clock = clock
        self._attempts = connect_attempts

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        clock: Clock = system_clock,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS,
    ) -> StateStore:
        """Connect, and bring the schema to the newest revision if it is behind.

        Creates a SQLite file's directory. ``clock`` stamps every stored time and decides
        lease expiry. ``busy_timeout_s`` is how long SQLite waits for another process's write
        lock; ``connect_attempts`` how often a PostgreSQL connection is tried.

        Raises ``ConfigError`` for a malformed or unsupported URL, or a SQLite file that cannot
        be created, opened or written; ``SystemUnreachable`` when the database cannot be
        reached (or stays locked); ``CredentialsRefused`` when PostgreSQL refuses the login.
        Messages name the file or the URL, with its password masked.
        """
        target = parse_url(url)
        if target.sqlite_path is not None:
            try:
                target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    target.where,
                    f"cannot create the state database's directory ({error.strerror})",
                ) from None
        engine = create_engine(target, busy_timeout_s=busy_timeout_s)
        try:
            upgrade_to_head(engine, target, attempts=connect_attempts)
        except exc.DBAPIError as error:
            engine.dispose()
            raise _opening_error(error, target) from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, target, clock, connect_attempts)

    @property
    def display_url(self) -> str:
        """The URL with its password masked: what messages and ``status`` may show."""
        return self._target.display

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[StateTx]:
        """One database transaction: committed when the block ends, rolled back if it raises.

        ``readonly`` transactions do not queue for SQLite's write lock (and PostgreSQL refuses
        writes in them): use them for ``status`` and reports while a daemon writes.
        Database failures come out as ``SystemUnreachable`` or ``ConfigError`` naming the
        database; the body is not retried (a cycle converges on its next run).
        """
        options = readonly_options(self.dialect) if readonly else None
        try:
            conn = connect(self._engine, attempts=self._attempts, options=options)
        except exc.DBAPIError as error:
            raise _opening_error(error, self._target) from error
        try:
            with conn.begin():
                if readonly:
                    start_readonly(conn)
                yield StateTx(conn, self._clock)
        except exc.DBAPIError as error:
            translated = translate(error, self._target)
            if translated is None:
                raise
            raise translated from error
        finally:
            conn.close()

    def acquire_lease(self, pipeline: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew a pipeline's lease in a transaction of its own; see ``StateTx``."""
        with self.transaction() as tx:
            return tx.acquire_lease(pipeline, holder, ttl)

    def release_lease(self, pipeline: str, holder: str) -> bool:
        with self.transaction() as tx:
            return tx.release_lease(pipeline, holder)

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _opening_error(error: exc.DBAPIError, target: Target) -> CrmsyncError:
    """What a failure while connecting or migrating means; never a bare traceback."""
    translated = translate(error, target)
    if translated is not None:
        return translated
    reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
    if target.password:
        reason = reason.replace(target.password, "***")
    return ConfigError(target.where, f"cannot prepare the state database ({reason})")
