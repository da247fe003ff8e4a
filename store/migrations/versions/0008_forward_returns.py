"""Forward records: each followed candidate's paper return on every session after the data of
its gate report, beside buy-and-hold's, a row per candidate and session, append-only. The
`incubating` status needs no change of the schema (statuses are checked when read).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.append_only import allow_changes, forbid_changes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RECORDS = ("forward_returns",)


def upgrade() -> None:
    op.create_table(
        "forward_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gate_report_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.Float(), nullable=False),
        sa.Column("market", sa.Float(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name="fk_forward_returns_candidate_id_candidates"
        ),
        sa.ForeignKeyConstraint(
            ["gate_report_id"],
            ["gate_reports.id"],
            name="fk_forward_returns_gate_report_id_gate_reports",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_forward_returns_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_forward_returns"),
        sa.UniqueConstraint("candidate_id", "day", name="uq_forward_returns_candidate_id"),
    )
    forbid_changes(RECORDS)


def downgrade() -> None:
    allow_changes(RECORDS)
    op.drop_table("forward_returns")
