"""Everything that differs between SQLite and PostgreSQL, and nothing else.

The rest of the store speaks portable SQLAlchemy Core. Here live: how an engine is built
(WAL, busy timeout and foreign keys on SQLite; pre-ping and connect retries on PostgreSQL),
how a transaction begins, how timestamps and JSON are stored, the upsert statement, the
advisory locks, and how a driver's error becomes one of crmsync's.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tenacity
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.pool import StaticPool

from connector.errors import ConfigError, CredentialsRefused, CrmsyncError, SystemUnreachable

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# Execution option read by the SQLite "begin" hook: how the transaction starts.
BEGIN_MODE = "crmsync_sqlite_begin"
DEFAULT_BUSY_TIMEOUT_S = 15.0
DEFAULT_CONNECT_ATTEMPTS = 3


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime in, an aware UTC datetime out, on both dialects.

    PostgreSQL stores ``timestamptz`` and answers in the session's time zone, so values are
    converted back to UTC. SQLite has no time zone type: values are stored as naive UTC text in
    SQLAlchemy's fixed-width format, which also makes SQL comparisons between them correct.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the state store takes aware datetimes only, got naive {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == SQLITE else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# PostgreSQL's JSONB cannot hold U+0000, which both CRMs store inside text values. Such a
# string is kept as {NUL_KEY: [pieces]} and joined again on the way out, so a NUL survives the
# round trip instead of failing the whole commit.
NUL_KEY = "__crmsync_nul_split__"


def _hide_nul(value: Any) -> Any:
    if isinstance(value, str):
        return {NUL_KEY: value.split("\x00")} if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _hide_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide_nul(v) for v in value]
    return value


def _show_nul(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and NUL_KEY in value and isinstance(value[NUL_KEY], list):
            return "\x00".join(value[NUL_KEY])
        return {k: _show_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_show_nul(v) for v in value]
    return value


class _NulSafeJsonb(sa.types.TypeDecorator[Any]):
    """JSONB that carries NUL characters inside strings."""

    impl = postgresql.JSONB
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _hide_nul(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return _show_nul(value)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL (indexable, compact, compared by value)."""
    return sa.JSON().with_variant(_NulSafeJsonb(), POSTGRESQL)


def id_type() -> sa.types.TypeEngine[int]:
    """A 64-bit surrogate key; SQLite only auto-numbers a column declared ``INTEGER``."""
    return sa.BigInteger().with_variant(sa.Integer(), SQLITE)


@dataclass(frozen=True)
class Target:
    """A parsed state URL: what to connect to and how to name it in messages."""

    url: URL
    display: str
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == SQLITE

    @property
    def password(self) -> str | None:
        return self.url.password if isinstance(self.url.password, str) else None

    @property
    def where(self) -> str:
        """The file for SQLite, the masked URL for PostgreSQL: what a message should name."""
        return str(self.sqlite_path) if self.sqlite_path else self.display


def parse_url(text: str) -> Target:
    """Check a state URL; ``postgresql://`` is taken to mean the psycopg 3 driver."""
    try:
        url = sa.make_url(text)
    except (exc.ArgumentError, ValueError):
        # The text is not echoed: it may carry a password we could not find to mask.
        raise ConfigError(
            "state database",
            "the URL is not a database URL "
            "(expected sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB)",
        ) from None
    display = url.render_as_string(hide_password=True)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigError(
            "state database",
            f"{display}: unsupported database driver {url.drivername!r} "
            "(use sqlite:///PATH or postgresql+psycopg://...)",
        )
    path: Path | None = None
    if url.get_backend_name() == SQLITE and url.database and url.database != ":memory:":
        path = Path(url.database.removeprefix("file:")).expanduser()
    return Target(url=url, display=display, sqlite_path=path)


def create_engine(target: Target, *, busy_timeout_s: float) -> Engine:
    """An engine with the connection settings each dialect needs."""
    if target.is_sqlite:
        return _sqlite_engine(target, busy_timeout_s)
    connect_args: dict[str, Any] = {"application_name": "crmsync"}
    if "connect_timeout" not in target.url.query:
        # libpq waits forever on a host that drops packets; a daemon must fail and say so.
        connect_args["connect_timeout"] = 10
    return sa.create_engine(target.url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(target: Target, busy_timeout_s: float) -> Engine:
    if target.sqlite_path is None:
        # One in-memory database only lives as long as its one connection: share it.
        engine = sa.create_engine(
            target.url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(
            target.url,
            # The pool hands a connection to one thread at a time; pysqlite's own check would
            # refuse a connection checked out again by another thread.
            connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
        )
    file_backed = target.sqlite_path is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # pysqlite opens transactions behind our back and not before a SELECT; take that job
        # over so every transaction starts with an explicit BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if file_backed:
                # WAL lets readers go on while one process writes; NORMAL is durable against
                # a killed process, which is what the cursor rules need.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN: a second writer waits out the busy timeout
        # there, instead of failing when a read transaction tries to become a write.
        mode = conn.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def readonly_options(dialect_name: str) -> dict[str, Any]:
    """Execution options for a connection that will only read."""
    return {BEGIN_MODE: "DEFERRED"} if dialect_name == SQLITE else {}


def start_readonly(conn: Connection) -> None:
    """Make the transaction just begun refuse writes where the database can enforce it."""
    if conn.dialect.name == POSTGRESQL:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(conn: Connection, name: str) -> None:
    """Serialise transactions on ``name`` until this one ends.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite needs nothing: every write
    transaction already holds the database's single write lock from its BEGIN IMMEDIATE.
    """
    if conn.dialect.name == POSTGRESQL:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(name))))


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str] | Mapping[str, Any] = (),
    index_where: sa.ColumnElement[bool] | sa.TextClause | None = None,
    where: Callable[[Any], sa.ColumnElement[bool]] | None = None,
    returning: Sequence[sa.Column[Any]] = (),
) -> sa.CursorResult[Any]:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` (or ``DO NOTHING`` with no ``update``).

    With no ``keys``, ``DO NOTHING`` covers a conflict on any unique constraint.
    ``update`` names columns taken from the new row, or maps columns to expressions, which may
    use the new row through the ``excluded`` argument of a callable value. ``where`` (given
    ``excluded``) makes the update conditional. Several rows run as one executemany.
    """
    insert = postgresql.insert(table) if conn.dialect.name == POSTGRESQL else sqlite.insert(table)
    excluded = insert.excluded
    if isinstance(update, Mapping):
        set_ = {
            k: v if isinstance(v, sa.ClauseElement) or not callable(v) else v(excluded)
            for k, v in update.items()
        }
    else:
        set_ = {name: excluded[name] for name in update}
    stmt: Any
    if set_:
        stmt = insert.on_conflict_do_update(
            index_elements=list(keys),
            index_where=index_where,
            set_=set_,
            where=where(excluded) if where else None,
        )
    else:
        stmt = insert.on_conflict_do_nothing(
            index_elements=list(keys) or None, index_where=index_where
        )
    if returning:
        stmt = stmt.returning(*returning)
    if len(rows) == 1:
        return conn.execute(stmt, dict(rows[0]))
    return conn.execute(stmt, [dict(r) for r in rows])


def _is_disconnect(error: BaseException) -> bool:
    """A PostgreSQL failure to reach the server, worth trying again."""
    if not isinstance(error, exc.DBAPIError):
        return False
    if _auth_refused(error):
        return False
    return error.connection_invalidated or isinstance(
        error, exc.OperationalError | exc.InterfaceError
    )


def _auth_refused(error: exc.DBAPIError) -> bool:
    text = str(error.orig).lower()
    return "authentication failed" in text or "no password supplied" in text


def connect(
    engine: Engine,
    *,
    attempts: int,
    options: Mapping[str, Any] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Connection:
    """Check out a connection; on PostgreSQL a dropped network is tried ``attempts`` times.

    SQLite errors are never retried: a locked file has already waited out its busy timeout,
    and a read-only one will not change its mind.
    """

    def attempt() -> Connection:
        conn = engine.connect()
        if options:
            conn = conn.execution_options(**options)
        return conn

    if engine.dialect.name != POSTGRESQL or attempts <= 1:
        return attempt()
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=0.2, max=2.0),
        retry=tenacity.retry_if_exception(_is_disconnect),
        sleep=sleep or tenacity.nap.sleep,
        reraise=True,
    )
    return retrying(attempt)


def translate(error: exc.DBAPIError, target: Target) -> CrmsyncError | None:
    """The crmsync error a driver error means to the user, or None when it is a bug of ours.

    Every message names the database (the file, or the URL with its password masked) and
    carries only the first line of the driver's text, which never holds the password.
    """
    reason = _first_line(error.orig)
    if target.password:
        reason = reason.replace(target.password, "***")
    if target.is_sqlite:
        # sqlite3 words these conditions in its messages; constraint failures match none.
        lowered = reason.lower()
        if "locked" in lowered or "busy" in lowered:
            return SystemUnreachable(
                f"state database {target.where} is locked by another process "
                f"and stayed locked past the busy timeout ({reason})"
            )
        if "readonly" in lowered or "read-only" in lowered:
            return ConfigError(
                target.where, f"the state database is read-only ({reason}); check its permissions"
            )
        if "unable to open" in lowered or "not a database" in lowered or "disk i/o" in lowered:
            return ConfigError(target.where, f"cannot open the state database ({reason})")
        return None
    if _auth_refused(error):
        return CredentialsRefused(f"state database {target.display} refused the login ({reason})")
    if _is_disconnect(error):
        return SystemUnreachable(f"state database {target.display} cannot be reached ({reason})")
    return None


def _first_line(error: BaseException | None) -> str:
    text = str(error) if error is not None else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
