"""Promotion: gate reports, holdout results and decisions, all append-only.

Triggers make the database itself refuse to change or remove a row of these tables, so an audit
trail cannot be rewritten by a bug or a stray command (SQLite and PostgreSQL).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.append_only import allow_changes, forbid_changes

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = ("gate_reports", "holdout_results", "decisions")


def upgrade() -> None:
    op.create_table(
        "gate_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("config_id", sa.String(length=64), nullable=False),
        sa.Column("code_version", sa.String(length=80), nullable=False),
        sa.Column("panel_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("train_window_id", sa.String(length=64), nullable=False),
        sa.Column("validation_window_id", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_gate_reports_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_fingerprint"],
            ["panels.fingerprint"],
            name=op.f("fk_gate_reports_panel_fingerprint_panels"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_gate_reports_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["train_window_id"],
            ["windows.id"],
            name=op.f("fk_gate_reports_train_window_id_windows"),
        ),
        sa.ForeignKeyConstraint(
            ["validation_window_id"],
            ["windows.id"],
            name=op.f("fk_gate_reports_validation_window_id_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_reports")),
    )
    op.create_index(
        op.f("ix_gate_reports_candidate_id"), "gate_reports", ["candidate_id"], unique=False
    )
    op.create_table(
        "holdout_results",
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("sharpe", sa.Float(), nullable=False),
        sa.Column("n_trades", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("buy_and_hold", sa.JSON(), nullable=False),
        sa.Column("costs", sa.JSON(), nullable=False),
        sa.Column("returns", sa.LargeBinary(), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_holdout_results_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_holdout_results_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("candidate_id", name=op.f("pk_holdout_results")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("gate_report_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_decisions_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(
            ["gate_report_id"],
            ["gate_reports.id"],
            name=op.f("fk_decisions_gate_report_id_gate_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_candidate_id"), "decisions", ["candidate_id"], unique=False)
    forbid_changes(APPEND_ONLY)


def downgrade() -> None:
    allow_changes(APPEND_ONLY)
    op.drop_index(op.f("ix_decisions_candidate_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("holdout_results")
    op.drop_index(op.f("ix_gate_reports_candidate_id"), table_name="gate_reports")
    op.drop_table("gate_reports")
