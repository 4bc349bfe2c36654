"""indexes for the lists' sorts: the stock list by on hand or available, the moves list by
quantity, each with the row's key after it so that a keyset page (issue 10, "Lists") is read
from the index on both engines at any depth; and the reserved balances (a partial index: the
few that are not zero), so the whole stock's sums read them alone

The other sorts use indexes that exist: items and locations by code, moves by effective time
(``ix_moves_effective``) and by item and time (``ix_moves_item_effective``), balances by primary
key and by location.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BALANCE_KEY = ["item_id", "location_id", "lot_key"]


def upgrade() -> None:
    op.create_index("ix_balances_on_hand", "balances", ["on_hand", *_BALANCE_KEY])
    op.create_index(
        "ix_balances_available", "balances", [sa.text("(on_hand - reserved)"), *_BALANCE_KEY]
    )
    op.create_index("ix_moves_quantity", "moves", ["quantity", "id"])
    op.create_index(
        "ix_balances_reserved",
        "balances",
        ["item_id"],
        sqlite_where=sa.text("reserved <> 0"),
        postgresql_where=sa.text("reserved <> 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_balances_reserved", table_name="balances")
    op.drop_index("ix_moves_quantity", table_name="moves")
    op.drop_index("ix_balances_available", table_name="balances")
    op.drop_index("ix_balances_on_hand", table_name="balances")
