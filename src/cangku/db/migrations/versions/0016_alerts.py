"""Alerts (issue 16 point 5, ADR 0030): one row per time a condition held, at most one open per
(kind, subject) by a partial unique index

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cangku.db.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("item_id", ID, nullable=True),
        sa.Column("warehouse_id", ID, nullable=True),
        sa.Column("lot_id", ID, nullable=True),
        sa.Column("document_id", ID, nullable=True),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_figures", sa.Text(), nullable=False),
        sa.Column("last_figures", sa.Text(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", ID, nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_alerts_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_alerts_document_id_documents")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_alerts_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_alerts_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_alerts_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        "uq_alerts_open_kind_subject",
        "alerts",
        ["kind", "subject_key"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("ix_alerts_warehouse", "alerts", ["warehouse_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alerts_warehouse", table_name="alerts")
    op.drop_index("uq_alerts_open_kind_subject", table_name="alerts")
    op.drop_table("alerts")
