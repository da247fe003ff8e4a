"""Evolution state: generations, population, novelty archive, stagnation events, hall of fame
and candidates.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("train_window_id", sa.String(length=64), nullable=False),
        sa.Column("evaluations", sa.Integer(), nullable=False),
        sa.Column("cache_hits", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("best_fitness", sa.Float(), nullable=False),
        sa.Column("median_fitness", sa.Float(), nullable=False),
        sa.Column("best_score", sa.Float(), nullable=False),
        sa.Column("diversity", sa.Float(), nullable=False),
        sa.Column("unique_genomes", sa.Integer(), nullable=False),
        sa.Column("archive_size", sa.Integer(), nullable=False),
        sa.Column("archive_threshold", sa.Float(), nullable=False),
        sa.Column("archive_added", sa.Integer(), nullable=False),
        sa.Column("stagnation_best", sa.Float(), nullable=False),
        sa.Column("stagnant_for", sa.Integer(), nullable=False),
        sa.Column("injected", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_generations_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["train_window_id"], ["windows.id"], name=op.f("fk_generations_train_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
        sa.UniqueConstraint("number", name=op.f("uq_generations_number")),
    )
    op.create_table(
        "stagnation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("best", sa.Float(), nullable=False),
        sa.Column("improvement", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_stagnation_events_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stagnation_events")),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("fitness", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_candidates_genome_id_genomes")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_candidates_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_candidates_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint("genome_id", name=op.f("uq_candidates_genome_id")),
    )
    op.create_table(
        "hall_of_fame",
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_hall_of_fame_genome_id_genomes")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_hall_of_fame_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("genome_id", name=op.f("pk_hall_of_fame")),
    )
    op.create_table(
        "novelty_archive",
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("descriptor", sa.LargeBinary(), nullable=False),
        sa.Column("novelty", sa.Float(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_novelty_archive_genome_id_genomes")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name=op.f("fk_novelty_archive_window_id_windows")
        ),
        sa.PrimaryKeyConstraint("genome_id", name=op.f("pk_novelty_archive")),
    )
    op.create_table(
        "population",
        sa.Column("generation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("genome_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("fitness", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_population_generation_id_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["genome_id"], ["genomes.id"], name=op.f("fk_population_genome_id_genomes")
        ),
        sa.PrimaryKeyConstraint("generation_id", "position", name=op.f("pk_population")),
    )


def downgrade() -> None:
    op.drop_table("population")
    op.drop_table("novelty_archive")
    op.drop_table("hall_of_fame")
    op.drop_table("candidates")
    op.drop_table("stagnation_events")
    op.drop_table("generations")
