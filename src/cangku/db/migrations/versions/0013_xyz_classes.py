"""XYZ classes (issues 14 and 15): beside each item's ABC class in a run, its XYZ class from
the variability of its weekly demand and the coefficient of variation it came from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("abc_classes", sa.Column("xyz_class", sa.String(length=1), nullable=True))
    op.add_column("abc_classes", sa.Column("demand_cv", sa.BigInteger(), nullable=True))
    op.add_column("abc_runs", sa.Column("weeks", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("abc_runs", "weeks")
    op.drop_column("abc_classes", "demand_cv")
    op.drop_column("abc_classes", "xyz_class")
