"""Order moves: each change of an order's status is a row (from, to, why, when), append-only,
as decisions are for candidates. Orders placed before this revision keep their status and have
no moves recorded.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.append_only import allow_changes, forbid_changes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MOVES = ("order_moves",)
STATUSES = ("from_status", "to_status")


def upgrade() -> None:
    moved = sa.ForeignKey("live_orders.id", name="fk_order_moves_order_id_live_orders")
    op.create_table(
        "order_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), moved, nullable=False, index=True),
        *(sa.Column(name, sa.String(length=24), nullable=False) for name in STATUSES),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("moved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_moves"),
    )
    forbid_changes(MOVES)


def downgrade() -> None:
    allow_changes(MOVES)
    op.drop_index("ix_order_moves_order_id", table_name="order_moves")
    op.drop_table("order_moves")
