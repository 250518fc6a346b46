"""The test PostgreSQL: its URL, or a skip on a developer's machine without one, never in CI."""

from __future__ import annotations

import os

import pytest

PG_ENV = "CRMSYNC_TEST_PG_URL"


def pg_url() -> str:
    """``CRMSYNC_TEST_PG_URL``; without it a developer's run skips, while CI (``CI`` set) fails.

    CI always starts a server (tests/contract/start_postgres.sh), so a missing URL there means the
    PostgreSQL half of a suite would silently not run: that must be a failure, not a skip.
    """
    url = os.environ.get(PG_ENV)
    if url:
        return url
    message = f"{PG_ENV} is not set (tests/contract/start_postgres.sh prints one)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must run the PostgreSQL half of every suite")
    pytest.skip(message)
