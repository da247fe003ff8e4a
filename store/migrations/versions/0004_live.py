"""Live trading: accounts, plans, orders, fills, the settled-cash ledger, strategy books,
events and the sim broker's state. Fills, cash entries and events are append-only.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.append_only import allow_changes, forbid_changes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = ("live_fills", "live_cash", "live_events")


def upgrade() -> None:
    op.create_table(
        "live_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("broker", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_live_accounts_name")),
    )
    op.create_table(
        "live_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_live_events_account_id_live_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
    )
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_events_account_id"), ["account_id"], unique=False)

    op.create_table(
        "live_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.Date(), nullable=False),
        sa.Column("data_day", sa.Date(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("settled_cash", sa.Float(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_live_plans_account_id_live_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_plans")),
        sa.UniqueConstraint("account_id", "session", name=op.f("uq_live_plans_account_id")),
    )
    op.create_table(
        "sim_broker_states",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_sim_broker_states_account_id_live_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_sim_broker_states")),
    )
    op.create_table(
        "live_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(length=128), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("limit_price", sa.Float(), nullable=True),
        sa.Column("last_close", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("broker_id", sa.String(length=64), nullable=True),
        sa.Column("filled_qty", sa.Float(), nullable=False),
        sa.Column("filled_avg_price", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_live_orders_account_id_live_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["live_plans.id"], name=op.f("fk_live_orders_plan_id_live_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_live_orders_client_order_id")),
    )
    with op.batch_alter_table("live_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_orders_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_orders_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "live_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("session", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_live_fills_account_id_live_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["live_orders.id"], name=op.f("fk_live_fills_order_id_live_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_fills")),
    )
    with op.batch_alter_table("live_fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_fills_account_id"), ["account_id"], unique=False)

    op.create_table(
        "live_books",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["live_accounts.id"],
            name=op.f("fk_live_books_account_id_live_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_live_books_genome_id_genomes")
        ),
        sa.PrimaryKeyConstraint("account_id", "genome_id", "symbol", name=op.f("pk_live_books")),
    )
    op.create_table(
        "live_cash",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("settles_on", sa.Date(), nullable=False),
        sa.Column("fill_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["live_accounts.id"], name=op.f("fk_live_cash_account_id_live_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["fill_id"], ["live_fills.id"], name=op.f("fk_live_cash_fill_id_live_fills")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_cash")),
    )
    with op.batch_alter_table("live_cash", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_cash_account_id"), ["account_id"], unique=False)

    forbid_changes(APPEND_ONLY)


def downgrade() -> None:
    allow_changes(APPEND_ONLY)
    with op.batch_alter_table("live_cash", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_cash_account_id"))

    op.drop_table("live_cash")
    op.drop_table("live_books")
    with op.batch_alter_table("live_fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_fills_account_id"))

    op.drop_table("live_fills")
    with op.batch_alter_table("live_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_orders_plan_id"))
        batch_op.drop_index(batch_op.f("ix_live_orders_account_id"))

    op.drop_table("live_orders")
    op.drop_table("sim_broker_states")
    op.drop_table("live_plans")
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_events_account_id"))

    op.drop_table("live_events")
    op.drop_table("live_accounts")
