"""Databases for the state-store contract suite: a SQLite file, and PostgreSQL when configured.

``state_url`` is parametrised over both dialects. The PostgreSQL parameter needs
``CRMSYNC_TEST_PG_URL`` (``tests/contract/start_postgres.sh`` starts a server and prints it);
without it only that parameter is skipped. Each PostgreSQL test gets a schema of its own,
dropped afterwards, and a session time zone other than UTC, so every test also checks that
timestamps come back in UTC whatever the server's session says.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from tests.postgres import PG_ENV, pg_url

PG_SESSION_TIME_ZONE = "America/New_York"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the server named by ``CRMSYNC_TEST_PG_URL``."""
    url = pg_url()
    engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql_url(pg_admin: Engine) -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema of the test database."""
    schema = f"crmsync_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    base = sa.make_url(os.environ[PG_ENV])
    url = base.update_query_dict(
        {"options": f"-csearch_path={schema} -ctimezone={PG_SESSION_TIME_ZONE}"}
    )
    yield url.render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in a directory that does not exist yet (the store creates it)."""
    return f"sqlite:///{tmp_path / 'state' / 'crmsync.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty state database on each dialect."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url
