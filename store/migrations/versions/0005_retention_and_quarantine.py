"""Retention and quarantine: a genome's parent ids become plain ids (a parent may be pruned
while its child lives on), and rows that cannot be read get a quarantine record.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("genomes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_genomes_first_parent_id_genomes", type_="foreignkey")
        batch_op.drop_constraint("fk_genomes_second_parent_id_genomes", type_="foreignkey")
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("found_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("table_name", "row_id", name=op.f("uq_quarantine_table_name")),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
    with op.batch_alter_table("genomes", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_genomes_first_parent_id_genomes", "genomes", ["first_parent_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_genomes_second_parent_id_genomes", "genomes", ["second_parent_id"], ["id"]
        )
