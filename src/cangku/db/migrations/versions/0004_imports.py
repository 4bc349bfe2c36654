"""move imports: one row per import of moves, for repeat refusal and chunked resume (ADR 0011)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "move_imports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix_digest", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("repeat_of", _ID, nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("started_at", cangku.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", cangku.db.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chunked", sa.Boolean(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("moves_total", sa.BigInteger(), nullable=True),
        sa.Column("moves_posted", sa.BigInteger(), nullable=False),
        sa.Column("stop_code", sa.String(length=64), nullable=True),
        sa.Column("stop_move", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running','stopped','posted')", name=op.f("ck_move_imports_status")
        ),
        sa.CheckConstraint(
            "moves_posted >= 0", name=op.f("ck_move_imports_moves_posted_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of"], ["move_imports.id"], name=op.f("fk_move_imports_repeat_of_move_imports")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_move_imports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_move_imports")),
        sa.UniqueConstraint("user_id", "idempotency_key", name=op.f("uq_move_imports_user_key")),
    )
    with op.batch_alter_table("move_imports", schema=None) as batch_op:
        batch_op.create_index("ix_move_imports_digest", ["digest", "status"], unique=False)
        batch_op.create_index("ix_move_imports_status", ["status", "chunked"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("move_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_move_imports_status")
        batch_op.drop_index("ix_move_imports_digest")
    op.drop_table("move_imports")
