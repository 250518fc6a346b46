"""The schema version: bringing a state database to the newest Alembic revision.

Run on every ``StateStore.open``. A database already at head costs one read. Otherwise the
upgrade runs in one transaction behind a lock (PostgreSQL: an advisory lock; SQLite: the write
lock ``BEGIN IMMEDIATE`` takes), so when two processes open a new database together one builds
the schema and the other finds it built.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from connector.errors import ConfigError
from connector.state.dialect import Target, advisory_lock, connect, readonly_options

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine, target: Target, *, attempts: int) -> None:
    """Migrate the database to head unless it is there already."""
    head = head_revision()
    options = readonly_options(engine.dialect.name)
    with connect(engine, attempts=attempts, options=options) as conn:
        current = current_revision(conn)
        conn.rollback()
    if current == head:
        return
    with connect(engine, attempts=attempts) as conn, conn.begin():
        advisory_lock(conn, "crmsync.migrations")
        try:
            command.upgrade(alembic_config(conn), "head")
        except CommandError as error:
            # A revision we do not know: the database was upgraded by a newer crmsync.
            raise ConfigError(
                target.where,
                f"the state database's schema is newer than this crmsync knows "
                f"(latest known revision {head}): {error}; upgrade crmsync",
            ) from None
