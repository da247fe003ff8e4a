"""Research records: panels, windows, runs, genomes, their evaluations and trial counts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panels",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("n_symbols", sa.Integer(), nullable=False),
        sa.Column("n_days", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_panels")),
    )
    op.create_table(
        "windows",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("panel_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("n_days", sa.Integer(), nullable=False),
        sa.Column("warmup_days", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_fingerprint"],
            ["panels.fingerprint"],
            name=op.f("fk_windows_panel_fingerprint_panels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_windows")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discovery", sa.Boolean(), nullable=False),
        sa.Column("config_id", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("code_version", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("panel_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("train_window_id", sa.String(length=64), nullable=True),
        sa.Column("resumes_run_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_fingerprint"],
            ["panels.fingerprint"],
            name=op.f("fk_runs_panel_fingerprint_panels"),
        ),
        sa.ForeignKeyConstraint(
            ["resumes_run_id"], ["runs.id"], name=op.f("fk_runs_resumes_run_id_runs")
        ),
        sa.ForeignKeyConstraint(
            ["train_window_id"], ["windows.id"], name=op.f("fk_runs_train_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "trial_counts",
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("panel_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("trials", sa.Integer(), nullable=False),
        sa.Column("sharpe_n", sa.Integer(), nullable=False),
        sa.Column("sharpe_sum", sa.Float(), nullable=False),
        sa.Column("sharpe_sq_sum", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_fingerprint"],
            ["panels.fingerprint"],
            name=op.f("fk_trial_counts_panel_fingerprint_panels"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_trial_counts_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("window_id", name=op.f("pk_trial_counts")),
    )
    op.create_table(
        "genomes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("first_parent_id", sa.String(length=64), nullable=True),
        sa.Column("second_parent_id", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_parent_id"], ["genomes.id"], name=op.f("fk_genomes_first_parent_id_genomes")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_genomes_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["second_parent_id"], ["genomes.id"], name=op.f("fk_genomes_second_parent_id_genomes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genomes")),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sharpe", sa.Float(), nullable=True),
        sa.Column("n_trades", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("returns", sa.LargeBinary(), nullable=True),
        sa.Column("descriptor", sa.LargeBinary(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_evaluations_genome_id_genomes")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_evaluations_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_evaluations_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("genome_id", "window_id", name=op.f("uq_evaluations_genome_id")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_window_id"), ["window_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_window_id"))

    op.drop_table("evaluations")
    op.drop_table("genomes")
    op.drop_table("trial_counts")
    op.drop_table("runs")
    op.drop_table("windows")
    op.drop_table("panels")
