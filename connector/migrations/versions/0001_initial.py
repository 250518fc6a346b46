"""The initial state schema: cursors, links, snapshots, runs, dead letters, audit, leases,
backfill checkpoints.

Types are spelled out here rather than imported from ``connector.state`` so this revision keeps
building the same schema whatever later code looks like. Timestamps are ``timestamptz`` on
PostgreSQL (SQLite stores them as UTC text); JSON is JSONB on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "cursors",
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("object", sa.String(), nullable=False),
        _time("position", nullable=True),
        sa.Column("seen_ids", _json(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("pipeline", "side", "object", name="pk_cursors"),
    )
    op.create_table(
        "links",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("salesforce_object", sa.String(), nullable=False),
        sa.Column("salesforce_id", sa.String(), nullable=False),
        sa.Column("hubspot_object", sa.String(), nullable=False),
        sa.Column("hubspot_id", sa.String(), nullable=False),
        sa.Column("match_key", sa.String(), nullable=True),
        sa.Column("previous_salesforce_object", sa.String(), nullable=True),
        sa.Column("previous_salesforce_id", sa.String(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
        sa.UniqueConstraint(
            "pipeline",
            "salesforce_object",
            "salesforce_id",
            name="uq_links_pipeline_salesforce_object_salesforce_id",
        ),
        sa.UniqueConstraint(
            "pipeline",
            "hubspot_object",
            "hubspot_id",
            name="uq_links_pipeline_hubspot_object_hubspot_id",
        ),
    )
    op.create_index("ix_links_pipeline_match_key", "links", ["pipeline", "match_key"])
    op.create_index(
        "ix_links_pipeline_previous_salesforce_id", "links", ["pipeline", "previous_salesforce_id"]
    )
    op.create_table(
        "link_history",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("link_id", _id(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("from_object", sa.String(), nullable=False),
        sa.Column("from_id", sa.String(), nullable=False),
        sa.Column("to_object", sa.String(), nullable=False),
        sa.Column("to_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        _time("changed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_link_history"),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name="fk_link_history_link_id_links", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_link_history_link_id", "link_history", ["link_id"])
    op.create_table(
        "snapshots",
        sa.Column("link_id", _id(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("fields", _json(), nullable=False),
        _time("modified_at", nullable=True),
        _time("synced_at"),
        sa.PrimaryKeyConstraint("link_id", "side", name="pk_snapshots"),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name="fk_snapshots_link_id_links", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        _time("started_at"),
        _time("finished_at", nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_pipeline_started_at", "runs", ["pipeline", "started_at"])
    op.create_table(
        "dead_letters",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("object", sa.String(), nullable=False),
        sa.Column("record_key", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("error_code", sa.String(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_dead_letters_run_id_runs", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_dead_letters_pipeline_status", "dead_letters", ["pipeline", "status"])
    op.create_index(
        "uq_dead_letters_open_record",
        "dead_letters",
        ["pipeline", "side", "object", "record_key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "audit",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("link_id", _id(), nullable=True),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("record", sa.String(), nullable=False),
        sa.Column("from_stage", sa.String(), nullable=True),
        sa.Column("to_stage", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        _time("at"),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name="fk_audit_link_id_links", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_audit_pipeline_at", "audit", ["pipeline", "at"])
    op.create_table(
        "leases",
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        _time("acquired_at"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("pipeline", name="pk_leases"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("object", sa.String(), nullable=False),
        sa.Column("token", _json(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("pipeline", "side", "object", name="pk_checkpoints"),
    )


def downgrade() -> None:
    for table in (
        "checkpoints",
        "leases",
        "audit",
        "dead_letters",
        "runs",
        "snapshots",
        "link_history",
        "links",
        "cursors",
    ):
        op.drop_table(table)
