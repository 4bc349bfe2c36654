"""cycle counts (issue 14): ABC classes kept per computation (warehouse, period), counting
frequencies per class or location, and the places a count of the cycle-count plan covers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "abc_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("computed_at", cangku.db.types.UTCDateTime(), nullable=False),
        sa.Column("computed_by", _ID, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_abc_runs_period_in_order")),
        _fk("abc_runs", "warehouse_id", "warehouses"),
        _fk("abc_runs", "computed_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abc_runs")),
    )
    op.create_index("ix_abc_runs_warehouse", "abc_runs", ["warehouse_id", "id"])
    op.create_table(
        "abc_classes",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("abc_class", sa.String(length=1), nullable=False),
        sa.Column("consumption", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "abc_class IN ('A','B','C')", name=op.f("ck_abc_classes_abc_class_known")
        ),
        _fk("abc_classes", "run_id", "abc_runs"),
        _fk("abc_classes", "item_id", "items"),
        sa.PrimaryKeyConstraint("run_id", "item_id", name=op.f("pk_abc_classes")),
    )
    op.create_table(
        "count_frequencies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("abc_class", sa.String(length=1), nullable=True),
        sa.Column("location_id", _ID, nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_by", _ID, nullable=False),
        sa.Column("updated_at", cangku.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(abc_class IS NULL) <> (location_id IS NULL)",
            name=op.f("ck_count_frequencies_class_or_location"),
        ),
        sa.CheckConstraint(
            "abc_class IS NULL OR abc_class IN ('A','B','C')",
            name=op.f("ck_count_frequencies_abc_class_known"),
        ),
        sa.CheckConstraint("days BETWEEN 1 AND 3650", name=op.f("ck_count_frequencies_days_range")),
        _fk("count_frequencies", "location_id", "locations"),
        _fk("count_frequencies", "updated_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_frequencies")),
        sa.UniqueConstraint("abc_class", name=op.f("uq_count_frequencies_abc_class")),
        sa.UniqueConstraint("location_id", name=op.f("uq_count_frequencies_location_id")),
    )
    op.create_table(
        "count_plan_places",
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        _fk("count_plan_places", "document_id", "documents"),
        _fk("count_plan_places", "item_id", "items"),
        _fk("count_plan_places", "location_id", "locations"),
        sa.PrimaryKeyConstraint(
            "document_id", "item_id", "location_id", name=op.f("pk_count_plan_places")
        ),
    )


def downgrade() -> None:
    op.drop_table("count_plan_places")
    op.drop_table("count_frequencies")
    op.drop_table("abc_classes")
    op.drop_index("ix_abc_runs_warehouse", table_name="abc_runs")
    op.drop_table("abc_runs")
