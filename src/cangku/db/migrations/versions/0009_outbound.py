"""outbound (issue 13): reservations as rows (allocations), approval rules for outbound
requests, an item's allocation strategy, the header fields of requests and shipments (ship-to,
department, plan, carrier, tracking number, packages) and a returned line's disposition

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COLUMNS = (
    ("items", "allocation_strategy", sa.String(length=8)),
    ("documents", "ship_to", sa.Text()),
    ("documents", "department", sa.String(length=100)),
    ("documents", "plan_reference", sa.String(length=100)),
    ("documents", "planned_on", sa.Date()),
    ("documents", "carrier", sa.String(length=100)),
    ("documents", "tracking_number", sa.String(length=100)),
    ("documents", "packages", sa.Integer()),
    ("document_lines", "disposition", sa.String(length=16)),
)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "allocations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", _ID, nullable=True),
        sa.Column("line_id", _ID, nullable=True),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        sa.Column("lot_key", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", _ID, nullable=True),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("pick_line_id", _ID, nullable=True),
        sa.Column("created_at", cangku.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", _ID, nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_allocations_quantity_positive")),
        _fk("allocations", "document_id", "documents"),
        _fk("allocations", "line_id", "document_lines"),
        _fk("allocations", "item_id", "items"),
        _fk("allocations", "location_id", "locations"),
        _fk("allocations", "lot_id", "lots"),
        _fk("allocations", "warehouse_id", "warehouses"),
        _fk("allocations", "pick_line_id", "document_lines"),
        _fk("allocations", "created_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index("ix_allocations_balance", "allocations", ["item_id", "location_id", "lot_key"])
    op.create_index("ix_allocations_line", "allocations", ["line_id"])
    op.create_index("ix_allocations_document", "allocations", ["document_id"])
    op.create_table(
        "approval_rules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", _ID, nullable=True),
        sa.Column("min_value", sa.BigInteger(), nullable=True),
        sa.Column("min_quantity", sa.BigInteger(), nullable=True),
        sa.Column("approver_role", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "min_value IS NOT NULL OR min_quantity IS NOT NULL",
            name=op.f("ck_approval_rules_has_threshold"),
        ),
        sa.CheckConstraint(
            "min_value IS NULL OR min_value >= 0",
            name=op.f("ck_approval_rules_min_value_not_negative"),
        ),
        sa.CheckConstraint(
            "min_quantity IS NULL OR min_quantity >= 0",
            name=op.f("ck_approval_rules_min_quantity_not_negative"),
        ),
        _fk("approval_rules", "warehouse_id", "warehouses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_rules")),
    )
    for table, column, kind in _COLUMNS:
        op.add_column(table, sa.Column(column, kind, nullable=True))
    # the reservations made before this migration become bare reservation rows, so that every
    # balance's reserved figure is the sum of its rows from the start
    bind = op.get_bind()
    reserved = bind.execute(
        sa.text(
            "SELECT item_id, location_id, lot_key, lot_id, warehouse_id, reserved"
            " FROM balances WHERE reserved > 0 ORDER BY item_id, location_id, lot_key"
        )
    ).all()
    first_user = bind.execute(sa.text("SELECT min(id) FROM users")).scalar()
    if reserved and first_user is not None:
        rows = sa.table(
            "allocations",
            *(sa.column(name) for name in _KEY),
            sa.column("quantity"),
            sa.column("created_by"),
            sa.column("created_at", cangku.db.types.UTCDateTime()),
        )
        now = datetime.now(UTC)
        bind.execute(
            rows.insert(),
            [
                {**dict(zip(_KEY, row[:5], strict=True)), "quantity": row[5]}
                | {"created_by": first_user, "created_at": now}
                for row in reserved
            ],
        )


_KEY = ("item_id", "location_id", "lot_key", "lot_id", "warehouse_id")


def downgrade() -> None:
    for table, column, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("approval_rules")
    op.drop_table("allocations")
