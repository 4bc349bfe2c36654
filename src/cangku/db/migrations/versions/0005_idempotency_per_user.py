"""idempotency keys per user: a key is its sender's own, and a replay checks permissions again
(ADR 0013)

The table gets a surrogate id, ``(user_id, key)`` unique instead of ``key`` alone, and the
``checks`` a replay runs again. Existing rows keep the user stored with them (every write made
with a key stored its user); a row without one stays scoped to nobody and never answers again.
Rows from before this revision have no recorded checks: their replay checks the action only.

The table is rebuilt the same way on SQLite and PostgreSQL (copy out, recreate, copy back), so
the constraint names are those of ``db/tables.py`` on both.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COPY = "_idempotency_keys_0005"
_SAVE = (
    "CREATE TABLE _idempotency_keys_0005 AS "
    'SELECT "key", request_hash, response, user_id, created_at FROM idempotency_keys'
)
_RESTORE = (
    'INSERT INTO idempotency_keys ("key", request_hash, response, user_id, created_at) '
    'SELECT "key", request_hash, response, user_id, created_at FROM _idempotency_keys_0005 '
    "ORDER BY created_at"
)


def _save_and_drop() -> None:
    op.execute(_SAVE)
    op.drop_table("idempotency_keys")


def upgrade() -> None:
    _save_and_drop()
    op.create_table(
        "idempotency_keys",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("checks", sa.Text(), nullable=True),
        sa.Column("created_at", cangku.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
    )
    op.execute(_RESTORE)
    op.drop_table(_COPY)


def downgrade() -> None:
    # one row per key survives (the first; a key used by several users is ambiguous then)
    op.execute(
        "DELETE FROM idempotency_keys WHERE id NOT IN "
        '(SELECT MIN(id) FROM idempotency_keys GROUP BY "key")'
    )
    _save_and_drop()
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("created_at", cangku.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.execute(_RESTORE)
    op.drop_table(_COPY)
