"""counts (issue 14): a count session's scope and options, the ledger's position when its
snapshot was taken, and its lines (expected at the snapshot, counted, by whom, in which round,
the moves since and the unit cost when it closed)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "count_sessions",
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("snapshot_at", cangku.db.types.UTCDateTime(), nullable=True),
        _fk("count_sessions", "document_id", "documents"),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_count_sessions")),
    )
    op.create_table(
        "count_heads",
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        _fk("count_heads", "document_id", "documents"),
        _fk("count_heads", "warehouse_id", "warehouses"),
        sa.PrimaryKeyConstraint("document_id", "warehouse_id", name=op.f("pk_count_heads")),
    )
    op.create_table(
        "count_lines",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        sa.Column("lot_key", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", _ID, nullable=True),
        sa.Column("expected", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("in_snapshot", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("counted", sa.BigInteger(), nullable=True),
        sa.Column("counted_by", _ID, nullable=True),
        sa.Column("counted_at", cangku.db.types.UTCDateTime(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("earlier_counter_id", _ID, nullable=True),
        sa.Column("moved", sa.BigInteger(), nullable=True),
        sa.Column("unit_cost", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "counted IS NULL OR counted >= 0", name=op.f("ck_count_lines_counted_not_negative")
        ),
        _fk("count_lines", "document_id", "documents"),
        _fk("count_lines", "item_id", "items"),
        _fk("count_lines", "location_id", "locations"),
        _fk("count_lines", "lot_id", "lots"),
        _fk("count_lines", "counted_by", "users"),
        _fk("count_lines", "earlier_counter_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_lines")),
        sa.UniqueConstraint(
            "document_id", "item_id", "location_id", "lot_key", name=op.f("uq_count_lines_place")
        ),
    )


def downgrade() -> None:
    op.drop_table("count_lines")
    op.drop_table("count_heads")
    op.drop_table("count_sessions")
