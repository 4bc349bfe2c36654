"""company settings (currency, time zone, display places, expiry warning), a user's own time
zone, and a warehouse's rule for issuing from expired lots (issue 10, defects 4, 5 and 7)

``company`` holds one row (``id = 1``) created here with the defaults; the web page, API and
CLI change it. Money and times stay exact and UTC in the ledger: these settings only shape how
they are shown and read in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cangku.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    company = op.create_table(
        "company",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("currency", sa.String(length=3), nullable=False, server_default="CNY"),
        sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"),
        sa.Column("unit_cost_places", sa.Integer(), nullable=False, server_default="4"),
        sa.Column("expiring_soon_days", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", cangku.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_company_single_row")),
        sa.CheckConstraint(
            "unit_cost_places BETWEEN 0 AND 6", name=op.f("ck_company_unit_cost_places_range")
        ),
        sa.CheckConstraint(
            "expiring_soon_days BETWEEN 0 AND 3650",
            name=op.f("ck_company_expiring_soon_days_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
    )
    op.bulk_insert(company, [{"id": 1}])
    # plain ADD COLUMN on both engines: a batch copy of users or warehouses (SQLite) would trip
    # the foreign keys that point at them
    op.add_column("users", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.add_column(
        "warehouses",
        sa.Column("allow_expired_issue", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of users or warehouses would trip the
    # foreign keys that point at them
    op.execute("ALTER TABLE warehouses DROP COLUMN allow_expired_issue")
    op.execute("ALTER TABLE users DROP COLUMN time_zone")
    op.drop_table("company")
