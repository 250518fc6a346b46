"""Alembic environment of the state store.

``StateStore.open`` runs it programmatically, handing over a connection already inside the
transaction (and lock) the upgrade runs in. Run by hand (``alembic -c
connector/migrations/alembic.ini ...``) it connects to ``CRMSYNC_STATE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from connector.state.dialect import DEFAULT_BUSY_TIMEOUT_S, create_engine, parse_url
from connector.state.tables import metadata

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode writes migrations that way.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def url_from_environment() -> str:
    return os.environ.get("CRMSYNC_STATE_URL") or config.get_main_option(
        "sqlalchemy.url", "sqlite:///crmsync.db"
    )


if context.is_offline_mode():
    context.configure(
        url=url_from_environment(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        run_with(given)
    else:
        engine = create_engine(
            parse_url(url_from_environment()), busy_timeout_s=DEFAULT_BUSY_TIMEOUT_S
        )
        try:
            with engine.connect() as connection:
                run_with(connection)
                connection.commit()
        finally:
            engine.dispose()
