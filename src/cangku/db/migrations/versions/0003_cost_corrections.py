"""cost corrections: receipts that settled negative stock (ADR 0012)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types
from cangku.db import guards

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_corrections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("move_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", cangku.db.types.Scaled(), nullable=False),
        sa.Column("amount", cangku.db.types.Scaled(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cost_corrections_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_cost_corrections_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["move_id"], ["moves.id"], name=op.f("fk_cost_corrections_move_id_moves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_corrections")),
    )
    with op.batch_alter_table("cost_corrections", schema=None) as batch_op:
        batch_op.create_index("ix_cost_corrections_item", ["item_id", "move_id"], unique=False)
    for statement in guards.create_statements(op.get_bind().dialect.name, guards.COST_TABLES):
        op.execute(statement)


def downgrade() -> None:
    for statement in guards.drop_statements(op.get_bind().dialect.name, guards.COST_TABLES):
        op.execute(statement)
    with op.batch_alter_table("cost_corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_corrections_item")
    op.drop_table("cost_corrections")
