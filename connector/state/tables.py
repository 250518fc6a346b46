"""The state store's tables, as SQLAlchemy Core metadata.

This is the schema the code expects; ``connector/migrations`` builds it in a database, and a
contract test checks that the two agree. Column types come from ``dialect.py`` so that a
timestamp is an aware UTC datetime and JSON is JSONB on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from connector.state.dialect import UtcDateTime, id_type, json_type

# Named constraints, so a later migration can drop or alter them by name on both dialects.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The one value of ``dead_letters.status`` that the partial unique index covers: at most one
# open dead letter per record, so a record failing every cycle counts attempts, not rows.
OPEN_DEAD_LETTER = sa.text("status = 'open'")

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("pipeline", sa.String(), primary_key=True),
    sa.Column("side", sa.String(), primary_key=True),
    sa.Column("object", sa.String(), primary_key=True),
    sa.Column("position", UtcDateTime(), nullable=True),
    sa.Column("seen_ids", json_type(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", id_type(), primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.String(), nullable=False),
    sa.Column("salesforce_object", sa.String(), nullable=False),
    sa.Column("salesforce_id", sa.String(), nullable=False),
    sa.Column("hubspot_object", sa.String(), nullable=False),
    sa.Column("hubspot_id", sa.String(), nullable=False),
    sa.Column("match_key", sa.String(), nullable=True),
    # Where the Salesforce side pointed before a lead conversion re-pointed it.
    sa.Column("previous_salesforce_object", sa.String(), nullable=True),
    sa.Column("previous_salesforce_id", sa.String(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("pipeline", "salesforce_object", "salesforce_id"),
    sa.UniqueConstraint("pipeline", "hubspot_object", "hubspot_id"),
    sa.Index(None, "pipeline", "match_key"),
    sa.Index(None, "pipeline", "previous_salesforce_id"),
)

link_history = sa.Table(
    "link_history",
    metadata,
    sa.Column("id", id_type(), primary_key=True, autoincrement=True),
    sa.Column("link_id", id_type(), sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=False),
    sa.Column("side", sa.String(), nullable=False),
    sa.Column("from_object", sa.String(), nullable=False),
    sa.Column("from_id", sa.String(), nullable=False),
    sa.Column("to_object", sa.String(), nullable=False),
    sa.Column("to_id", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Index(None, "link_id"),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column(
        "link_id", id_type(), sa.ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("side", sa.String(), primary_key=True),
    sa.Column("fields", json_type(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=True),
    sa.Column("synced_at", UtcDateTime(), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("pipeline", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("outcome", sa.String(), nullable=False),
    sa.Column("counts", json_type(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Index(None, "pipeline", "started_at"),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", id_type(), primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.String(), nullable=False),
    sa.Column("run_id", sa.Uuid(), sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("side", sa.String(), nullable=False),
    sa.Column("object", sa.String(), nullable=False),
    sa.Column("record_key", sa.String(), nullable=False),
    sa.Column("record_id", sa.String(), nullable=True),
    sa.Column("payload", json_type(), nullable=False),
    sa.Column("error_code", sa.String(), nullable=False),
    sa.Column("error_message", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index(None, "pipeline", "status"),
    sa.Index(
        "uq_dead_letters_open_record",
        "pipeline",
        "side",
        "object",
        "record_key",
        unique=True,
        sqlite_where=OPEN_DEAD_LETTER,
        postgresql_where=OPEN_DEAD_LETTER,
    ),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", id_type(), primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.String(), nullable=False),
    sa.Column("link_id", id_type(), sa.ForeignKey("links.id", ondelete="SET NULL"), nullable=True),
    sa.Column("system", sa.String(), nullable=False),
    sa.Column("record", sa.String(), nullable=False),
    sa.Column("from_stage", sa.String(), nullable=True),
    sa.Column("to_stage", sa.String(), nullable=True),
    sa.Column("outcome", sa.String(), nullable=False),
    sa.Column("why", sa.Text(), nullable=False),
    sa.Column("actor", sa.String(), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index(None, "pipeline", "at"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("pipeline", sa.String(), primary_key=True),
    sa.Column("holder", sa.String(), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("pipeline", sa.String(), primary_key=True),
    sa.Column("side", sa.String(), primary_key=True),
    sa.Column("object", sa.String(), primary_key=True),
    sa.Column("token", json_type(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
