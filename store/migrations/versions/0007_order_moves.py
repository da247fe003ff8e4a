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


def upgrade() -> None:
    op.create_table(
        "order_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("moved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["live_orders.id"], name=op.f("fk_order_moves_order_id_live_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_moves")),
    )
    with op.batch_alter_table("order_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_moves_order_id"), ["order_id"], unique=False)
    forbid_changes(MOVES)


def downgrade() -> None:
    allow_changes(MOVES)
    with op.batch_alter_table("order_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_moves_order_id"))
    op.drop_table("order_moves")
