"""internal operations (issue 14): a lot's status history (hold, quarantine, recall, release:
who, when, why), the company's reason codes for adjustments and scrap (seeded with the built-in
list), the approval threshold of adjustments, a transfer's destination warehouse, an adjustment
line's direction and what of a transfer line's discrepancy was resolved

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COLUMNS = (
    ("company", "adjustment_approval_threshold", sa.BigInteger(), None),
    ("documents", "to_warehouse_id", _ID, None),
    ("document_lines", "direction", sa.String(length=8), None),
)

#: the built-in reason codes (``domain.reasons``) as the first rows of the company's list
_ADJUSTMENT = (
    "count_difference", "found", "lost", "damaged", "expired", "theft", "data_correction",
    "sample", "opening_balance", "other",
)  # fmt: skip
_SCRAP = ("damaged", "expired", "defective", "obsolete", "other")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "lot_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("lot_id", _ID, nullable=False),
        sa.Column("at", cangku.db.types.UTCDateTime(), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document_id", _ID, nullable=True),
        _fk("lot_events", "lot_id", "lots"),
        _fk("lot_events", "user_id", "users"),
        _fk("lot_events", "document_id", "documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_events")),
    )
    op.create_index("ix_lot_events_lot", "lot_events", ["lot_id", "id"])
    op.create_table(
        "reason_codes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("label_zh", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("builtin", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("position", sa.Integer(), nullable=False, server_default=sa.text("100")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reason_codes")),
        sa.UniqueConstraint("kind", "code", name=op.f("uq_reason_codes_kind_code")),
    )
    for table, column, kind, default in _COLUMNS:
        op.add_column(table, sa.Column(column, kind, nullable=True, server_default=default))
    op.add_column(
        "document_lines",
        sa.Column("resolved", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    codes = sa.table(
        "reason_codes",
        sa.column("kind"),
        sa.column("code"),
        sa.column("builtin", sa.Boolean()),
        sa.column("position"),
    )
    op.get_bind().execute(
        codes.insert(),
        [
            {"kind": kind, "code": code, "builtin": True, "position": (index + 1) * 10}
            for kind, listed in (("adjustment", _ADJUSTMENT), ("scrap", _SCRAP))
            for index, code in enumerate(listed)
        ],
    )


def downgrade() -> None:
    op.execute("ALTER TABLE document_lines DROP COLUMN resolved")
    for table, column, _, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("reason_codes")
    op.drop_table("lot_events")
