"""Checkpoint flows (issue 15, ADR 0027): beside each checkpoint, the crossing moves since the
checkpoint before it summed per item and per the kinds and warehouses of their two sides, so
the period reports read whole months from these instead of every move; every valid checkpoint
already taken gets its rows here

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cangku.db import checkpoints as store
from cangku.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("checkpoints", sa.Column("flows_from", ID, nullable=True))
    op.add_column(
        "checkpoints",
        sa.Column("flows", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "checkpoint_flows",
        sa.Column("checkpoint_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("from_kind", sa.String(length=20), nullable=False),
        sa.Column("to_kind", sa.String(length=20), nullable=False),
        sa.Column("from_warehouse_id", ID, nullable=False),
        sa.Column("to_warehouse_id", ID, nullable=False),
        sa.Column("back", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("last_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoints.id"],
            name=op.f("fk_checkpoint_flows_checkpoint_id_checkpoints"),
        ),
        sa.PrimaryKeyConstraint(
            "checkpoint_id",
            "item_id",
            "from_kind",
            "to_kind",
            "from_warehouse_id",
            "to_warehouse_id",
            "back",
            name=op.f("pk_checkpoint_flows"),
        ),
    )
    store.summarise_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("checkpoint_flows")
    op.drop_column("checkpoints", "flows")
    op.drop_column("checkpoints", "flows_from")
