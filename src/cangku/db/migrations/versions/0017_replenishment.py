"""Replenishment (issue 16 points 3 and 4, ADRs 0032 and 0033): the computed safety stock, reorder point
and order-up-to level per item and warehouse with their working and a manual override beside
them (who, when, why); purchasing budgets per period (and warehouse or category); a supplier's
pack size and whether it is the item's preferred supplier

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cangku.db.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SCALED = sa.BigInteger()


def _levels() -> None:
    op.create_table(
        "replenishment_levels",
        sa.Column("item_id", ID, nullable=False),
        sa.Column("warehouse_id", ID, nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("method", sa.String(length=24), nullable=True),
        sa.Column("mae", SCALED, nullable=True),
        sa.Column("mase", SCALED, nullable=True),
        sa.Column("demand", SCALED, nullable=True),
        sa.Column("demand_sd", SCALED, nullable=True),
        sa.Column("lead_time", SCALED, nullable=True),
        sa.Column("lead_time_sd", SCALED, nullable=True),
        sa.Column("lead_time_source", sa.String(length=12), nullable=True),
        sa.Column("lead_time_samples", sa.Integer(), nullable=True),
        sa.Column("abc_class", sa.String(length=1), nullable=True),
        sa.Column("service_level", SCALED, nullable=True),
        sa.Column("z", SCALED, nullable=True),
        sa.Column("safety_stock", SCALED, nullable=True),
        sa.Column("reorder_point", SCALED, nullable=True),
        sa.Column("order_up_to", SCALED, nullable=True),
        sa.Column("working", sa.Text(), nullable=True),
        sa.Column("override_safety_stock", SCALED, nullable=True),
        sa.Column("override_reorder_point", SCALED, nullable=True),
        sa.Column("override_order_up_to", SCALED, nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by", ID, nullable=True),
        sa.Column("override_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "abc_class IS NULL OR abc_class IN ('A','B','C')",
            name=op.f("ck_replenishment_levels_abc_class_known"),
        ),
        sa.CheckConstraint(
            "(override_by IS NULL) = (override_at IS NULL)",
            name=op.f("ck_replenishment_levels_override_signed"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_replenishment_levels_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_replenishment_levels_warehouse_id_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["override_by"], ["users.id"], name=op.f("fk_replenishment_levels_override_by_users")
        ),
        sa.PrimaryKeyConstraint("item_id", "warehouse_id", name=op.f("pk_replenishment_levels")),
    )
    op.create_index(
        "ix_replenishment_levels_warehouse",
        "replenishment_levels",
        ["warehouse_id", "item_id"],
        unique=False,
    )


def _budgets() -> None:
    op.create_table(
        "purchase_budgets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("warehouse_id", ID, nullable=True),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("amount", SCALED, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", ID, nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_purchase_budgets_period_in_order")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_purchase_budgets_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_purchase_budgets_warehouse_id_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_purchase_budgets_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_purchase_budgets_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_budgets")),
    )
    op.create_index(
        "ix_purchase_budgets_period",
        "purchase_budgets",
        ["period_start", "period_end"],
        unique=False,
    )


def upgrade() -> None:
    _levels()
    _budgets()
    op.add_column("supplier_items", sa.Column("pack_size", SCALED, nullable=True))
    op.add_column(
        "supplier_items",
        sa.Column("preferred", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index(
        "uq_supplier_items_preferred",
        "supplier_items",
        ["item_id"],
        unique=True,
        sqlite_where=sa.text("preferred"),
        postgresql_where=sa.text("preferred"),
    )


def downgrade() -> None:
    op.drop_index("uq_supplier_items_preferred", table_name="supplier_items")
    with op.batch_alter_table("supplier_items") as batch:
        batch.drop_column("preferred")
        batch.drop_column("pack_size")
    op.drop_index("ix_purchase_budgets_period", table_name="purchase_budgets")
    op.drop_table("purchase_budgets")
    op.drop_index("ix_replenishment_levels_warehouse", table_name="replenishment_levels")
    op.drop_table("replenishment_levels")
